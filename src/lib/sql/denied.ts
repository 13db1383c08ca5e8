// Names no SQL from a tenant may use, whoever runs it: devdb refuses them for every client, and
// admin SQL refuses them before anything reaches the database (Turso's build may differ).
// Functions and table-valued functions compiled into libsql that reach outside the database file
// (fileio: readfile/writefile/fsdir/lsmode), run arbitrary SQL behind devdb's checks (sha3_query),
// read archives from disk (zipfile), hand out raw pointers (fts3_tokenizer), reconfigure encryption, or expose raw pages.
export const DENIED_SQL_NAMES: ReadonlySet<string> = new Set([
  "readfile",
  "writefile",
  "fsdir",
  "lsmode",
  "sha3_query",
  "fts3_tokenizer",
  "load_extension",
  "sqlite_dbpage",
  "zipfile",
  "sqlite3mc_config",
  "sqlite3mc_config_table",
  "sqlite3mc_codec_data",
]);
