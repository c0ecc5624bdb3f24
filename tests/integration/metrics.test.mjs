// metrics.test.mjs -- GET /metrics: the Prometheus text a scraper reads,
// behind the crew key like /api/report, and figures that move with what
// the clients do (connections by role, signals by kind, refusals by
// reason, the store's commits, the writes, file descriptors).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startHub, Client, audience, crew, openPoll, newId, KEYS, cleanup, sleep, httpRequest } from './lib.mjs';

// One HTTP request; resolves {status, headers, body}.
function http(port, path, { method = 'GET', headers = {} } = {}) {
  return httpRequest(request, { host: '127.0.0.1', port, path, method, headers });
}

// The samples of a Prometheus text: 'name{labels}' -> number.
function parse(text) {
  const m = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

const auth = { Authorization: `Bearer ${KEYS.crew}` };

describe('GET /metrics', () => {
  let hub;
  before(async () => { hub = await startHub(); });
  after(async () => { await hub.stop(); cleanup(hub.dir); });

  const scrape = async () => {
    const r = await http(hub.port, '/metrics', { headers: auth });
    assert.equal(r.status, 200, r.body);
    return parse(r.body);
  };

  test('needs the crew key (header or ?key=), like /api/report', async () => {
    assert.equal((await http(hub.port, '/metrics')).status, 403);
    assert.equal((await http(hub.port, '/metrics', { headers: { Authorization: 'Bearer wrong' } })).status, 403);
    assert.equal((await http(hub.port, `/metrics?key=${KEYS.screen}`)).status, 403, 'another role key is not enough');
    const ok = await http(hub.port, '/metrics', { headers: auth });
    assert.equal(ok.status, 200);
    assert.match(ok.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    assert.equal(ok.headers['cache-control'], 'no-store');
    assert.match(ok.body, /^# HELP chorus_connections /m);
    assert.match(ok.body, /^# TYPE chorus_store_commit_seconds histogram$/m);
    const q = await http(hub.port, `/metrics?key=${KEYS.crew}`);
    assert.equal(q.status, 200);
    // A wrong ?key= does not spoil a right header.
    assert.equal((await http(hub.port, '/metrics?key=nope', { headers: auth })).status, 200);
    const head = await http(hub.port, '/metrics', { method: 'HEAD', headers: auth });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const post = await http(hub.port, '/metrics', { method: 'POST', headers: auth });
    assert.equal(post.status, 405);
    assert.equal((await http(hub.port, '/metrics/x', { headers: auth })).status, 404);
    // The pages still come from where they did.
    assert.equal((await http(hub.port, '/healthz')).status, 200);
  });

  test('figures move with the clients', async () => {
    const before0 = await scrape();
    const k = await crew(hub.url);
    const screen = await Client.connect(hub.url);
    assert.equal((await screen.hello({ role: 'screen', key: KEYS.screen })).t, 'welcome');
    const phones = [await audience(hub.url), await audience(hub.url), await audience(hub.url)];
    const silent = await Client.connect(hub.url);   // no hello: pending
    await sleep(50);
    let m = await scrape();
    assert.equal(m.get('chorus_connections{role="audience"}'), 3);
    assert.equal(m.get('chorus_connections{role="screen"}'), 1);
    assert.equal(m.get('chorus_connections{role="crew"}'), 1);
    assert.equal(m.get('chorus_connections{role="performer"}'), 0);
    assert.equal(m.get('chorus_connections_pending'), 1);
    assert.ok(m.get('chorus_connections_opened_total') >= before0.get('chorus_connections_opened_total') + 6);
    assert.ok(m.get('chorus_devices') >= 3);

    // Signals by kind: taps, a vote, a chant.
    const poll = await openPoll(k, ['A', 'B']);
    phones[0].send({ t: 'react', kind: 'fire', n: 5 });
    phones[1].send({ t: 'react', kind: 'fire', n: 2 });
    let id = newId();
    phones[0].send({ t: 'vote', id, poll, option: 1 });
    assert.equal((await phones[0].ack(id)).ok, true);
    id = newId();
    phones[2].send({ t: 'chant', id, text: 'one more song' });
    assert.equal((await phones[2].ack(id)).ok, true);
    // Refused: a vote for a poll that does not exist, a wrong role key.
    id = newId();
    phones[1].send({ t: 'vote', id, poll: poll + 100, option: 0 });
    assert.equal((await phones[1].ack(id)).code, 'unknown_poll');
    const bad = await Client.connect(hub.url);
    assert.equal((await bad.hello({ role: 'crew', key: 'nope' })).code, 'bad_key');
    await sleep(300);   // a tick or two: taps counted, rows committed
    m = await scrape();
    const d = (name) => m.get(name) - (before0.get(name) ?? 0);
    assert.equal(d('chorus_signals_total{kind="react"}'), 2);
    assert.equal(d('chorus_signals_total{kind="vote"}'), 1);
    assert.equal(d('chorus_signals_total{kind="chant"}'), 1);
    assert.equal(d('chorus_reaction_taps_total{reaction="fire"}'), 7);
    assert.equal(m.get('chorus_poll_open'), 1);
    assert.equal(m.get('chorus_poll_voters'), 1);
    assert.equal(d('chorus_refused_total{reason="unknown_poll"}'), 1);
    assert.equal(d('chorus_refused_total{reason="bad_key"}'), 1);
    assert.equal(d('chorus_role_keys_total{result="wrong"}'), 1);
    // The store committed them, and each transaction is in the histogram.
    assert.ok(d('chorus_store_commits_total') > 0);
    assert.ok(d('chorus_store_records_written_total') >= 4);
    assert.equal(m.get('chorus_store_commit_seconds_count'),
      m.get('chorus_store_commits_total') + m.get('chorus_store_commit_failures_total'));
    assert.equal(m.get('chorus_store_commit_seconds_bucket{le="+Inf"}'), m.get('chorus_store_commit_seconds_count'));
    assert.ok(m.get('chorus_store_queue_capacity') >= 262144);
    assert.ok(m.get('chorus_store_queue_depth') >= 0);
    // Writes: snapshots and acks went out.
    const writes = ['at_once', 'partly', 'queued'].reduce((a, h) => a + m.get(`chorus_ws_messages_written_total{how="${h}"}`), 0);
    assert.ok(writes > 10, `messages written: ${writes}`);
    // The phones' snapshots went through the io_uring batch: a part of the
    // written ones, in at most one batch per message.
    const batched = m.get('chorus_ws_messages_batched_total');
    assert.ok(batched > 0 && batched <= m.get('chorus_ws_messages_written_total{how="at_once"}') + m.get('chorus_ws_messages_written_total{how="partly"}'), `batched ${batched}`);
    assert.ok(m.get('chorus_ws_batches_total') >= 1 && m.get('chorus_ws_batches_total') <= batched);
    // File descriptors: at least one per open socket, under the limit.
    assert.ok(m.get('chorus_fds_open') >= 7, `fds ${m.get('chorus_fds_open')}`);
    assert.ok(m.get('chorus_fds_open') < m.get('chorus_fds_max'));
    assert.ok(m.get('chorus_ticks_total') > 0);
    assert.ok(m.get('chorus_ticks_missed_total') >= 0);
    assert.ok(m.get('chorus_uptime_seconds') > 0);

    // Everybody leaves: the gauges go back down.
    for (const c of [k, screen, silent, bad, ...phones]) c.ws.terminate();
    const fdsBefore = m.get('chorus_fds_open');
    for (let i = 0; i < 50; i++) {
      m = await scrape();
      if (m.get('chorus_connections{role="audience"}') === 0 && m.get('chorus_connections_pending') === 0) break;
      await sleep(50);
    }
    assert.equal(m.get('chorus_connections{role="audience"}'), 0);
    assert.equal(m.get('chorus_connections{role="crew"}'), 0);
    assert.equal(m.get('chorus_connections_pending'), 0);
    assert.ok(m.get('chorus_fds_open') <= fdsBefore - 7, `fds freed: ${fdsBefore} -> ${m.get('chorus_fds_open')}`);
  });

  test('a loop that stalls shows as missed ticks', async () => {
    const a = (await scrape()).get('chorus_ticks_missed_total');
    // Stop the hub's process for 1 s: ticks that should have run did not.
    process.kill(hub.proc.pid, 'SIGSTOP');
    await sleep(1000);
    process.kill(hub.proc.pid, 'SIGCONT');
    await sleep(150);
    const b = (await scrape()).get('chorus_ticks_missed_total');
    assert.ok(b - a >= 7 && b - a <= 25, `about 10 ticks of 100 ms missed: ${a} -> ${b}`);
  });
});
