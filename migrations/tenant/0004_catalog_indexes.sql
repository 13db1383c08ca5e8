-- Indexes of user tables, kept in the catalog beside the columns.
-- `indexes` is a JSON array of { name, columns: [..], unique? }.
ALTER TABLE _islet_tables ADD COLUMN indexes TEXT NOT NULL DEFAULT '[]';
