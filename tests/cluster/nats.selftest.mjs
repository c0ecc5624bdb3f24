// nats.selftest.mjs -- checks tests/cluster/nats.mjs itself against the real
// nats-server: a single JetStream server (healthy, its store in its temp
// folder, kill -9 then restart on the same ports and store), and a
// three-node loopback cluster (healthy, one meta leader of three; kill -9 of
// the meta leader leaves the other two healthy under a new leader, the
// killed node rejoins). Not part of a suite: run it by hand,
//
//   node --test tests/cluster/nats.selftest.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startNats, startNatsCluster, monitor, haveNats } from './nats.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const skip = haveNats() ? false : 'nats-server is not installed (scripts/deps.sh)';

test('single JetStream server: healthy, survives kill -9 + restart', { skip, timeout: 120000 }, async () => {
  const s = await startNats();
  try {
    assert.match(s.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await s.healthz()).status, 200);
    const jsz = await monitor(s.monitorPort, '/jsz');
    assert.ok(jsz.config?.store_dir?.startsWith(s.dir), `store in the temp dir: ${jsz.config?.store_dir}`);
    await s.kill9();
    assert.equal(s.running(), false);
    assert.equal((await s.healthz()).status, 0, 'nothing answers after kill -9');
    await s.restart();
    assert.equal((await s.healthz()).status, 200);
    await s.stop();
    assert.equal(s.running(), false);
  } finally {
    await s.destroy();
  }
  assert.equal(existsSync(s.dir), false, 'destroy removes the temp dir');
});

test('three-node cluster: healthy; losing the meta leader leaves two healthy nodes', { skip, timeout: 180000 }, async () => {
  const c = await startNatsCluster();
  try {
    assert.equal(c.nodes.length, 3);
    assert.equal(c.url.split(',').length, 3);
    for (const n of c.nodes) assert.equal((await n.healthz()).status, 200, `${n.name} healthy`);
    const meta = (await monitor(c.nodes[0].monitorPort, '/jsz')).meta_cluster;
    assert.equal(meta.cluster_size, 3);
    const victim = c.nodes.find((n) => n.name === meta.leader) ?? c.nodes[0];
    const others = c.nodes.filter((n) => n !== victim);

    await victim.kill9();
    // A new meta leader is elected among the two (a few seconds at most),
    // then both stay healthy.
    const leader = await c.waitMetaLeader({ not: victim.name, ms: 30000 });
    assert.ok(others.some((n) => n.name === leader), `new leader ${leader} is one of the others`);
    for (let i = 0; i < 6; i++) {
      for (const n of others) assert.equal((await n.healthz()).status, 200, `${n.name} stays healthy without ${victim.name}`);
      await sleep(500);
    }
    assert.equal(await c.metaLeader(), leader, 'the same leader after 3 s');

    await victim.restart();
    assert.equal(await c.waitMetaLeader({ ms: 30000 }), leader, 'the killed node rejoins under the new leader');
  } finally {
    await c.destroy();
  }
});
