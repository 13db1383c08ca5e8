-- Catalog of user tables: the definition islet validates rows against (types, formulas).
-- `columns` is a JSON array of { name, type, notNull?, unique?, default?, formula? }.
CREATE TABLE _islet_tables (
  name TEXT PRIMARY KEY,
  columns TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
