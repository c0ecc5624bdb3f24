// hub.mjs -- a scripted crowd through the real hub, then chorus-report on the
// hub's database (read while the hub runs, and after SIGTERM).
//   node tests/report/hub.mjs REPORT_BIN HUB_BIN WORKDIR
// Prints "PASS name" / "FAIL name: why" per check.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, audience, crew, sleep, newId, Client, eventFile } from '../integration/lib.mjs';

const [REPORT, HUB, DIR] = process.argv.slice(2);
process.env.CHORUS_HUB = HUB;
let failed = 0;
const pass = (n) => console.log(`PASS ${n}`);
const fail = (n, why) => { failed++; console.log(`FAIL ${n}: ${why}`); };
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function check(name, exp, act) { if (same(exp, act)) pass(name); else fail(name, `expected ${JSON.stringify(exp)}, got ${JSON.stringify(act)}`); }

function report(db, file, extra = []) {
  const r = spawnSync(REPORT, ['--db', db, '--json', file, ...extra], { encoding: 'utf8' });
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
  check('hub: chants', { total: 3, top: [{ text: 'louder', count: 2, devices: 2, hidden: false }, { text: 'encore', count: 1, devices: 1, hidden: false }] },
        { total: R.chants.total, top: R.chants.top });
  const segs = R.chants.segments;
  check('hub: marker segments (last marker has no signal)', [[null, 0, 0], ['One', 20, 3], ['Nothing after this', 0, 0]],
        segs.map((s) => [s.marker && s.marker.label, s.taps, s.chants]));
  check('hub: retention at minute 0', [{ minute: 0, connected: 1, joined: 1 }],
        R.retention.marks.map((m) => ({ minute: m.minute, connected: m.connected, joined: m.joined })));
  check('hub: loudest section', { loudest: 'B', A: 8, B: 12 },
        { loudest: R.sections.loudest, A: R.sections.sections.find((s) => s.section === 'A').taps, B: R.sections.sections.find((s) => s.section === 'B').taps });
}
/* ---- chant moderation through the hub: what it writes is what the report reads ---- */
const mdir = join(DIR, 'mod');
mkdirSync(mdir, { recursive: true });
const mdb = join(mdir, 'hub.db');
const mhub = await startHub({ dir: mdir, db: mdb, args: ['--tick-ms', '50'],
                              event: eventFile(mdir, { limits: { chants: { rate: 100, burst: 100 } } }) });
let bannedDevice = 0, blockedDevice = 0, playedPoll = 0;
try {
  const boss = await crew(mhub.url);
  const b1 = await audience(mhub.url, { section: 'A' }), b2 = await audience(mhub.url, { section: 'B' });
  const b3 = await audience(mhub.url, {});
  // Four spellings the live screen counts as one text.
  for (const [c, text] of [[b1, 'Encore'], [b2, '  ENCORE  '], [b3, 'ｅｎｃｏｒｅ'], [b1, 'encore']]) await ackOk(c, { t: 'chant', text });
  const id = newId();
  b2.send({ t: 'chant', id, text: 'FUCK' });
  const bl = await b2.ack(id);
  if (bl.ok || bl.code !== 'blocked') throw new Error(`the filter let it through: ${JSON.stringify(bl)}`);
  blockedDevice = b2.welcome.device;
  // Times are milliseconds: a chant in the same millisecond as the switch
  // counts as sent under the new mode (docs/analytics.md). Keep them apart.
  await sleep(5);
  await ackOk(boss, { t: 'mod', action: 'mode', mode: 'approve' });
  const held = await ackOk(b3, { t: 'chant', text: 'Go Team' });
  if (held.held !== true) throw new Error(`not held in approve mode: ${JSON.stringify(held)}`);
  await sleep(150);  // a first send to approval the report can measure (>= 60 ms, with margin for a loaded machine)
  await ackOk(boss, { t: 'mod', action: 'approve', text: 'GO TEAM' });
  const after = await ackOk(b1, { t: 'chant', text: 'go   team' });
  if (after.held) throw new Error(`held after its approval: ${JSON.stringify(after)}`);
  await ackOk(boss, { t: 'mod', action: 'hide', text: 'encore' });
  bannedDevice = b3.welcome.device;
  await ackOk(boss, { t: 'mod', action: 'ban', device: bannedDevice });
  await ackOk(boss, { t: 'mod', action: 'mode', mode: 'auto' });
  // "Play it": the crew confirms the winner, then starts that song; the hub
  // links the marker (its label names the option, in other case and spacing).
  playedPoll = (await ackOk(boss, { t: 'poll.open', question: 'What next?', options: ['Neon Skies', 'Rain'] })).poll;
  await ackOk(b1, { t: 'vote', poll: playedPoll, option: 0 });
  await ackOk(b2, { t: 'vote', poll: playedPoll, option: 1 });
  await ackOk(b1, { t: 'vote', poll: playedPoll, option: 0 });
  await ackOk(boss, { t: 'poll.close', poll: playedPoll });
  await ackOk(boss, { t: 'poll.play', poll: playedPoll, option: 0 });
  await ackOk(boss, { t: 'marker', label: 'neon  SKIES', kind: 'song_start' });
  await sleep(1200);   // a recorded second or so inside the song
  for (const c of [b1, b2, boss]) c.close();
  await sleep(300);
} catch (e) {
  fail('hub moderation: scripted crowd', e.stack || e.message);
}
const mex = await mhub.stop('SIGTERM');
if (mex.code !== 0) fail('hub moderation: exits 0 on SIGTERM', JSON.stringify(mex) + mhub.output().slice(-500));
let MR;
try { MR = report(mdb, join(mdir, 'after.json'), ['--csv', join(mdir, 'csv')]); } catch (e) { fail('hub moderation: report', e.message); }
if (MR) {
  check('hub moderation: chants grouped as the live screen groups them, hidden marked', {
    total: 6, distinct: 2,
    top: [{ text: 'Encore', count: 4, devices: 3, hidden: true }, { text: 'Go Team', count: 2, devices: 2, hidden: false }],
  }, { total: MR.chants.total, distinct: MR.chants.distinct, top: MR.chants.top });
  const m = MR.moderation || {};
  const { approval, sessions, ...figures } = m;
  check('hub moderation: figures', {
    mode_start: 'auto', mode_end: 'auto', blocked: 1, blocked_devices: 1, held: 1, held_texts: 1, approved_texts: 1,
    hidden_texts: 1, hidden_chants: 4, banned_devices: 1, devices_ever_banned: 1,
    actions: { approve: 1, hide: 1, unhide: 0, ban: 1, unban: 0, mode: 2, blocked: 1 },
  }, figures);
  check('hub moderation: first send to approval measured', { texts: 1, at_least_60ms: true, p95_is_median: true },
        approval && { texts: approval.texts, at_least_60ms: approval.median_ms >= 60, p95_is_median: approval.p95_ms === approval.median_ms });
  check('hub moderation: one crew session\'s actions', [{ approve: 1, hide: 1, unhide: 0, ban: 1, unban: 0, mode: 2, actions: 5 }],
        (sessions || []).map(({ session, first_ms, last_ms, ...n }) => n));
  const co = MR.cocreation || {};
  check('hub cocreation: the played poll, linked to the song_start marker the hub linked', {
    chosen: [{ poll: playedPoll, question: 'What next?', option: 0, label: 'Neon Skies', votes: 1, voters: 2, share: 0.5, marker: true }],
    songs: [{ poll: playedPoll, chosen: true }], winning_side: 0.5, other_rate: null, lift: null,
  }, {
    chosen: (co.chosen || []).map(({ played_ms, marker, ...c }) => ({ ...c, marker: !!marker && marker.id === (MR.markers[0] || {}).id })),
    songs: (co.songs || []).map((x) => ({ poll: x.poll, chosen: x.marker === (MR.markers[0] || {}).id })),
    winning_side: co.winning_side, other_rate: co.other_rate, lift: co.lift,
  });
  const log = readFileSync(join(mdir, 'csv', 'mod_log.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(','));
  check('hub moderation: audit trail CSV', [
    ['ts_ms', 'action', 'text', 'device', 'detail'], ['blocked', 'FUCK', String(blockedDevice), ''], ['mode', '', '', 'approve'],
    ['approve', 'Go Team', '', ''], ['hide', 'Encore', '', ''], ['ban', '', String(bannedDevice), ''], ['mode', '', '', 'auto'],
  ], log.map((r, i) => (i ? [r[3], r[4], r[5], r[6]] : [r[0], r[3], r[4], r[5], r[6]])));
}

console.log(`hub.mjs: ${failed ? 'some checks failed' : 'all checks passed'}`);
process.exit(failed ? 1 : 0);
