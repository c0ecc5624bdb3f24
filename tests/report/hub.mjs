// hub.mjs -- a scripted crowd through the real hub, then chorus-report on the
// hub's database (read while the hub runs, and after SIGTERM).
//   node tests/report/hub.mjs REPORT_BIN HUB_BIN WORKDIR
// Prints "PASS name" / "FAIL name: why" per check.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, audience, crew, sleep, newId, Client } from '../integration/lib.mjs';

const [REPORT, HUB, DIR] = process.argv.slice(2);
process.env.CHORUS_HUB = HUB;
let failed = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => { failed++; console.log(`FAIL ${n}: ${why}`); };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function check(name, exp, act) { if (same(exp, act)) pass(name); else fail(name, `expected ${JSON.stringify(exp)}, got ${JSON.stringify(act)}`); }

function report(db, file) {
  const r = spawnSync(REPORT, ['--db', db, '--json', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`chorus-report exited ${r.status}: ${r.stderr}`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function ackOk(c, msg) {
  const id = newId();
  c.send({ ...msg, id });
  const a = await c.ack(id);
  if (!a.ok) throw new Error(`${msg.t} refused: ${JSON.stringify(a)}`);
  return a;
}

const db = join(DIR, 'hub.db');
const hub = await startHub({ dir: DIR, db, args: ['--tick-ms', '50'] });
try {
  const boss = await crew(hub.url);
  await ackOk(boss, { t: 'marker', label: 'One', kind: 'song_start' });
  await sleep(1100);
  // Four phones: a1 does everything, a2 reacts and votes and joins twice,
  // a3 only watches, a4 (no section) only chants.
  const a1 = await audience(hub.url, { section: 'A' });
  await sleep(20);   // distinct join times: retention at minute 0 counts a1 alone
  const a2 = await audience(hub.url, { section: 'B' });
  const a3 = await audience(hub.url, { section: 'C' });
  const a4 = await audience(hub.url, {});
  await sleep(1300);   // all four connected across a whole second

  a1.send({ t: 'react', kind: 'heart', n: 5 });
  a1.send({ t: 'react', kind: 'heart', n: 3 });
  a2.send({ t: 'react', kind: 'fire', n: 10 });
  await ackOk(a1, { t: 'chant', text: 'louder' });
  await ackOk(a4, { t: 'chant', text: 'louder' });
  await ackOk(a4, { t: 'chant', text: 'encore' });

  const open = await ackOk(boss, { t: 'poll.open', question: 'Best song?', options: ['One', 'Two', 'Three'], allow_change: true });
  const poll = open.poll;
  for (const opt of [0, 1, 0, 1]) { await ackOk(a1, { t: 'vote', poll, option: opt }); await sleep(150); }   // changed three times
  await ackOk(a2, { t: 'vote', poll, option: 1 });
  await ackOk(boss, { t: 'poll.close', poll });

  // a2 leaves and comes back with its token: one device, two sessions.
  const token = a2.welcome.token;
  await a2.close();
  await sleep(300);
  const a2b = await Client.connect(hub.url);
  const w = await a2b.hello({ role: 'audience', token });
  if (w.t !== 'welcome' || w.device !== a2.welcome.device) throw new Error(`rejoin failed: ${JSON.stringify(w)}`);
  a2b.send({ t: 'react', kind: 'clap', n: 2 });

  // A poll nobody votes in, and a last marker with no signal after it.
  const p2 = (await ackOk(boss, { t: 'poll.open', question: 'Quiet?', options: ['Yes', 'No'] })).poll;
  await ackOk(boss, { t: 'poll.close', poll: p2 });
  await sleep(1200);
  await ackOk(boss, { t: 'marker', label: 'Nothing after this', kind: 'note' });
  await sleep(1200);

  // Live: the report reads the WAL database while the hub writes it.
  let live = null;
  for (let i = 0; i < 30; i++) {
    live = report(db, join(DIR, 'live.json'));
    if (live.reach.devices === 4 && live.totals.taps === 20) break;
    await sleep(100);
  }
  check('hub live: report while the hub runs', { devices: 4, taps: 20 }, { devices: live.reach.devices, taps: live.totals.taps });

  for (const c of [a1, a3, a4, a2b, boss]) c.close();
  await sleep(300);
} catch (e) {
  fail('hub: scripted crowd', e.stack || e.message);
}
const ex = await hub.stop('SIGTERM');
if (ex.code !== 0) fail('hub: exits 0 on SIGTERM', JSON.stringify(ex) + hub.output().slice(-500));

let R;
try { R = report(db, join(DIR, 'after.json')); } catch (e) { fail('hub: report after stop', e.message); }
if (R) {
  check('hub: reach', { devices: 4, sessions: 5, rejoined_devices: 1, peak_audience: 4 },
        { devices: R.reach.devices, sessions: R.reach.sessions, rejoined_devices: R.reach.rejoined_devices, peak_audience: R.reach.peak_audience });
  check('hub: devices per section', [['A', 1], ['B', 1], ['C', 1], ['', 1]], R.reach.sections.map((s) => [s.section, s.devices]));
  check('hub: funnel', [4, 2, 2, 2], R.funnel.map((s) => s.devices));
  check('hub: ladder', [1, 0, 1, 1, 1], R.ladder.overall.counts);
  check('hub: totals', { taps: 20, votes: 5, chants: 3, by_kind: { heart: 8, fire: 10, clap: 2, rock: 0, laugh: 0 } },
        { taps: R.totals.taps, votes: R.totals.votes, chants: R.totals.chants, by_kind: R.totals.taps_by_kind });
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  check('hub: timeline sums', { taps: 20, votes: 5, chants: 3 },
        { taps: sum(R.timeline.taps), votes: sum(R.timeline.votes), chants: sum(R.timeline.chants) });
  check('hub: top peak is the busiest second, under marker "One"', { taps: Math.max(...R.timeline.taps), marker: 'One' },
        { taps: R.peaks[0] && R.peaks[0].taps, marker: R.peaks[0] && R.peaks[0].marker && R.peaks[0].marker.label });
  const p = R.polls[0] || {};
  check('hub: poll with a vote changed three times', {
    question: 'Best song?', audience_at_open: 4, voters: 2, votes: [0, 2, 0], winner: [1], turnout: 0.5,
    changed_devices: 1, changes: 3, vote_signals: 5, last_tally: [0, 2, 0],
  }, {
    question: p.question, audience_at_open: p.audience_at_open, voters: p.voters, votes: (p.options || []).map((o) => o.votes),
    winner: p.winner, turnout: p.turnout, changed_devices: p.changed_devices, changes: p.changes, vote_signals: p.vote_signals,
    last_tally: p.tally && p.tally.counts[p.tally.counts.length - 1],
  });
  const q = R.polls[1] || {};
  check('hub: poll nobody voted in', { voters: 0, turnout: 0, winner: [], tally: 0 },
        { voters: q.voters, turnout: q.turnout, winner: q.winner, tally: q.tally && q.tally.sec.length });
  check('hub: chants', { total: 3, top: [{ text: 'louder', count: 2, devices: 2 }, { text: 'encore', count: 1, devices: 1 }] },
        { total: R.chants.total, top: R.chants.top });
  const segs = R.chants.segments;
  check('hub: marker segments (last marker has no signal)', [[null, 0, 0], ['One', 20, 3], ['Nothing after this', 0, 0]],
        segs.map((s) => [s.marker && s.marker.label, s.taps, s.chants]));
  check('hub: retention at minute 0', [{ minute: 0, connected: 1, joined: 1 }],
        R.retention.marks.map((m) => ({ minute: m.minute, connected: m.connected, joined: m.joined })));
  check('hub: loudest section', { loudest: 'B', A: 8, B: 12 },
        { loudest: R.sections.loudest, A: R.sections.sections.find((s) => s.section === 'A').taps, B: R.sections.sections.find((s) => s.section === 'B').taps });
}
console.log(`hub.mjs: ${failed ? 'some checks failed' : 'all checks passed'}`);
process.exit(failed ? 1 : 0);
