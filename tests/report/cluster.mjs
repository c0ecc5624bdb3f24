// cluster.mjs -- one event served by several hubs (cluster mode, issue 14),
// reported as one: chorus-report --db HUB1.db --db HUB2.db ...
//   node tests/report/cluster.mjs REPORT_BIN GEN_BIN WORKDIR
// gen.c `cluster` writes one crowd twice: as ONE hub records it (the truth)
// and as 2 or 3 hubs of a cluster do (each its own devices, sessions,
// signals, per-second rows and votes, the crew's rows in every file). The
// report of the hubs' files merged must equal the report of the truth,
// figure by figure: the JSON, every CSV file and the text summary, whatever
// the order of --db. Then the rules one by one where the crowd alone can't
// tell, what must be refused (another event, another schema version, a file
// twice, more files than SQLite attaches), and that one --db prints what
// chorus-report printed before cluster mode (golden/). Prints "PASS name" or
// "FAIL name: why" per check; the suite counts them.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [REPORT, GEN, DIR] = process.argv.slice(2);
const HERE = new URL('.', import.meta.url).pathname;
let failed = 0;

function pass(name) { console.log(`PASS ${name}`); }
function fail(name, why) { failed++; console.log(`FAIL ${name}: ${why}`); }
function ok(name, cond, why) { if (cond) pass(name); else fail(name, why); }

/* The first difference between a and b (exact: the same integers give the
 * same doubles), or null. Both ways: a key only in b is a difference too. */
function diff(a, b, path = '') {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return a === b ? null : `${path || '.'}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (!(k in a) || !(k in b)) return `${path}.${k}: only in ${k in a ? 'the first' : 'the second'}`;
    const d = diff(a[k], b[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}
function same(name, a, b) { const d = diff(a, b); if (d) fail(name, d); else pass(name); }

function run(args) { return spawnSync(REPORT, args, { encoding: 'utf8' }); }
const dbArgs = (dbs) => dbs.flatMap((d) => ['--db', d]);
const sql = (db, q) => JSON.parse(execFileSync('sqlite3', ['-json', db, q]).toString() || '[]');

let nrep = 0;
/* Every output of one report: the JSON, the CSV files, the text summary. */
function report(dbs) {
  const tag = `r${++nrep}`, out = join(DIR, `${tag}.json`), csvDir = join(DIR, `${tag}-csv`);
  const r = run([...dbArgs(dbs), '--json', out, '--csv', csvDir]);
  if (r.status !== 0) throw new Error(`chorus-report ${dbs.join(' ')} exited ${r.status}: ${r.stderr}`);
  const t = run(dbArgs(dbs));
  if (t.status !== 0) throw new Error(`chorus-report ${dbs.join(' ')} (text) exited ${t.status}: ${t.stderr}`);
  const csv = Object.fromEntries(readdirSync(csvDir).sort().map((f) => [f, readFileSync(join(csvDir, f), 'utf8')]));
  return { json: JSON.parse(readFileSync(out, 'utf8')), csv, text: t.stdout };
}
/* The figures: the JSON without what names the files. */
function figures(json) {
  const j = structuredClone(json);
  delete j.event.hubs;
  delete j.event.sources;
  return j;
}
/* The text summary without the line naming the merged files. */
const textFigures = (t) => t.replace(/^hubs {13}\d+ databases merged:.*\n/m, '');

/* ---- the merge equals the truth, 3 hubs and 2, in every order ---- */
for (const n of [3, 2]) {
  const truthDb = join(DIR, `cl${n}.db`);
  execFileSync(GEN, ['cluster', truthDb, '--hubs', String(n)]);
  const hubs = Array.from({ length: n }, (_, i) => join(DIR, `cl${n}.hub${i + 1}.db`));
  const T = report([truthDb]);
  const name = `cluster ${n} hubs`;
  ok(`${name}: the one-hub file says hubs 1, its own name`, T.json.event.hubs === 1 &&
    diff(T.json.event.sources, [truthDb]) === null, JSON.stringify([T.json.event.hubs, T.json.event.sources]));

  /* The crowd holds the cases the rules are for (or the check proves little):
   * worked out by hand from gen.c's script, in the truth and in the files. */
  const last = hubs[n - 1];
  const v257 = hubs.map((h) => sql(h, 'SELECT changes FROM votes WHERE poll = 1 AND device = 257')[0]?.changes ?? null);
  const atOpen = hubs.map((h) => sql(h, 'SELECT audience_at_open AS a FROM polls WHERE id = 1')[0].a);
  ok(`${name}: the files hold what a cluster writes (a vote changed on two hubs, per-hub audience, a missed close and hide, an unnamed relayed action)`,
    diff(v257.slice(0, 2), [0, 1]) === null && atOpen.reduce((x, y) => x + y, 0) === 7 && Math.max(...atOpen) < 7 &&
    sql(last, 'SELECT closed_ms FROM polls WHERE id = 2')[0].closed_ms === null &&
    sql(last, "SELECT session FROM mod_log WHERE action = 'mode' AND detail = 'auto'")[0].session === 0 &&
    sql(last, "SELECT flags FROM chant_mod WHERE key = 'louder'")[0].flags === 1 &&
    sql(hubs[0], 'SELECT section FROM devices WHERE id = 257')[0].section === 'A' &&
    sql(hubs[1], 'SELECT section FROM devices WHERE id = 257')[0].section === 'C',
    JSON.stringify({ v257, atOpen }));
  const P1 = T.json.polls[0], tl = T.json.timeline, s120 = tl.sec.indexOf(1767225720);
  ok(`${name}: the truth has them too (2 changes of device 257, 7 at the openings, poll 2 closed and played, 13 hearts in one second from two hubs)`,
    P1.changes === 3 && P1.changed_devices === 2 && P1.audience_at_open === 7 && T.json.polls[1].audience_at_open === 7 &&
    T.json.polls[1].closed_ms !== null && T.json.cocreation.chosen.length === 1 && tl.reactions.heart[s120] === 13 &&
    T.csv['votes.csv'].includes('\n1,257,0,1767225980000,2026-01-01T00:06:20.000Z,2\n') &&
    /\n257,C,all,1767225603000,/.test(T.csv['devices.csv']) && T.json.moderation.sessions.length === 2,
    JSON.stringify({ changes: P1.changes, heart: tl.reactions.heart[s120] }));

  const orders = n === 3 ? [[1, 2, 3], [3, 1, 2], [2, 3, 1]] : [[1, 2], [2, 1]];
  for (const [oi, order] of orders.entries()) {
    const files = order.map((h) => hubs[h - 1]);
    const M = report(files);
    const tag = `${name}, --db in order ${order.join(',')}`;
    ok(`${tag}: event.hubs ${n}, event.sources the files as given`, M.json.event.hubs === n &&
      diff(M.json.event.sources, files) === null, JSON.stringify([M.json.event.hubs, M.json.event.sources]));
    const t = figures(T.json), m = figures(M.json);
    if (oi === 0) for (const fig of Object.keys(t)) same(`${tag}: ${fig} = the one-hub truth`, t[fig], m[fig]);
    else same(`${tag}: every figure = the one-hub truth`, t, m);
    if (oi === 0) for (const f of Object.keys(T.csv)) same(`${tag}: ${f} = the one-hub truth`, T.csv[f], M.csv[f]);
    else same(`${tag}: every CSV file = the one-hub truth`, T.csv, M.csv);
    ok(`${tag}: text summary = the one-hub truth, plus the line naming the files`,
      textFigures(M.text) === T.text && M.text.includes(`hubs             ${n} databases merged: ${files.join(', ')}\n`),
      JSON.stringify(M.text.split('\n').slice(0, 3)));
  }
}

const hubs = [1, 2, 3].map((h) => join(DIR, `cl3.hub${h}.db`));
const truth = report([join(DIR, 'cl3.db')]);
{
  const r = run([...dbArgs(hubs), '--html', join(DIR, 'cluster.html')]);
  const html = r.status === 0 ? readFileSync(join(DIR, 'cluster.html'), 'utf8') : '';
  const single = run(['--db', join(DIR, 'cl3.db'), '--html', join(DIR, 'cluster1.html')]);
  ok('cluster html: says it merged 3 hubs (one hub: not a word)', html.includes('merged from the databases of <b>3</b> hubs') &&
    single.status === 0 && !readFileSync(join(DIR, 'cluster1.html'), 'utf8').includes('merged from'), r.stderr);
}

/* ---- at least 8 files: 3 hubs and 5 that served nobody = the truth ---- */
const idle = [];
for (let i = 1; i <= 9; i++) {
  const f = join(DIR, `idle${i}.db`);
  copyFileSync(hubs[2], f);
  execFileSync('sqlite3', [f, `DELETE FROM sessions; DELETE FROM signals; DELETE FROM devices; DELETE FROM votes;
    DELETE FROM seconds; DELETE FROM second_reacts; DELETE FROM mod_log WHERE action = 'blocked';
    UPDATE reactions SET total = 0; UPDATE polls SET audience_at_open = 0;`]);
  idle.push(f);
}
{
  const eight = [...hubs, ...idle.slice(0, 5)];
  const E = report(eight);
  ok('8 databases (3 hubs, 5 idle ones) merge: event.hubs 8', E.json.event.hubs === 8, `hubs ${E.json.event.hubs}`);
  same('8 databases (3 hubs, 5 idle ones): every figure = the one-hub truth', figures(truth.json), figures(E.json));
  same('8 databases (3 hubs, 5 idle ones): every CSV file = the one-hub truth', truth.csv, E.csv);
}

/* ---- rules the crowd alone can't tell ---- */
{
  /* A ban one hub's file missed: banned on any hub is banned. */
  const a = join(DIR, 'ban1.db'), b = join(DIR, 'ban2.db');
  copyFileSync(hubs[0], a);
  copyFileSync(hubs[1], b);
  execFileSync('sqlite3', [a, 'UPDATE devices SET banned = 1 WHERE id = 257']);
  const x = report([a, b, hubs[2]]).json.moderation, y = report([hubs[2], b, a]).json.moderation;
  ok('a device banned in one hub\'s file only is banned (either order)', x.banned_devices === 2 && y.banned_devices === 2,
    `${x.banned_devices}, ${y.banned_devices}`);
}

/* ---- refused: one line on stderr, exit 1, nothing written ---- */
writeFileSync(join(DIR, 'notsqlite.db'), 'hello, this is not a database at all, just some text padding it out.\n'.repeat(20));
execFileSync(GEN, ['small', join(DIR, 'small.db')]);
const v2 = join(DIR, 'v2.db');
copyFileSync(hubs[1], v2);
execFileSync('sqlite3', [v2, 'PRAGMA user_version = 2']);
const twelve = [...hubs, ...idle];
const hardLink = join(DIR, 'hard.db');
if (!existsSync(hardLink)) linkSync(hubs[1], hardLink);
const refused = [
  ['a database of another event', [hubs[0], join(DIR, 'small.db')], /small\.db holds event SMALL and .*cl3\.hub1\.db event CLUS: only the databases of one event's hubs merge/],
  ['another schema version', [hubs[0], v2, hubs[2]], /v2\.db is of schema version 2 and .*cl3\.hub1\.db of 3/],
  ['the same file twice', [hubs[0], hubs[1], hubs[0]], /cl3\.hub1\.db and .*cl3\.hub1\.db are the same database/],
  ['one file under two names (a hard link)', [hubs[0], hubs[1], hardLink], /cl3\.hub2\.db and .*hard\.db are the same database/],
  ['more files than SQLite attaches', twelve, /too many databases: 12, at most \d+ \(SQLite attaches \d+ besides the first\)/],
  ['not an SQLite file among them', [hubs[0], join(DIR, 'notsqlite.db')], /notsqlite\.db: not a Chorus database/],
  ['a missing file among them', [hubs[0], join(DIR, 'nope.db')], /nope\.db: No such file/],
];
for (const [what, dbs, re] of refused) {
  const out = join(DIR, `refused-${what.replace(/\W+/g, '-')}.json`);
  const r = run([...dbArgs(dbs), '--json', out]);
  const first = r.stderr.split('\n')[0];
  ok(`refused: ${what}`, r.status === 1 && first.startsWith('chorus-report: ') && re.test(first) && !existsSync(out),
    `exit ${r.status}, stderr ${JSON.stringify(r.stderr)}`);
}
{
  const r = run([...dbArgs(hubs.slice(0, 2)), '--compare', hubs[2]]);
  ok('several --db and --compare exclude each other (exit 2)', r.status === 2 && /exclude each other/.test(r.stderr), r.stderr);
}

/* ---- one --db: what chorus-report printed before cluster mode ----
 * golden/ holds the JSON and text written by chorus-report before it read
 * several hubs (commit 3eabcff) for gen.c's `mod` and `cocreation`. A single
 * --db must print the same bytes, but for the two keys event.hubs and
 * event.sources (the last of `event`). Regenerate them only with a change
 * of a figure's definition, and say so in that commit. */
for (const mode of ['mod', 'cocreation']) {
  const db = join(DIR, `${mode}.db`), out = join(DIR, `${mode}.golden.json`);
  execFileSync(GEN, [mode, db]);
  const r = run(['--db', db, '--json', out]);
  const got = r.status === 0 ? readFileSync(out, 'utf8') : '';
  const hubsKeys = /,\n {2}"hubs": 1,\n {2}"sources": \[\n {3}"[^"\n]*"\n {2}\]/;
  ok(`one --db (${mode}): the JSON is byte for byte as before, plus event.hubs 1 and event.sources`,
    hubsKeys.test(got) && got.replace(hubsKeys, '') === readFileSync(join(HERE, 'golden', `${mode}.json`), 'utf8'),
    r.status ? r.stderr : 'differs (compare with tests/report/golden)');
}
{
  const t = run(['--db', join(DIR, 'mod.db')]);
  ok('one --db (mod): the text summary is byte for byte as before', t.status === 0 &&
    t.stdout === readFileSync(join(HERE, 'golden', 'mod.txt'), 'utf8'), JSON.stringify(t.stdout.slice(0, 300)));
}

console.log(`cluster.mjs: ${failed ? 'some checks failed' : 'all checks passed'}`);
process.exit(failed ? 1 : 0);
