-- Who bound a function's secrets (`{"type":"user"|"apiKey","id":…}`), so each invocation can
-- check that they still may (only admins, or keys with secrets:write, bind secrets). NULL when
-- the function has no secrets.
ALTER TABLE _islet_functions ADD COLUMN bound_by TEXT;
