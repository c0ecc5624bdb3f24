/* schema.h -- the Chorus SQLite schema, shared by the hub's store and by
 * clients/chorus-report.
 *
 * One database file holds one event. Times are milliseconds since the Unix
 * epoch (`*_ms`) or whole seconds (`sec`). SCHEMA_VERSION is stored in
 * `PRAGMA user_version`; a reader refuses a database whose version is newer
 * than the one it knows, and one with no `chorus_meta` table is not a Chorus
 * database. docs/architecture.md describes every table. */
#ifndef CHORUS_SCHEMA_H
#define CHORUS_SCHEMA_H

#define SCHEMA_VERSION 3
/* v2: polls.reveal and polls.revealed_ms (results hidden until revealed),
 * devices.banned, signals.chant_key (the chant's grouping key, so the
 * report groups chants as the live screen does), chant_mod, mod_log. A v1
 * database is migrated by the hub at start (hub/io/store.c); the report
 * reads both.
 * v3: polls.played_ms and polls.played_option (the result the crew confirmed
 * with "Play it"), markers.poll (the poll whose crowd choice a song_start
 * marker started). Migrated by the hub at start; the report reads v1..v3. */

#define SCHEMA_SQL \
"CREATE TABLE IF NOT EXISTS chorus_meta(\n" \
"  key TEXT PRIMARY KEY, value TEXT NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS event(\n" \
"  id INTEGER PRIMARY KEY CHECK (id = 1), code TEXT NOT NULL,\n" \
"  name TEXT NOT NULL, config TEXT NOT NULL, created_ms INTEGER NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS reactions(\n" \
"  name TEXT PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0);\n" \
"CREATE TABLE IF NOT EXISTS devices(\n" \
"  id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, section TEXT NOT NULL DEFAULT '',\n" \
"  banned INTEGER NOT NULL DEFAULT 0);\n" \
"CREATE TABLE IF NOT EXISTS sessions(\n" \
"  id INTEGER PRIMARY KEY, device INTEGER NOT NULL DEFAULT 0, role TEXT NOT NULL,\n" \
"  section TEXT NOT NULL DEFAULT '', start_ms INTEGER NOT NULL, end_ms INTEGER);\n" \
"CREATE INDEX IF NOT EXISTS sessions_device ON sessions(device);\n" \
"CREATE TABLE IF NOT EXISTS polls(\n" \
"  id INTEGER PRIMARY KEY, question TEXT NOT NULL, allow_change INTEGER NOT NULL,\n" \
"  opened_ms INTEGER NOT NULL, closed_ms INTEGER, audience_at_open INTEGER NOT NULL,\n" \
"  reveal TEXT NOT NULL DEFAULT 'live', revealed_ms INTEGER,\n" \
"  played_ms INTEGER, played_option INTEGER);\n" \
"CREATE TABLE IF NOT EXISTS poll_options(\n" \
"  poll INTEGER NOT NULL REFERENCES polls(id), idx INTEGER NOT NULL, label TEXT NOT NULL,\n" \
"  PRIMARY KEY (poll, idx)) WITHOUT ROWID;\n" \
"CREATE TABLE IF NOT EXISTS votes(\n" \
"  poll INTEGER NOT NULL REFERENCES polls(id), device INTEGER NOT NULL,\n" \
"  option INTEGER NOT NULL, ts_ms INTEGER NOT NULL, changes INTEGER NOT NULL DEFAULT 0,\n" \
"  UNIQUE (poll, device));\n" \
"CREATE TABLE IF NOT EXISTS signals(\n" \
"  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, device INTEGER NOT NULL,\n" \
"  section TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL CHECK (kind IN ('vote','react','chant')),\n" \
"  poll INTEGER, option INTEGER, reaction TEXT, n INTEGER, text TEXT, chant_key TEXT);\n" \
"CREATE INDEX IF NOT EXISTS signals_ts ON signals(ts_ms);\n" \
"CREATE INDEX IF NOT EXISTS signals_device ON signals(device, kind);\n" \
"CREATE TABLE IF NOT EXISTS seconds(\n" \
"  sec INTEGER PRIMARY KEY, audience INTEGER NOT NULL, taps INTEGER NOT NULL,\n" \
"  votes INTEGER NOT NULL, chants INTEGER NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS second_reacts(\n" \
"  sec INTEGER NOT NULL, reaction TEXT NOT NULL, taps INTEGER NOT NULL,\n" \
"  PRIMARY KEY (sec, reaction)) WITHOUT ROWID;\n" \
"CREATE TABLE IF NOT EXISTS markers(\n" \
"  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL,\n" \
"  poll INTEGER);\n" \
"CREATE TABLE IF NOT EXISTS chant_mod(\n" \
"  key TEXT PRIMARY KEY, text TEXT NOT NULL, flags INTEGER NOT NULL, ts_ms INTEGER NOT NULL);\n" \
"CREATE TABLE IF NOT EXISTS mod_log(\n" \
"  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, session INTEGER NOT NULL DEFAULT 0,\n" \
"  action TEXT NOT NULL, key TEXT, text TEXT, device INTEGER, detail TEXT);\n"

/* From v1 to v2 (before SCHEMA_SQL, which then adds the new tables). */
#define SCHEMA_MIGRATE_V2 \
"ALTER TABLE devices ADD COLUMN banned INTEGER NOT NULL DEFAULT 0;\n" \
"ALTER TABLE signals ADD COLUMN chant_key TEXT;\n" \
"ALTER TABLE polls ADD COLUMN reveal TEXT NOT NULL DEFAULT 'live';\n" \
"ALTER TABLE polls ADD COLUMN revealed_ms INTEGER;\n" \
"UPDATE polls SET revealed_ms = opened_ms;\n"

/* From v2 to v3. */
#define SCHEMA_MIGRATE_V3 \
"ALTER TABLE polls ADD COLUMN played_ms INTEGER;\n" \
"ALTER TABLE polls ADD COLUMN played_option INTEGER;\n" \
"ALTER TABLE markers ADD COLUMN poll INTEGER;\n"

#endif
