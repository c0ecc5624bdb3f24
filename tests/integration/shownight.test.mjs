// shownight.test.mjs -- the hub side of issue 10's "clicks that hurt the
// show" and "phones that say the opposite": a re-sent vote or chant counts
// once (the phone's own id, `cid`); a phone's offline backlog lands in the
// seconds it was made (`age`, bounded by the hub); an accidental close is
// undone with its votes and stays one poll; markers are corrected and
// deleted everywhere, also after a restart; chants are limited in
// characters, not bytes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, Client, audience, crew, openPoll, newId, KEYS, tempDir, cleanup, sleep, sql } from './lib.mjs';


async function req(c, msg) {
  const id = newId();
  c.send({ ...msg, id });
  return c.ack(id);
}

describe('show night, hub side', () => {
  let dir, hub;
  before(async () => { dir = tempDir(); hub = await startHub({ dir }); });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('a chant re-sent with the same cid after a reconnect counts once', async () => {
    const p = await audience(hub.url);
    const token = p.welcome.token;
    assert.equal((await req(p, { t: 'chant', text: 'Once only', cid: 424242 })).ok, true);
    await p.close();
    const again = await audience(hub.url, { token });       // the ack was lost; the phone tries again
    const a = await req(again, { t: 'chant', text: 'Once only', cid: 424242 });
    assert.equal(a.ok, true, 'the re-send is answered ok (it was counted)');
    assert.equal((await req(again, { t: 'chant', text: 'Once only', cid: 424243 })).ok, true, 'a new id is a new chant');
    const k = await crew(hub.url);
    const snap = await k.wait((m) => m.t === 'snap' && m.chants?.some(([t]) => t === 'Once only'));
    assert.equal(snap.chants.find(([t]) => t === 'Once only')[1], 2);
    await sleep(300);
    assert.equal(sql(hub.db, "SELECT count(*) FROM signals WHERE kind='chant' AND text='Once only'"), '2');
    // Another phone may use the same number: ids are per device.
    const other = await audience(hub.url);
    assert.equal((await req(other, { t: 'chant', text: 'Once only', cid: 424242 })).ok, true);
    await sleep(300);
    assert.equal(sql(hub.db, "SELECT count(*) FROM signals WHERE kind='chant' AND text='Once only'"), '3');
  });

  test('a vote re-sent with the same cid is acked after commit and stored once', async () => {
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['A', 'B']);
    const p = await audience(hub.url);
    const first = await req(p, { t: 'vote', poll, option: 1, cid: 777 });
    assert.equal(first.ok, true);
    const token = p.welcome.token;
    await p.close();
    const back = await audience(hub.url, { token });
    assert.equal(back.welcome.poll.voted, 1);
    const again = await req(back, { t: 'vote', poll, option: 1, cid: 777 });
    assert.equal(again.ok, true);
    assert.equal(again.changed, false);
    await sleep(300);
    assert.equal(sql(hub.db, `SELECT count(*) FROM signals WHERE kind='vote' AND poll=${poll}`), '1');
    assert.equal(sql(hub.db, `SELECT changes FROM votes WHERE poll=${poll}`), '0');
    await req(k, { t: 'poll.close', poll });
  });

  test("an offline phone's taps land in the seconds they were made, never in the future", async () => {
    await sleep(2500);   // the hub must have run longer than the age we send
    const p = await audience(hub.url);
    const before = Date.now();
    p.send({ t: 'react', kind: 'fire', n: 7, age: 2000 });
    p.send({ t: 'react', kind: 'clap', n: 5, age: -60000 });   // a phone clock in the future: now
    p.send({ t: 'react', kind: 'heart', n: 3, age: 1e12 });     // older than the hub: bounded
    // Stored within a tick and a commit; a sanitized hub on a busy machine is slower: wait for the rows.
    const stored = () => sql(hub.db, "SELECT count(DISTINCT reaction) FROM signals WHERE kind='react' AND reaction IN ('fire','clap','heart') AND ts_ms >= " + (before - 700000));
    await sleep(1600);
    for (let i = 0; i < 150 && stored() !== '3'; i++) await sleep(100);
    const fire = sql(hub.db, "SELECT ts_ms FROM signals WHERE kind='react' AND reaction='fire' ORDER BY id DESC LIMIT 1");
    const d = before - Number(fire);
    assert.ok(d >= 1800 && d <= 2600, `fire taps stored ${d} ms before they arrived`);
    const sec = Math.floor(Number(fire) / 1000);
    assert.equal(sql(hub.db, `SELECT taps FROM second_reacts WHERE sec=${sec} AND reaction='fire'`), '7');
    assert.ok(Number(sql(hub.db, `SELECT taps FROM seconds WHERE sec=${sec}`)) >= 7);
    const clap = Number(sql(hub.db, "SELECT max(ts_ms) FROM signals WHERE kind='react' AND reaction='clap'"));
    assert.ok(clap >= before - 50 && clap <= Date.now(), 'never in the future');
    const heart = Number(sql(hub.db, "SELECT max(ts_ms) FROM signals WHERE kind='react' AND reaction='heart'"));
    const started = Number(sql(hub.db, "SELECT min(start_ms) FROM sessions"));
    assert.ok(heart >= started - 1000, `never before the hub started (${heart} < ${started})`);
    const totals = await (await crew(hub.url)).wait((m) => m.t === 'snap');
    assert.equal(totals.react.fire >= 7, true, 'late taps still count in the totals');
  });

  test('an accidental close is undone: the same poll, its votes, hidden again if on_close', async () => {
    const k = await crew(hub.url);
    const screen = await Client.connect(hub.url);
    await screen.hello({ role: 'screen', key: KEYS.screen });
    const poll = await openPoll(k, ['Anthem', 'Ballad'], { reveal: 'on_close' });
    const phones = await Promise.all([0, 1, 2].map(() => audience(hub.url)));
    for (const [i, p] of phones.entries()) assert.equal((await req(p, { t: 'vote', poll, option: i ? 1 : 0 })).ok, true);
    assert.equal((await req(k, { t: 'poll.close', poll })).ok, true);
    const closed = await screen.wait((m) => m.t === 'poll' && m.poll.id === poll && !m.poll.open);
    assert.deepEqual(closed.poll.counts, [1, 2]);
    const wrong = await req(k, { t: 'poll.reopen', poll: poll + 5 });
    assert.equal(wrong.code, 'unknown_poll');
    const reopened = screen.next((m) => m.t === 'poll' && m.poll.id === poll && m.poll.open);
    assert.equal((await req(k, { t: 'poll.reopen', poll })).ok, true);
    const r = await reopened;
    assert.equal(r.poll.counts, undefined, 'on_close results are hidden again while it is open');
    const snap = await k.next((m) => m.t === 'snap' && m.poll?.id === poll);
    assert.deepEqual(snap.poll.counts, [1, 2], 'the votes are kept');
    // A phone that voted still has its vote; one more votes.
    assert.equal(phones[0].welcome.device > 0, true);
    const late = await audience(hub.url);
    assert.equal((await req(late, { t: 'vote', poll, option: 0 })).ok, true);
    const again = await req(k, { t: 'poll.reopen', poll });
    assert.equal(again.code, 'not_allowed', 'an open poll is not reopened');
    assert.equal((await req(k, { t: 'poll.close', poll })).ok, true);
    const fin = await screen.wait((m) => m.t === 'poll' && m.poll.id === poll && !m.poll.open && m.poll.voters === 4);
    assert.deepEqual(fin.poll.counts, [2, 2]);
    assert.equal(sql(hub.db, `SELECT count(*) FROM polls WHERE question='Encore?' AND id=${poll}`), '1');
    assert.equal(sql(hub.db, `SELECT closed_ms IS NOT NULL AND revealed_ms IS NOT NULL FROM polls WHERE id=${poll}`), '1');
    assert.equal(sql(hub.db, `SELECT count(*) FROM votes WHERE poll=${poll}`), '4');
  });

  test('a reopen after a restart keeps the votes too', async () => {
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['X', 'Y', 'Z']);
    const p = await audience(hub.url);
    assert.equal((await req(p, { t: 'vote', poll, option: 2 })).ok, true);
    assert.equal((await req(k, { t: 'poll.close', poll })).ok, true);
    await hub.stop();
    hub = await startHub({ dir, db: hub.db, port: hub.port });
    const k2 = await crew(hub.url);
    assert.equal((await req(k2, { t: 'poll.reopen', poll })).ok, true);
    const snap = await k2.wait((m) => m.t === 'snap' && m.poll?.id === poll);
    assert.deepEqual(snap.poll.counts, [0, 0, 1]);
    const back = await audience(hub.url, { token: p.welcome.token });
    assert.equal(back.welcome.poll.voted, 2, 'the phone sees its own vote again');
    assert.equal((await req(k2, { t: 'poll.close', poll })).ok, true);
  });

  test('markers are corrected and deleted on every page and in the database', async () => {
    const k = await crew(hub.url);
    const stage = await Client.connect(hub.url);
    await stage.hello({ role: 'performer', key: KEYS.performer });
    assert.equal((await req(k, { t: 'marker', label: 'Wrong Song', kind: 'song_start' })).ok, true);
    assert.equal((await req(k, { t: 'marker', label: 'typo note', kind: 'note' })).ok, true);
    const w = await (await Client.connect(hub.url)).hello({ role: 'crew', key: KEYS.crew });
    const [song, note] = w.markers.slice(-2);
    assert.notEqual(song.ts, note.ts, 'every marker has its own ts');
    const list = stage.next((m) => m.t === 'markers');
    assert.equal((await req(k, { t: 'marker.edit', at: song.ts, label: 'Right Song' })).ok, true);
    const got = await list;
    assert.equal(got.now_playing, 'Right Song');
    assert.equal(got.markers.at(-2).label, 'Right Song');
    assert.equal((await req(k, { t: 'marker.delete', at: note.ts })).ok, true);
    assert.equal((await req(k, { t: 'marker.delete', at: note.ts })).code, 'unknown_marker');
    assert.equal((await req(k, { t: 'marker.edit', at: song.ts, label: '   ' })).code, 'bad_field');
    const del = await stage.wait((m) => m.t === 'markers' && !m.markers.some((x) => x.label === 'typo note'));
    assert.equal(del.markers.at(-1).label, 'Right Song');
    assert.equal((await req(k, { t: 'marker.edit', at: song.ts, kind: 'song_end' })).ok, true);
    const ended = await stage.wait((m) => m.t === 'markers' && m.now_playing === null);
    assert.equal(ended.markers.at(-1).kind, 'song_end');
    await sleep(200);
    assert.equal(sql(hub.db, "SELECT count(*) FROM markers WHERE label IN ('Wrong Song', 'typo note')"), '0');
    assert.equal(sql(hub.db, `SELECT kind || ':' || label FROM markers WHERE ts_ms=${song.ts}`), 'song_end:Right Song');
    await hub.stop();
    hub = await startHub({ dir, db: hub.db, port: hub.port });
    const w2 = await (await Client.connect(hub.url)).hello({ role: 'screen', key: KEYS.screen });
    assert.equal(w2.markers.some((x) => x.label === 'typo note'), false);
    assert.equal(w2.markers.at(-1).label, 'Right Song');
  });

  test('a chant is limited to 64 characters in every script, never by bytes', async () => {
    const p = await audience(hub.url);
    const zh = '加'.repeat(64);                    // 192 bytes: refused before as "90/64 bytes"
    assert.equal((await req(p, { t: 'chant', text: zh })).ok, true);
    const zh65 = await req(p, { t: 'chant', text: '加'.repeat(65) });
    assert.equal(zh65.code, 'too_long');
    assert.match(zh65.msg, /64 characters/);
    await sleep(2100);                           // the chant rate limit: 3 then 0.5/s
    const en65 = await req(p, { t: 'chant', text: 'a'.repeat(65) });
    assert.equal(en65.code, 'too_long', 'never cut silently');
    const emoji = await req(p, { t: 'chant', text: '👍🏽'.repeat(64) });   // 64 characters, 512 bytes: over the byte bound
    assert.equal(emoji.code, 'too_long');
  });
});
