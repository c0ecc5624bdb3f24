// nats.mjs -- real nats-server (JetStream) for cluster-mode integration tests:
// one server, or a three-node cluster on loopback, each on free ports with a
// temporary store, ready once its /healthz answers 200 (the server has
// JetStream and a meta leader). As in /work/spec/nats-notes.md, section 6.
//
//   import { startNats, startNatsCluster } from '../cluster/nats.mjs';
//   const nats = await startNats();          // nats.url -> --nats for the hubs
//   after(() => nats.destroy());
//   const c = await startNatsCluster();      // c.url: "nats://127.0.0.1:a,nats://...:b,..."
//   await c.nodes[0].kill9(); ...; await c.nodes[0].restart();
//   after(() => c.destroy());
//
// Each server (a single one, or each node of a cluster) is an object:
//   url, port, monitorPort, name, dir (its own folder: store, config, log)
//   stop()      SIGTERM (graceful), resolves once it exited; the store stays
//   kill9()     SIGKILL, resolves once it exited; the store stays
//   restart()   starts it again (after stop or kill9; stops it first if it
//               runs) on the same ports and store; resolves when /healthz is 200
//   healthz()   resolves {status, body} (status 0: no answer)
//   waitHealthy(ms)  resolves when /healthz is 200, rejects after ms
//   running()   whether its process runs
//   log()       its log so far (text)
//   destroy()   kill it and remove its folder
// A cluster is { nodes, urls, url, stop(), destroy() } (stop/destroy every
// node), with metaLeader() (the JetStream meta leader's node name) and
// waitMetaLeader({not}) (every running node agrees on a leader other than
// `not` and is healthy: use it after killing a node, as /healthz may still
// say 200 until the others noticed), clientNode(name) (the node a named
// connection is on) and consumerNode(client, filter) (the node holding the
// consumer a named connection reads a stream through).
// Servers still running when the Node process exits are killed (no
// orphans after a failed test). Binary: $NATS_SERVER, else nats-server on
// the PATH, else /usr/sbin/nats-server (Debian's package).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, existsSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { get } from 'node:http';

const START_MS = 20000;      // a loaded 2-core machine: JetStream can take seconds
const STOP_MS = 10000;       // then SIGKILL

export function natsBinary() {
  if (process.env.NATS_SERVER) return process.env.NATS_SERVER;
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || '/usr/sbin/nats-server';
  } catch { return '/usr/sbin/nats-server'; }
}

const live = new Set();      // running child processes, killed at exit
process.on('exit', () => { for (const p of live) { try { p.kill('SIGKILL'); } catch { /* gone */ } } });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// n distinct free loopback ports (all held open until all are chosen).
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      servers.push(await new Promise((resolve, reject) => {
        const s = createServer();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => resolve(s));
      }));
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

function httpGet(port, path, ms = 2000) {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: ms }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

// GET a monitoring endpoint as JSON (e.g. '/jsz', '/varz', '/routez').
export async function monitor(port, path) {
  const r = await httpGet(port, path);
  if (r.status !== 200) throw new Error(`GET 127.0.0.1:${port}${path}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

// One nats-server process: args builds its command line; restartable.
function server({ name, dir, port, monitorPort, args }) {
  const logFile = join(dir, 'nats.log');
  let proc = null;
  let exited = null;
  const s = {
    name, dir, port, monitorPort, url: `nats://127.0.0.1:${port}`,
    running: () => proc !== null && proc.exitCode === null && proc.signalCode === null,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    healthz: () => httpGet(monitorPort, '/healthz'),
    async waitHealthy(ms = START_MS) {
      const deadline = Date.now() + ms;
      let last = { status: 0, body: '' };
      for (;;) {
        if (!s.running()) throw new Error(`nats-server ${name} exited (${proc?.exitCode ?? proc?.signalCode}):\n${tail(s.log())}`);
        last = await s.healthz();
        if (last.status === 200) return;
        if (Date.now() > deadline) {
          throw new Error(`nats-server ${name}: /healthz not 200 after ${ms} ms (${last.status} ${last.body})\n${tail(s.log())}`);
        }
        await sleep(100);
      }
    },
    spawn() {
      mkdirSync(dir, { recursive: true });
      const p = spawn(natsBinary(), [...args, '-l', logFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d) => { err += d; });
      live.add(p);
      exited = new Promise((resolve) => p.on('exit', (code, signal) => {
        live.delete(p);
        if (err) writeFileSync(join(dir, 'nats.stderr'), err);
        resolve({ code, signal });
      }));
      p.on('error', (e) => { err += String(e); });
      proc = p;
    },
    async start(ms = START_MS) { s.spawn(); await s.waitHealthy(ms); return s; },
    async stopWith(sig, ms = STOP_MS) {
      if (!s.running()) return exited;
      proc.kill(sig);
      const t = setTimeout(() => { if (s.running()) proc.kill('SIGKILL'); }, ms);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
    stop: () => s.stopWith('SIGTERM'),
    kill9: () => s.stopWith('SIGKILL'),
    async restart(ms = START_MS) { await s.stop(); return s.start(ms); },
    async destroy() { await s.kill9(); rmSync(dir, { recursive: true, force: true }); },
  };
  return s;
}

function tail(text, n = 15) { return text.split('\n').slice(-n).join('\n'); }

// Address already taken between choosing the port and binding it (rare):
// the caller picks new ports and tries again.
const portRace = (e, log) => /address already in use/i.test(String(e) + log);

// A single JetStream server: -js -sd DIR -p PORT -a 127.0.0.1 -m MONITOR.
export async function startNats({ name = 'single', dir = null, startMs = START_MS } = {}) {
  const base = dir ?? mkdtempSync(join(tmpdir(), 'chorus-nats-'));
  for (let attempt = 1; ; attempt++) {
    const [port, monitorPort] = await freePorts(2);
    const store = join(base, 'store');
    const s = server({
      name, dir: base, port, monitorPort,
      args: ['-js', '-sd', store, '-p', String(port), '-a', '127.0.0.1', '-m', String(monitorPort), '-n', name],
    });
    try {
      return await s.start(startMs);
    } catch (e) {
      await s.kill9();
      if (attempt < 3 && portRace(e, s.log())) continue;
      if (!dir) rmSync(base, { recursive: true, force: true });
      throw e;
    }
  }
}

// The config of node i (0-based) of a loopback cluster; ports[j] =
// {client, route, http} of node j. Node names n1, n2, n3.
function nodeConfig(i, ports, store, clusterName) {
  const routes = ports.map((p) => `    nats-route://127.0.0.1:${p.route}`).join('\n');
  return `server_name: n${i + 1}
listen: 127.0.0.1:${ports[i].client}
http: 127.0.0.1:${ports[i].http}
jetstream { store_dir: "${store}" }
cluster {
  name: ${clusterName}
  listen: 127.0.0.1:${ports[i].route}
  routes: [
${routes}
  ]
}
`;
}

// A cluster of `size` (default 3) JetStream servers on loopback, each with
// its own store; resolves when every node's /healthz is 200 (a meta leader
// is elected). Streams and buckets with Replicas 3 survive losing one node.
export async function startNatsCluster({ size = 3, dir = null, startMs = START_MS } = {}) {
  const base = dir ?? mkdtempSync(join(tmpdir(), 'chorus-natsc-'));
  for (let attempt = 1; ; attempt++) {
    const flat = await freePorts(3 * size);
    const ports = Array.from({ length: size }, (_, i) => ({ client: flat[3 * i], route: flat[3 * i + 1], http: flat[3 * i + 2] }));
    const clusterName = `chorus-test-${ports[0].route}`;
    const nodes = ports.map((p, i) => {
      const ndir = join(base, `n${i + 1}`);
      mkdirSync(ndir, { recursive: true });
      const conf = join(ndir, 'nats.conf');
      writeFileSync(conf, nodeConfig(i, ports, join(ndir, 'store'), clusterName));
      return server({ name: `n${i + 1}`, dir: ndir, port: p.client, monitorPort: p.http, args: ['-c', conf] });
    });
    const cluster = {
      nodes,
      urls: nodes.map((n) => n.url),
      url: nodes.map((n) => n.url).join(','),
      dir: base,
      // The JetStream meta leader's name as a running node sees it ('' if none).
      async metaLeader() {
        for (const n of nodes.filter((x) => x.running())) {
          try { const m = (await monitor(n.monitorPort, '/jsz')).meta_cluster; if (m?.leader) return m.leader; } catch { /* next */ }
        }
        return '';
      },
      // Resolves (the leader's name) once every running node agrees on a meta
      // leader other than `not` and answers /healthz 200: after a node was
      // killed, healthz can still say 200 until the others noticed.
      async waitMetaLeader({ not = null, ms = START_MS } = {}) {
        const deadline = Date.now() + ms;
        for (;;) {
          const up = nodes.filter((x) => x.running());
          const seen = await Promise.all(up.map((n) => monitor(n.monitorPort, '/jsz').then((j) => j.meta_cluster?.leader ?? '', () => '')));
          const health = await Promise.all(up.map((n) => n.healthz()));
          if (seen.length && seen[0] && seen[0] !== not && seen.every((l) => l === seen[0]) && health.every((h) => h.status === 200)) return seen[0];
          if (Date.now() > deadline) throw new Error(`no common meta leader${not ? ` other than ${not}` : ''} after ${ms} ms: ${JSON.stringify(seen)}`);
          await sleep(100);
        }
      },
      // The node that holds the consumer a client reads a stream through:
      // the client is the connection named `client` (a hub: chorus-hub-<id>),
      // the consumer is the one whose filter is `filter` and whose deliver
      // subject that connection subscribes to. An ordered consumer has one
      // replica, on one node: kill that node and the client must make it
      // again. null when no node holds it (yet).
      // The node a connection (by name) is connected to, or null.
      async clientNode(client) {
        for (const n of nodes.filter((x) => x.running())) {
          const cz = await monitor(n.monitorPort, '/connz').catch(() => ({ connections: [] }));
          if ((cz.connections ?? []).some((c) => c.name === client)) return n;
        }
        return null;
      },
      async consumerNode(client, filter) {
        const up = nodes.filter((x) => x.running());
        const inboxes = new Set();
        for (const n of up) {
          const cz = await monitor(n.monitorPort, '/connz?subs=detail').catch(() => ({ connections: [] }));
          for (const c of cz.connections ?? []) {
            if (c.name === client) for (const sub of c.subscriptions_list_detail ?? []) inboxes.add(sub.subject);
          }
        }
        for (const n of up) {
          const j = await monitor(n.monitorPort, '/jsz?consumers=true&config=true').catch(() => ({}));
          for (const a of j.account_details ?? []) {
            for (const st of a.stream_detail ?? []) {
              for (const c of st.consumer_detail ?? []) {
                if (c.config?.filter_subject === filter && inboxes.has(c.config?.deliver_subject)) return n;
              }
            }
          }
        }
        return null;
      },
      async stop() { await Promise.all(nodes.map((n) => n.stop())); },
      async destroy() { await Promise.all(nodes.map((n) => n.kill9())); rmSync(base, { recursive: true, force: true }); },
    };
    try {
      for (const n of nodes) n.spawn();     // all at once: none is healthy alone
      await Promise.all(nodes.map((n) => n.waitHealthy(startMs)));
      return cluster;
    } catch (e) {
      await Promise.all(nodes.map((n) => n.kill9()));
      if (attempt < 3 && portRace(e, nodes.map((n) => n.log()).join('\n'))) {
        rmSync(base, { recursive: true, force: true });
        mkdirSync(base, { recursive: true });
        continue;
      }
      if (!dir) rmSync(base, { recursive: true, force: true });
      throw e;
    }
  }
}

// A bare NATS client on the text protocol (CONNECT, PUB, SUB, PING): enough
// to play a publisher that misbehaves (a flood) or to take one message off
// a subject, without a client library.
//   const r = await rawNats(url);
//   const payload = await r.first('chorus.DEMO.part', (buf) => ...);
//   r.pub(subject, buf) (false: wait for r.drained()); await r.flush(); r.close();
export async function rawNats(url) {
  const { hostname, port } = new URL(url.split(',')[0]);
  const { connect } = await import('node:net');
  const sock = connect(Number(port), hostname);
  let buf = Buffer.alloc(0);
  const pongs = [];
  const subs = new Map();   // sid -> (payload) => void
  let nextSid = 1;
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  sock.on('error', () => { /* the test reports what it misses */ });
  // A wait (drain, PONG) is refused when the connection closes meanwhile.
  const rejects = new Set();
  sock.on('close', () => { for (const r of rejects) r(new Error('the NATS connection closed')); rejects.clear(); });
  const waiting = (start) => new Promise((resolve, reject) => {
    if (sock.destroyed) { reject(new Error('the NATS connection closed')); return; }
    rejects.add(reject);
    start((v) => { rejects.delete(reject); resolve(v); });
  });
  sock.write('CONNECT {"verbose":false,"pedantic":false,"name":"raw-test"}\r\n');
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const line = buf.subarray(0, eol).toString();
      if (line.startsWith('MSG ')) {
        const f = line.split(' ');
        const n = Number(f[f.length - 1]);
        if (buf.length < eol + 2 + n + 2) return;   // the payload is not all here yet
        const payload = buf.subarray(eol + 2, eol + 2 + n);
        buf = buf.subarray(eol + 2 + n + 2);
        subs.get(Number(f[2]))?.(Buffer.from(payload));
        continue;
      }
      buf = buf.subarray(eol + 2);
      if (line === 'PING') sock.write('PONG\r\n');
      else if (line === 'PONG') { const p = pongs.shift(); if (p) p(); }
    }
  });
  return {
    pub(subject, payload) { return sock.write(Buffer.concat([Buffer.from(`PUB ${subject} ${payload.length}\r\n`), payload, Buffer.from('\r\n')])); },
    drained: () => waiting((resolve) => sock.once('drain', resolve)),
    flush: () => waiting((resolve) => { pongs.push(resolve); sock.write('PING\r\n'); }),
    // The first message on subject that pred accepts (within ms).
    first(subject, pred = () => true, ms = 10000) {
      const sid = nextSid++;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => { subs.delete(sid); reject(new Error(`no message on ${subject} within ${ms} ms`)); }, ms);
        subs.set(sid, (payload) => {
          if (!pred(payload)) return;
          clearTimeout(t);
          subs.delete(sid);
          sock.write(`UNSUB ${sid}\r\n`);
          resolve(payload);
        });
        sock.write(`SUB ${subject} ${sid}\r\n`);
      });
    },
    close() { sock.destroy(); },
  };
}

// Is the binary there at all (for a test to skip with a clear reason)?
export function haveNats() {
  try { accessSync(natsBinary(), constants.X_OK); return true; } catch { return false; }
}
