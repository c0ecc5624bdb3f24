// check.mjs -- chorus-report against databases with a known truth.
//   node tests/report/check.mjs REPORT_BIN GEN_BIN WORKDIR
// Generates the scripted databases (gen.c), runs the real binary on them and
// compares every figure with expect.mjs (worked out by hand) or, for the
// generated crowd, with the generator's own tallies. Prints "PASS name" or
// "FAIL name: why" per check; the suite counts them.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as X from './expect.mjs';

const [REPORT, GEN, DIR] = process.argv.slice(2);
let failed = 0;

function pass(name) { console.log(`PASS ${name}`); }
function fail(name, why) { failed++; console.log(`FAIL ${name}: ${why}`); }

/* Every key of `exp` must be in `act` with an equal value (numbers to 1e-6,
 * arrays of the same length). Returns the first difference or null. */
function diff(exp, act, path = '') {
  if (exp === null || typeof exp !== 'object') {
    if (typeof exp === 'number' && typeof act === 'number') return Math.abs(exp - act) <= 1e-6 ? null : `${path}: expected ${exp}, got ${act}`;
    return exp === act ? null : `${path}: expected ${JSON.stringify(exp)}, got ${JSON.stringify(act)}`;
  }
  if (Array.isArray(exp)) {
    if (!Array.isArray(act)) return `${path}: expected an array, got ${JSON.stringify(act)}`;
    if (exp.length !== act.length) return `${path}: expected ${exp.length} items, got ${act.length}: ${JSON.stringify(act).slice(0, 300)}`;
    for (let i = 0; i < exp.length; i++) { const d = diff(exp[i], act[i], `${path}[${i}]`); if (d) return d; }
    return null;
  }
  if (act === null || typeof act !== 'object') return `${path}: expected an object, got ${JSON.stringify(act)}`;
  for (const k of Object.keys(exp)) { const d = diff(exp[k], act[k], `${path}.${k}`); if (d) return d; }
  return null;
}

function check(name, exp, act) { const d = diff(exp, act); if (d) fail(name, d); else pass(name); }
function ok(name, cond, why) { if (cond) pass(name); else fail(name, why); }

function run(args) { return spawnSync(REPORT, args, { encoding: 'utf8' }); }
function gen(mode, file, extra = []) { execFileSync(GEN, [mode, join(DIR, file), ...extra]); return join(DIR, file); }
function report(db, extra = []) {
  const out = join(DIR, db.replace(/.*\//, '') + '.json');
  const r = run(['--db', db, '--json', out, ...extra]);
  if (r.status !== 0) throw new Error(`chorus-report ${db} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8'));
}

/* ---- small: every figure against the hand-worked truth ---- */
const small = gen('small', 'small.db');
const csvDir = join(DIR, 'small-csv');
const htmlFile = join(DIR, 'small.html');
const R = report(small, ['--csv', csvDir, '--html', htmlFile]);
for (const fig of Object.keys(X.small)) check(`small: ${fig}`, X.small[fig], R[fig]);

const tl = R.timeline;
ok('small: timeline length (gap of 60 s not recorded)', tl.sec.length === X.smallTimeline.length, `got ${tl.sec.length}`);
for (const row of X.smallTimeline.rows) {
  const i = tl.sec.indexOf(row[0]);
  const got = i < 0 ? null : [tl.sec[i], tl.audience[i], tl.taps[i], tl.votes[i], tl.chants[i],
                              tl.reactions.heart[i], tl.reactions.fire[i], tl.reactions.clap[i]];
  check(`small: timeline second S+${row[0] - X.S}`, row, got);
}
ok('small: timeline has no second of the gap', !tl.sec.some((s) => s >= X.S + 1800 && s <= X.S + 1859), 'gap seconds present');
const sum = (a) => a.reduce((x, y) => x + y, 0);
check('small: timeline sums', X.smallTimeline.sums, {
  taps: sum(tl.taps), votes: sum(tl.votes), chants: sum(tl.chants),
  heart: sum(tl.reactions.heart), fire: sum(tl.reactions.fire), clap: sum(tl.reactions.clap),
});
ok('small: JSON has no detail section', R.detail === undefined, 'detail present');

/* CSV */
/* Every *_ms column is followed by its ISO 8601 UTC twin (*_utc; the
 * timeline's sec by time_utc). utcChecked() checks each twin against its
 * epoch value and returns the lines without the twins, for the checks below. */
function splitCsv(line) {
  const out = [];
  let cur = '', q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) { if (c === '"' && line[i + 1] === '"') { cur += '""'; i++; } else if (c === '"') { q = false; cur += c; } else cur += c; }
    else if (c === '"') { q = true; cur += c; } else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}
function utcChecked(name, lines) {
  const head = splitCsv(lines[0]);
  const twins = head.map((h, i) => (/_utc$/.test(h) ? i : -1)).filter((i) => i >= 0);
  let bad = '';
  for (const l of lines.slice(1)) {
    const f = splitCsv(l);
    for (const i of twins) {
      const ms = head[i] === 'time_utc' ? Number(f[i - 1]) * 1000 : Number(f[i - 1]);
      const want = f[i - 1] === '' ? '' : new Date(ms).toISOString();
      if (f[i] !== want && !bad) bad = `${head[i]}: ${f[i]} for ${f[i - 1]} (want ${want})`;
    }
  }
  ok(`${name}: every *_ms has its ISO 8601 UTC twin`, twins.length > 0 && !bad, bad || 'no *_utc column');
  return lines.map((l) => splitCsv(l).filter((_, i) => !twins.includes(i)).join(','));
}
const csv = (f) => utcChecked(`csv ${f}`, readFileSync(join(csvDir, f), 'utf8').trimEnd().split('\n'));
const dev = csv('devices.csv');
check('small csv: devices.csv', ['id,section,level,created_ms,first_ms,sessions,connected_s,reacts,taps,votes,chants', ...X.smallDevicesCsv], dev);
check('small csv: chants.csv', ['rank,text,count,devices,first_ms,hidden,held,approved_ms', `1,LOUDER,3,2,${X.T + 130000},0,0,`,
  `2,encore,1,1,${X.T + 2100000},0,0,`, `3,"say ""hey"", ho",1,1,${X.T + 1160000},0,0,`, `4,we love you,1,1,${X.T + 1150000},0,0,`],
  csv('chants.csv'));
check('small csv: mod_log.csv (no moderation: the header only)', ['ts_ms,session,action,text,device,detail'], csv('mod_log.csv'));
check('small csv: votes.csv', ['poll,device,option,ts_ms,changes', `1,2,0,${X.T + 1340000},3`, `1,4,1,${X.T + 1310400},0`,
  `2,1,0,${X.T + 1605000},0`], csv('votes.csv'));
const polls = csv('polls.csv');
check('small csv: polls.csv', [
  'poll,question,allow_change,opened_ms,closed_ms,audience_at_open,voters,turnout,turnout_of_peak,peak_during,changed_devices,changes,option,label,votes,share,winner',
  `1,Best song?,1,${X.T + 1300000},${X.T + 1500000},2,2,1,0.666667,3,1,3,0,Song One,1,0.5,1`,
  `1,Best song?,1,${X.T + 1300000},${X.T + 1500000},2,2,1,0.666667,3,1,3,1,Song Two,1,0.5,1`,
  `1,Best song?,1,${X.T + 1300000},${X.T + 1500000},2,2,1,0.666667,3,1,3,2,Both,0,0,0`,
  `2,Encore?,0,${X.T + 1600000},,3,1,0.333333,0.333333,3,0,0,0,Yes,1,1,1`,
  `2,Encore?,0,${X.T + 1600000},,3,1,0.333333,0.333333,3,0,0,1,No,0,0,0`], polls);
const tcsv = csv('timeline.csv');
ok('small csv: timeline.csv rows', tcsv.length === 1 + 2340, `got ${tcsv.length} lines`);
check('small csv: timeline.csv header and marker rows', [
  'sec,audience,taps,votes,chants,taps_heart,taps_fire,taps_clap,markers',
  `${X.S + 60},5,0,0,0,0,0,0,Song One`, `${X.S + 120},4,20,0,0,10,3,7,`, `${X.S + 900},4,0,0,0,0,0,0,Technical break`],
  [tcsv[0], tcsv.find((l) => l.startsWith(`${X.S + 60},`)), tcsv.find((l) => l.startsWith(`${X.S + 120},`)),
   tcsv.find((l) => l.startsWith(`${X.S + 900},`))]);

/* HTML: self-contained, figures present, data escaped */
const html = readFileSync(htmlFile, 'utf8');
ok('small html: self-contained (no external src/href)', !/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), 'external reference found');
ok('small html: turnout against the poll\'s busiest moment, its definition one click away',
  html.includes('phones voted, <b>66.7%</b> of the <b>3</b> connected at the busiest moment of the poll') &&
  html.includes('<summary>how is this counted?</summary>'), 'turnout wording missing');
{
  const helpText = execFileSync(process.argv[2], ['--help']).toString();
  ok('--help says what each output holds and the default',
    /timeline\.csv\s+one row per second/.test(helpText) && /ISO 8601/.test(helpText) &&
    /Default \(no output option\): a short text summary/.test(helpText), helpText);
}
ok('small html: Chart.js inlined', html.includes('Chart.js v4.6.1') && html.includes('<canvas id=ch-timeline>'), 'chart library missing');
ok('small html: headline and sections', ['Small Test Night', 'Devices joined', 'Peak moments', 'Best song?', 'Engagement ladder',
  'Retention', 'Loudest section', 'Technical break', 'say &quot;hey&quot;, ho'].every((s) => html.includes(s)),
  'a heading or figure is missing');
ok('small html: embedded JSON cannot close its script', !/<\/script>(?![\s\S]*<script)/.test(html.slice(0, html.indexOf('id=report-data'))) &&
  (html.match(/<\/script>/g) || []).length === 3, 'unexpected </script> count');

/* Hostile text from the crowd or the crew must stay text. */
const evil = join(DIR, 'evil.db');
execFileSync(GEN, ['small', evil]);
execFileSync('sqlite3', [evil, `INSERT INTO signals(ts_ms, device, section, kind, text) VALUES (${X.T + 1170000}, 4, 'B', 'chant', '<!--<script>alert(1)</script>');
  UPDATE event SET name = '<b>Evil</b> & co'; UPDATE markers SET label = '</script><script>alert(2)//' WHERE id = 3;`]);
const eh1 = run(['--db', evil, '--html', join(DIR, 'evil.html')]);
const ehtml = eh1.status === 0 ? readFileSync(join(DIR, 'evil.html'), 'utf8') : '';
ok('html: hostile chant, marker and event name stay text', eh1.status === 0 && (ehtml.match(/<\/script>/g) || []).length === 3 &&
  !ehtml.includes('<!--<script>') && !ehtml.includes('<script>alert') && ehtml.includes('<h1>&lt;b&gt;Evil&lt;/b&gt; &amp; co</h1>') &&
  ehtml.includes('&lt;/script&gt;&lt;script&gt;alert(2)//'), `exit ${eh1.status} ${eh1.stderr}`);

execFileSync('sqlite3', [evil, "UPDATE markers SET label = CAST(X'536F6E67C328' AS TEXT) WHERE id = 1"]);
const EV = report(evil);
check('json: invalid UTF-8 in a label becomes ? (key kept)', { id: 1, label: 'Song?(' }, EV.markers[0]);

/* ---- "no section": one definition in every table (issue 10 item 13) ----
 * Every table of devices by section (the audience by section, the ladder,
 * the loudest section) counts the same devices, by the section each had
 * when it sent something (docs/analytics.md, "No section"). A phone that
 * joined without a section (its session says so), tapped, then picked C on
 * the same session and tapped again is in "no section" AND C everywhere;
 * the watcher d5 (never picked one) is in "no section" only. */
function sectionsAgree(name, R) {
  const rows = (list) => Object.fromEntries(list.map((s) => [s.section, s.devices]));
  const reach = rows(R.reach.sections), ladder = rows(R.ladder.sections), loud = rows(R.sections.sections);
  const bad = Object.keys(reach).filter((k) => reach[k] !== ladder[k] || reach[k] !== loud[k])
    .map((k) => `${k || 'no section'}: audience ${reach[k]}, ladder ${ladder[k]}, loudest ${loud[k]}`);
  ok(`${name}: every table counts the same devices per section`, bad.length === 0 && R.reach.sections.length === R.sections.sections.length, bad.join('; '));
}
const picked = join(DIR, 'picked.db');
execFileSync(GEN, ['small', picked]);
execFileSync('sqlite3', [picked, `INSERT INTO devices(id, created_ms, section) VALUES (6, ${X.T + 50000}, 'C');
  INSERT INTO sessions(device, role, section, start_ms, end_ms) VALUES (6, 'audience', '', ${X.T + 50000}, ${X.T + 900000});
  INSERT INTO signals(ts_ms, device, section, kind, reaction, n) VALUES (${X.T + 60500}, 6, '', 'react', 'heart', 4),
    (${X.T + 400000}, 6, 'C', 'react', 'clap', 6);`]);
const P = report(picked);
check('no section: a phone that picked C after joining is in both, in every table', {
  reach: [['A', 2], ['B', 3], ['C', 1], ['', 2]],
  ladder: [['A', 2, [0, 1, 0, 0, 1]], ['B', 3, [0, 0, 1, 1, 1]], ['C', 1, [0, 1, 0, 0, 0]], ['', 2, [1, 1, 0, 0, 0]]],
  loudest: [['A', 2, 40], ['B', 3, 26], ['C', 1, 6], ['', 2, 4]],
}, {
  reach: P.reach.sections.map((s) => [s.section, s.devices]),
  ladder: P.ladder.sections.map((s) => [s.section, s.devices, s.counts]),
  loudest: P.sections.sections.map((s) => [s.section, s.devices, s.taps]),
});
sectionsAgree('no section (picked later)', P);
sectionsAgree('small', R);
{
  const ph = run(['--db', picked, '--html', join(DIR, 'picked.html')]);
  const t = ph.status === 0 ? readFileSync(join(DIR, 'picked.html'), 'utf8') : '';
  const rule = 'A phone counts in the section it had when it sent something';
  ok('no section: the HTML states the one rule at both tables', t.split(rule).length - 1 === 2, `exit ${ph.status}, rule found ${t.split(rule).length - 1} times`);
}

/* ---- quiet (no polls, no chants, no markers) and empty ---- */
const Q = report(gen('quiet', 'quiet.db'));
for (const fig of Object.keys(X.quiet)) check(`quiet: ${fig}`, X.quiet[fig], Q[fig]);
sectionsAgree('quiet', Q);
const E = report(gen('empty', 'empty.db'));
for (const fig of Object.keys(X.empty)) check(`empty: ${fig}`, X.empty[fig], E[fig]);
const eh = run(['--db', join(DIR, 'empty.db'), '--html', join(DIR, 'empty.html')]);
ok('empty: HTML renders', eh.status === 0 && readFileSync(join(DIR, 'empty.html'), 'utf8').includes('No poll was opened'), eh.stderr);

/* ---- moderation (schema v2) and an un-migrated v1 archive of the same crowd ---- */
const modDb = gen('mod', 'mod.db');
const modCsv = join(DIR, 'mod-csv');
const MD = report(modDb, ['--csv', modCsv, '--html', join(DIR, 'mod.html')]);
for (const fig of Object.keys(X.mod)) check(`mod: ${fig}`, X.mod[fig], MD[fig]);
sectionsAgree('mod', MD);
const mcsv = (f) => utcChecked(`mod csv ${f}`, readFileSync(join(modCsv, f), 'utf8').trimEnd().split('\n'));
check('mod csv: chants.csv (one row per group, hidden, held, approval)', X.modChantsCsv, mcsv('chants.csv'));
check('mod csv: mod_log.csv (the audit trail, every row)', X.modLogCsv, mcsv('mod_log.csv'));
const mhtml = readFileSync(join(DIR, 'mod.html'), 'utf8');
ok('mod html: moderation section and hidden mark', ['<h2>Moderation</h2>', 'chants held for approval', '<td class=n>6</td>',
  'go team <span class=tag-hidden>hidden</span>', 'mod_log.csv'].every((x) => mhtml.includes(x)), 'a moderation figure is missing');
const mtext = run(['--db', modDb]);
ok('mod text: grouped top chant and moderation lines', mtext.status === 0 && mtext.stdout.includes('top chant        "Encore" x4\n') &&
  mtext.stdout.includes('moderation       mode auto (2 mode changes); 3 blocked, 6 held, 3 texts approved, 2 hidden; 1 devices banned (2 ever)') &&
  mtext.stdout.includes('approval time    median 50.0 s, p95 160.0 s (3 texts)') && mtext.stdout.includes('crew session 2    6 actions'),
  JSON.stringify(mtext.stdout));

/* The event file's mode counts until the crew's first 'mode' action: started
 * in approve mode, the two sends before +30 s are held too (encore approved
 * at +60 s). A hidden top chant is marked in --compare. */
const modApprove = gen('mod', 'mod-approve.db');
execFileSync('sqlite3', [modApprove, `UPDATE event SET config = json_set(config, '$.moderation.mode', 'approve');
  UPDATE chant_mod SET flags = 3 WHERE key = 'encore';`]);
const MA = report(modApprove);
check('mod: held from the event file\'s approve mode', { mode_start: 'approve', mode_end: 'auto', held: 8, held_texts: 3,
  hidden_texts: 3, hidden_chants: 7 }, MA.moderation);
check('mod: hidden top chant', { text: 'Encore', count: 4, hidden: true }, MA.chants.top[0]);

const v1Db = gen('v1', 'v1.db');
const v1Csv = join(DIR, 'v1-csv');
const V1 = report(v1Db, ['--csv', v1Csv, '--html', join(DIR, 'v1.html')]);
for (const fig of Object.keys(X.v1)) check(`v1: ${fig}`, X.v1[fig], V1[fig]);
for (const fig of ['reach', 'funnel', 'ladder', 'timeline', 'markers', 'peaks', 'polls', 'cocreation', 'retention', 'sections'])
  check(`v1: ${fig} as in the same crowd's v3 database`, MD[fig], V1[fig]);
const vcsv = (f) => utcChecked(`v1 csv ${f}`, readFileSync(join(v1Csv, f), 'utf8').trimEnd().split('\n'));
check('v1 csv: chants.csv by exact text, no moderation columns filled', ['rank,text,count,devices,first_ms,hidden,held,approved_ms',
  `1,louder,2,2,${X.T + 110000},0,,`, `2,ENCORE,1,1,${X.T + 40000},0,,`], vcsv('chants.csv').slice(0, 3));
check('v1 csv: mod_log.csv has the header only', ['ts_ms,session,action,text,device,detail'], vcsv('mod_log.csv'));
ok('v1 html: moderation not recorded', readFileSync(join(DIR, 'v1.html'), 'utf8').includes('Not recorded: this database is of schema v1'),
  'no v1 notice');
const vtext = run(['--db', v1Db]);
ok('v1 text: summary', vtext.status === 0 && vtext.stdout.includes('top chant        "louder" x2\n') &&
  vtext.stdout.includes('moderation       not recorded (schema v1 database)'), vtext.stderr + vtext.stdout);
check('v1: the archive is left as it was (read-only, not migrated)', [{ user_version: 1, chant_key: 0, mod_log: 0 }],
  JSON.parse(execFileSync('sqlite3', ['-json', v1Db, "SELECT (SELECT user_version FROM pragma_user_version) AS user_version, " +
    "(SELECT count(*) FROM pragma_table_info('signals') WHERE name = 'chant_key') AS chant_key, " +
    "(SELECT count(*) FROM sqlite_master WHERE name = 'mod_log') AS mod_log"]).toString()));

/* ---- co-creation ("Play it", schema v3) and the same crowd in a v2 file ---- */
const playDb = gen('cocreation', 'play.db');
const playCsv = join(DIR, 'play-csv');
const PL = report(playDb, ['--csv', playCsv, '--html', join(DIR, 'play.html')]);
for (const fig of Object.keys(X.cocreation)) check(`cocreation: ${fig}`, X.cocreation[fig], PL[fig]);
check('cocreation csv: cocreation_songs.csv (one row per song)', X.cocreationSongsCsv,
  utcChecked('cocreation csv cocreation_songs.csv', readFileSync(join(playCsv, 'cocreation_songs.csv'), 'utf8').trimEnd().split('\n')));
const phtml = readFileSync(join(DIR, 'play.html'), 'utf8');
const phsec = phtml.slice(phtml.indexOf('<h2>Co-creation</h2>'), phtml.indexOf('</section>', phtml.indexOf('<h2>Co-creation</h2>')));
ok('cocreation html: the lift in words', phsec.includes('During the song the crowd chose, each phone tapped <b>9.6</b> times a minute; ' +
  'during the other 2 songs <b>3.0</b>: <b>3.2&times;</b> as much. <b>63%</b> of voters were on the winning side.'), phsec.slice(0, 600));
ok('cocreation html: one row per crowd choice (question, choice, votes, share, confirmed, song or not played)',
  phsec.includes('<tr><td>1. What next?</td><td>Neon Skies</td><td class=n>3 <span class=muted>of 4</span></td><td class=n>75.0%</td>' +
    '<td>+2:55</td><td><span class="mk mk-start">Neon Skies</span> <span class=muted>+3:00</span></td></tr>') &&
  phsec.includes('<tr><td>2. Last song?</td><td>Rain</td><td class=n>2 <span class=muted>of 4</span></td><td class=n>50.0%</td>' +
    '<td>+7:40</td><td class=muted>not played</td></tr>'), phsec.slice(0, 1500));
ok('cocreation html: songs table marks the crowd\'s choice, chart canvas',
  phsec.includes('<tr class=win><td>Neon Skies <span class=tag-chosen>crowd&rsquo;s choice</span></td><td>+3:00</td><td class=n>100</td>' +
    '<td class=n>10.4</td><td class=n>9.6</td></tr>') && phsec.includes('<canvas id=ch-cocreation>') &&
  phtml.includes('Neon Skies <span class=tag-chosen>crowd&rsquo;s choice, poll 1</span>'), 'songs table or markers badge missing');
const ptext = run(['--db', playDb]);
ok('cocreation text: one line', ptext.status === 0 && ptext.stdout.includes('co-creation      2 crowd choices played, 1 of 3 songs chosen; ' +
  'taps/min per phone 9.6 chosen vs 3.0 other (3.2x); 62.5% of voters on the winning side\n'), JSON.stringify(ptext.stdout));

const P2 = report(gen('cocreation-v2', 'play2.db'), ['--html', join(DIR, 'play2.html')]);
for (const fig of Object.keys(X.cocreationV2)) check(`cocreation v2: ${fig}`, X.cocreationV2[fig], P2[fig]);
/* (peaks and chant segments carry their marker, whose poll is null in v2) */
for (const fig of ['reach', 'totals', 'funnel', 'timeline', 'polls', 'retention', 'sections'])
  check(`cocreation v2: ${fig} as in the same crowd's v3 database`, PL[fig], P2[fig]);
ok('cocreation v2 html: no crowd choice recorded', readFileSync(join(DIR, 'play2.html'), 'utf8').includes(
  'No crowd choice recorded: this database is of schema v2, from before &ldquo;Play it&rdquo;.</p>\n<div class="note lift">' +
  'No song was started from a crowd choice. During the 3 songs, each phone tapped <b>4.7</b> times a minute.'), 'no v2 notice');
ok('small html: co-creation section without a played poll', html.includes('<h2>Co-creation</h2>') &&
  html.includes('The crew confirmed no poll result with &ldquo;Play it&rdquo;.'), 'no co-creation section');
check('small csv: cocreation_songs.csv', ['marker,label,start_ms,end_ms,poll,seconds,taps,device_minutes,taps_per_device_minute',
  `1,Song One,${X.T + 60000},${X.T + 600000},,540,60,36.666667,1.636364`, `4,Song Two,${X.T + 1000000},${X.T + 2000000},,940,6,46.166667,0.129964`],
  csv('cocreation_songs.csv'));
{
  const e = run(['--db', join(DIR, 'empty.db')]);
  ok('empty text: co-creation line', e.status === 0 && e.stdout.includes('co-creation      no crowd choice played, no song marked\n'), JSON.stringify(e.stdout));
}

/* ---- generated crowd: the generator's own tallies ---- */
const mid = gen('big', 'mid.db', ['--devices', '3000', '--signals', '300000', '--expect', join(DIR, 'mid.expect.json')]);
const G = JSON.parse(readFileSync(join(DIR, 'mid.expect.json'), 'utf8'));
const M = report(mid);
check('crowd: reach', { devices: G.devices, sessions: G.sessions, rejoined_devices: G.rejoined, peak_audience: G.peak_audience, peak_sec: G.peak_sec }, M.reach);
check('crowd: funnel', G.funnel, M.funnel.map((s) => s.devices));
check('crowd: ladder', G.ladder, M.ladder.overall.counts);
check('crowd: totals', { taps: G.taps, react_signals: G.react_signals, votes: G.votes, chants: G.chants }, M.totals);
check('crowd: timeline length', G.timeline_len, M.timeline.sec.length);
check('crowd: top peak', { sec: G.top_peak_sec, taps: G.top_peak_taps }, M.peaks[0]);
check('crowd: top chant', { text: G.top_chant, count: G.top_chant_count }, M.chants.top[0]);
check('crowd: section taps', G.section_taps, Object.fromEntries(M.sections.sections.map((s) => [s.section, s.taps])));
sectionsAgree('crowd', M);
check('crowd: polls', G.polls, M.polls.map((p) => ({ voters: p.voters, changed: p.changed_devices, counts: p.options.map((o) => o.votes) })));
ok('crowd: tally ends at the result', M.polls.every((p) => diff(p.options.map((o) => o.votes), p.tally.counts[p.tally.counts.length - 1]) === null),
  'last tally row differs from the votes table');
ok('crowd: 10 peaks, 30 s apart, by falling taps', M.peaks.length === 10 && M.peaks.every((p, i) => i === 0 ||
  (p.taps <= M.peaks[i - 1].taps && M.peaks.slice(0, i).every((q) => Math.abs(q.sec - p.sec) >= 30))), JSON.stringify(M.peaks.map((p) => [p.sec, p.taps])));

/* ---- compare ---- */
const cmpJson = join(DIR, 'compare.json');
const c = run(['--compare', small, join(DIR, 'quiet.db'), mid, modApprove, v1Db, '--json', cmpJson, '--html', join(DIR, 'compare.html')]);
if (c.status !== 0) fail('compare: runs', c.stderr);
else {
  const C = JSON.parse(readFileSync(cmpJson, 'utf8'));
  check('compare: headline figures', [
    { code: 'SMALL', name: 'Small Test Night', devices: 5, peak_audience: 5, reacted_share: 0.8, voted_share: 0.6, chanted_share: 0.6,
      taps: 66, votes: 6, chants: 6, polls: 2, mean_turnout: (1 + 1 / 3) / 2, loudest_section: 'A', top_chant: 'LOUDER', duration_s: 2400, taps_per_device: 66 / 5 },
    { code: 'QUIET', devices: 3, polls: 0, mean_turnout: null, loudest_section: null, top_chant: null },
    { code: 'BIG', devices: G.devices, taps: G.taps, top_chant: G.top_chant, top_chant_hidden: false },
    { code: 'MOD', devices: 5, chants: 11, top_chant: 'Encore', top_chant_hidden: true },
    { code: 'OLD', devices: 5, chants: 11, top_chant: 'louder', top_chant_hidden: false },
  ], C.events);
  const chtml = readFileSync(join(DIR, 'compare.html'), 'utf8');
  ok('compare: HTML', chtml.includes('Tour comparison') && chtml.includes('Encore <span class=tag-hidden>hidden</span>'), 'no page or no hidden mark');
}

/* ---- bad input: one line on stderr, non-zero exit ---- */
writeFileSync(join(DIR, 'notsqlite.db'), 'hello, this is not a database at all, just some text padding it out.\n'.repeat(20));
execFileSync('sqlite3', [join(DIR, 'foreign.db'), 'CREATE TABLE t(x); INSERT INTO t VALUES (1);']);
gen('newer', 'newer.db');
const bad = [
  ['missing database', ['--db', join(DIR, 'nope.db')], 1, /nope\.db: No such file/],
  ['not an SQLite file', ['--db', join(DIR, 'notsqlite.db')], 1, /not a Chorus database/],
  ['SQLite but not Chorus', ['--db', join(DIR, 'foreign.db')], 1, /not a Chorus database \(no chorus_meta table\)/],
  ['newer schema', ['--db', join(DIR, 'newer.db')], 1, /schema version \d+ is newer than this report knows/],
  ['newer schema in --compare', ['--compare', small, join(DIR, 'newer.db')], 1, /newer\.db: database schema version \d+ is newer/],
  ['no arguments', [], 2, /need --db FILE/],
  ['unknown flag', ['--db', small, '--pdf', 'x'], 2, /unknown argument: --pdf/],
  ['missing value', ['--db'], 2, /missing value for: --db/],
  ['--db and --compare', ['--db', small, '--compare', small], 2, /exclude each other/],
  ['--csv with --compare', ['--compare', small, '--csv', DIR], 2, /--csv works with --db only/],
  ['--compare without files', ['--compare', '--json', 'x'], 2, /at least one database/],
  ['unwritable output', ['--db', small, '--json', join(DIR, 'no/such/dir/x.json')], 1, /cannot write/],
];
for (const [name, args, code, re] of bad) {
  const r = run(args);
  const first = r.stderr.split('\n')[0];
  ok(`bad input: ${name}`, r.status === code && re.test(first) && first.startsWith('chorus-report: '),
     `exit ${r.status} (want ${code}), stderr ${JSON.stringify(r.stderr)}`);
}
ok('bad input: database left untouched (read-only)', !existsSync(join(DIR, 'nope.db')), 'a missing database was created');

console.log(`check.mjs: ${failed ? 'some checks failed' : 'all checks passed'}`);
process.exit(failed ? 1 : 0);
