-- A formula recompute in progress over a large table: `{"columns":[…],"after":<last id done>}`.
-- The tenant's write lock is held one chunk at a time; rows past `after` still hold values from
-- the previous formula until the recompute finishes (PATCH the table with resumeRecompute).
ALTER TABLE _islet_tables ADD COLUMN recompute TEXT;
