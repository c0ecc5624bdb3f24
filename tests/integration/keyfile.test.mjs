// keyfile.test.mjs -- the token secret lives in a key file beside the
// database (<db>.key, mode 0600), never in the database: a copy handed to
// analysts can not mint tokens, and phones keep their devices across
// restarts. A database from before (secret in chorus_meta) is migrated at
// start: the secret moves to the key file and no byte of it stays in the
// database file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUB, DEMO, startHub, audience, tempDir, cleanup, sql } from './lib.mjs';

// Every file the database consists of, as bytes (WAL and shared memory too).
const dbBytes = (db) => Buffer.concat(['', '-wal', '-shm'].filter((x) => existsSync(db + x)).map((x) => readFileSync(db + x)));

test('a new database gets a key file; tokens survive a restart; a copy of the database holds no secret', async () => {
  const dir = tempDir();
  let hub = await startHub({ dir });
  const keyFile = `${hub.db}.key`;
  assert.ok(existsSync(keyFile), 'the key file is made beside the database');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const hex = readFileSync(keyFile, 'utf8');
  assert.match(hex, /^[0-9a-f]{64}\n$/);
  const secret = hex.trim();
  const phone = await audience(hub.url);
  const { token, device } = phone.welcome;
  phone.close();
  // An analyst's copy, made while the hub runs, as the README says.
  const copy = join(dir, 'analytics.db');
  sql(hub.db, `VACUUM INTO '${copy}'`);
  await hub.stop();

  assert.equal(sql(hub.db, "SELECT count(*) FROM chorus_meta WHERE key = 'token_secret'"), '0');
  assert.equal(dbBytes(hub.db).includes(secret), false, 'no byte of the secret in the database files');
  assert.equal(readFileSync(copy).includes(secret), false, 'nor in the copy');
  assert.equal(sql(copy, 'SELECT count(*) FROM devices'), '1', 'the copy has the data');

  hub = await startHub({ dir, db: hub.db });
  assert.equal(readFileSync(keyFile, 'utf8'), hex, 'the key file is kept as it is');
  const again = await audience(hub.url, { token });
  assert.equal(again.welcome.device, device, 'a token issued before the restart is still valid');
  again.close();
  await hub.stop();
  cleanup(dir);
});

test('a database from before the key file is migrated: same secret, now only in the key file', async () => {
  const dir = tempDir();
  let hub = await startHub({ dir });
  const keyFile = `${hub.db}.key`;
  const secret = readFileSync(keyFile, 'utf8').trim();
  const phone = await audience(hub.url);
  const { token, device } = phone.welcome;
  phone.close();
  await hub.stop();
  // The old layout: the secret in chorus_meta, no key file.
  sql(hub.db, `INSERT INTO chorus_meta(key, value) VALUES('token_secret', '${secret}')`);
  unlinkSync(keyFile);
  assert.equal(dbBytes(hub.db).includes(secret), true, 'the old database holds the secret');

  hub = await startHub({ dir, db: hub.db });
  assert.match(hub.output(), /msg="token secret moved out of the database into its key file"/);
  assert.equal(readFileSync(keyFile, 'utf8'), `${secret}\n`, 'the same secret, in the key file');
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(sql(hub.db, "SELECT count(*) FROM chorus_meta WHERE key = 'token_secret'"), '0');
  assert.equal(dbBytes(hub.db).includes(secret), false, 'no copy left in a page or the WAL');
  const again = await audience(hub.url, { token });
  assert.equal(again.welcome.device, device, 'phones keep their devices through the migration');
  again.close();
  await hub.stop();
  assert.equal(dbBytes(hub.db).includes(secret), false);

  // A key file of another database next to this one is refused, not used.
  sql(hub.db, `INSERT INTO chorus_meta(key, value) VALUES('token_secret', '${'ab'.repeat(32)}')`);
  const r = spawnSync(HUB, ['--port', '1', '--bind', '127.0.0.1', '--db', hub.db, '--event-file', DEMO],
    { encoding: 'utf8', timeout: 5000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /holds another token secret than this database/);
  assert.equal(readFileSync(keyFile, 'utf8'), `${secret}\n`, 'the key file is left alone');
  // A malformed key file stops the hub too (it never makes a new one over it).
  sql(hub.db, "DELETE FROM chorus_meta WHERE key = 'token_secret'");
  writeFileSync(keyFile, 'not a secret\n', { mode: 0o600 });
  const r2 = spawnSync(HUB, ['--port', '1', '--bind', '127.0.0.1', '--db', hub.db, '--event-file', DEMO],
    { encoding: 'utf8', timeout: 5000 });
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /does not hold a token secret/);
  cleanup(dir);
});
