// chosen.test.mjs -- the hub side of "you chose this" (issue 15): the crew
// confirms a closed poll's result (poll.play), every page gets it (phones
// with their own vote so each can say where it stood), the song_start marker
// that names the chosen option is linked to the poll and screens are told
// the crowd chose it; all of it survives a restart and lands in the database.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, Client, audience, crew, openPoll, newId, KEYS, tempDir, cleanup, sleep, sql } from './lib.mjs';


async function req(c, msg) {
  const id = newId();
  c.send({ ...msg, id });
  return c.ack(id);
}

async function watcher(url, role) {
  const c = await Client.connect(url);
  c.welcome = await c.hello({ role, key: KEYS[role] });
  assert.equal(c.welcome.t, 'welcome');
  return c;
}

describe('you chose this, hub side', () => {
  let dir, hub;
  before(async () => { dir = tempDir(); hub = await startHub({ dir }); });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('Play it: the winner goes to every page, each phone learns where it stood', async () => {
    const k = await crew(hub.url);
    const screen = await watcher(hub.url, 'screen');
    const poll = await openPoll(k, ['Neon Skies', 'Slow Burn', 'Ghost Town'], { reveal: 'on_close' });
    const phones = await Promise.all([0, 1, 2, 3].map(() => audience(hub.url)));
    const picks = [0, 0, 1, 0];
    for (const [i, p] of phones.entries()) assert.equal((await req(p, { t: 'vote', poll, option: picks[i] })).ok, true);
    const open = await req(k, { t: 'poll.play', poll });
    assert.equal(open.code, 'unknown_poll', 'an open poll is not played');
    assert.equal((await req(k, { t: 'poll.close', poll })).ok, true);
    const played = screen.next((m) => m.t === 'poll' && m.poll.id === poll && m.poll.played);
    const ack = await req(k, { t: 'poll.play', poll });
    assert.equal(ack.ok, true);
    const ev = await played;
    assert.equal(ev.poll.played.option, 0, 'the winner by default');
    assert.deepEqual(ev.poll.counts, [3, 1, 0]);
    assert.equal(ev.poll.voters, 4);
    // Phones get it before their next snapshot.
    const onPhone = await phones[2].wait((m) => m.t === 'poll' && m.poll.id === poll && m.poll.played);
    assert.equal(onPhone.poll.played.option, 0);
    assert.deepEqual(onPhone.poll.counts, [3, 1, 0]);
    // A phone that comes back sees the moment again, with its own vote.
    const back = await audience(hub.url, { token: phones[2].welcome.token });
    assert.equal(back.welcome.last_poll.played.option, 0);
    assert.equal(back.welcome.last_poll.voted, 1, 'where this phone stood');
    const fresh = await audience(hub.url);
    assert.equal(fresh.welcome.last_poll.voted, undefined, 'a phone that did not vote has no vote');
    // Stored.
    await sleep(200);
    assert.equal(sql(hub.db, `SELECT played_option, played_ms IS NOT NULL, revealed_ms IS NOT NULL FROM polls WHERE id=${poll}`), '0|1|1');
  });

  test('a tie, no votes, a bad option and a wrong poll get clear errors; the crew may choose', async () => {
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['Left', 'Right']);
    const [a, b] = await Promise.all([audience(hub.url), audience(hub.url)]);
    await req(a, { t: 'vote', poll, option: 0 });
    await req(b, { t: 'vote', poll, option: 1 });
    assert.equal((await req(k, { t: 'poll.close', poll })).ok, true);
    const tie = await req(k, { t: 'poll.play', poll });
    assert.equal(tie.code, 'bad_field');
    assert.match(tie.msg, /option/);
    assert.equal((await req(k, { t: 'poll.play', poll, option: 12 })).code, 'bad_field', 'out of the 12 allowed');
    assert.equal((await req(k, { t: 'poll.play', poll, option: 2 })).code, 'bad_option');
    assert.equal((await req(k, { t: 'poll.play', poll: poll - 1 })).code, 'unknown_poll', 'only the last closed poll');
    assert.equal((await req(k, { t: 'poll.play', poll, option: 1 })).ok, true);
    assert.equal((await req(k, { t: 'poll.play', poll, option: 0 })).ok, true, 'the crew may correct its choice');
    await sleep(200);
    assert.equal(sql(hub.db, `SELECT played_option FROM polls WHERE id=${poll}`), '0');
    const p = await audience(hub.url);
    assert.equal((await req(p, { t: 'poll.play', poll })).code, 'not_allowed', 'only the crew plays');
    // Reopening undoes the choice with the close.
    assert.equal((await req(k, { t: 'poll.reopen', poll })).ok, true);
    await sleep(200);
    assert.equal(sql(hub.db, `SELECT played_ms IS NULL FROM polls WHERE id=${poll}`), '1');
    assert.equal((await req(k, { t: 'poll.close', poll })).ok, true);
  });

  test('the song_start marker that names the choice is linked; screens say the crowd chose it', async () => {
    const k = await crew(hub.url);
    const screen = await watcher(hub.url, 'screen');
    const stage = await watcher(hub.url, 'performer');
    const poll = await openPoll(k, ['Starlight', 'Slow Burn']);
    const phones = await Promise.all([0, 1, 2].map(() => audience(hub.url)));
    for (const [i, p] of phones.entries()) await req(p, { t: 'vote', poll, option: i === 2 ? 1 : 0 });
    await req(k, { t: 'poll.close', poll });
    assert.equal((await req(k, { t: 'poll.play', poll })).ok, true);
    // Another song first: not linked.
    const other = screen.next((m) => m.t === 'marker' && m.marker.label === 'Opener');
    assert.equal((await req(k, { t: 'marker', label: 'Opener', kind: 'song_start' })).ok, true);
    const o = await other;
    assert.equal(o.marker.poll, undefined);
    assert.equal(o.chosen, null);
    // The chosen song, spelled as the crew typed it.
    const linked = stage.next((m) => m.t === 'marker' && m.marker.kind === 'song_start' && m.marker.poll);
    assert.equal((await req(k, { t: 'marker', label: '  starLIGHT ', kind: 'song_start' })).ok, true);
    const l = await linked;
    assert.equal(l.marker.poll, poll);
    assert.deepEqual({ ...l.chosen }, { poll, question: 'Encore?', option: 0, label: 'Starlight', votes: 2, voters: 3 });
    // One marker per choice: playing it again later is not "chosen" twice.
    // (Poll 1's "Neon Skies" was played and never started: it is another choice.)
    await req(k, { t: 'marker', label: 'Starlight', kind: 'song_end' });
    const again = screen.next((m) => m.t === 'marker' && m.marker.kind === 'song_start' && m.marker.label === 'Starlight');
    await req(k, { t: 'marker', label: 'Starlight', kind: 'song_start' });
    const a = await again;
    assert.equal(a.marker.poll, undefined);
    assert.equal(a.chosen, null);
    // A page that connects now: the second (unlinked) one plays.
    const late = await watcher(hub.url, 'screen');
    assert.equal(late.welcome.now_playing, 'Starlight');
    assert.equal(late.welcome.chosen, null);
    const ts = late.welcome.markers.find((m) => m.poll === poll).ts;
    // Deleting the linked marker frees the choice: the newest one takes it on a correction.
    assert.equal((await req(k, { t: 'marker.delete', at: ts })).ok, true);
    const newest = late.welcome.markers.at(-1).ts;
    const fixed = screen.next((m) => m.t === 'markers' && m.chosen);
    assert.equal((await req(k, { t: 'marker.edit', at: newest, label: 'Starlight!' })).ok, true, 'another spelling');
    const unlinked = await Promise.race([fixed.then(() => 'linked'), sleep(500).then(() => 'not linked')]);
    assert.equal(unlinked, 'not linked', '"Starlight!" is another song');
    const relinked = screen.next((m) => m.t === 'markers' && m.chosen);
    assert.equal((await req(k, { t: 'marker.edit', at: newest, label: 'Starlight' })).ok, true);
    const r = await relinked;
    assert.equal(r.chosen.poll, poll);
    assert.equal(r.markers.at(-1).poll, poll);
    await sleep(200);
    assert.equal(sql(hub.db, `SELECT count(*) FROM markers WHERE poll=${poll}`), '1');
    assert.equal(sql(hub.db, `SELECT poll FROM markers WHERE ts_ms=${newest}`), String(poll));
    // A started choice can not be reopened (the screens already said so).
    assert.equal((await req(k, { t: 'poll.reopen', poll })).code, 'not_allowed');
  });

  test('after a restart the choice, its marker and every phone\'s vote are still there', async () => {
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['Alpha', 'Beta']);
    const p = await audience(hub.url);
    await req(p, { t: 'vote', poll, option: 1 });
    await req(k, { t: 'poll.close', poll });
    await req(k, { t: 'poll.play', poll });
    await req(k, { t: 'marker', label: 'Beta', kind: 'song_start' });
    await hub.stop();
    hub = await startHub({ dir, db: hub.db, port: hub.port });
    const screen = await watcher(hub.url, 'screen');
    assert.equal(screen.welcome.last_poll.played.option, 1);
    assert.equal(screen.welcome.now_playing, 'Beta');
    assert.equal(screen.welcome.chosen.poll, poll);
    assert.equal(screen.welcome.chosen.votes, 1);
    const back = await audience(hub.url, { token: p.welcome.token });
    assert.equal(back.welcome.last_poll.voted, 1);
    assert.equal(back.welcome.last_poll.played.option, 1);
  });
});
