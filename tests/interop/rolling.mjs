// A rolling restart behind a real load balancer, as a team deploying several instances does it: two
// organizer-server instances on one PostgreSQL behind Debian's haproxy, which checks GET /readyz and
// retries only failed connections (its default: no retry-on, no redispatch). Six clients read and write
// through it without pause while each instance in turn gets SIGTERM and is started again. Not one
// request may fail and every acknowledged write must be there afterwards.
//
// Usage: node rolling.mjs ORGANIZER_SERVER POSTGRES_DIR   (POSTGRES_DIR from tests/cluster/postgres.sh start)
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tally, freePort, makeSecretsFile, onExit, startInstance, storageArgs } from './lib.mjs';

const [binary, postgresDir] = process.argv.slice(2);
if (!binary || !postgresDir) { console.error('usage: node rolling.mjs ORGANIZER_SERVER POSTGRES_DIR'); process.exit(2); }
const haproxy = process.env.HAPROXY ?? '/usr/sbin/haproxy';
const databaseUrl = execFileSync(new URL('../cluster/postgres.sh', import.meta.url).pathname, ['createdb', postgresDir], { encoding: 'utf8' }).trim();
const work = mkdtempSync(join(tmpdir(), 'organizer-rolling-'));
onExit(() => rmSync(work, { recursive: true, force: true }));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The health check runs every 200 ms and one failure takes an instance out, so a 1 s drain is ample.
const drainSeconds = Number(process.env.ORGANIZER_ROLLING_DRAIN_SECONDS ?? 1);
// Each instance has a data directory of its own; the database holds the signing keys, sealed under the
// one secrets file every instance is given.
const secretsFile = makeSecretsFile(binary, join(work, 'secrets.key'));
const storage = (name) => ({ dataDir: join(work, `data-${name}`), databaseUrl, passwordFile: join(postgresDir, 'password'), secretsFile });
const startClusterInstance = (name, port, publicUrl) => startInstance(binary, { name, port, ...storage(name), publicUrl,
  args: ['--drain-seconds', String(drainSeconds)] });

const [lbPort, portA, portB] = [await freePort(), await freePort(), await freePort()];
const publicUrl = `http://127.0.0.1:${lbPort}/`;
const instances = { a: await startClusterInstance('a', portA, publicUrl), b: await startClusterInstance('b', portB, publicUrl) };
const config = join(work, 'haproxy.cfg');
writeFileSync(config, `global
    maxconn 2000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend organizer
    bind 127.0.0.1:${lbPort}
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 200 fall 1 rise 2
    server a 127.0.0.1:${portA} check
    server b 127.0.0.1:${portB} check
`);
const balancer = spawn(haproxy, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
let balancerLog = '';
balancer.stderr.on('data', (chunk) => { balancerLog += chunk; });
onExit(() => balancer.kill('SIGKILL'));
const lb = `http://127.0.0.1:${lbPort}/`;
async function bothUp() {
  // Each instance answers /readyz itself, and the balancer has had time for `rise 2` checks.
  for (const instance of Object.values(instances)) {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`http://127.0.0.1:${instance.port}/readyz`)).ok) break; } catch { /* starting */ }
      if (i > 100) throw new Error(`${instance.name} never became ready: ${instance.log()}`);
      await sleep(100);
    }
  }
  await sleep(800);
}
await bothUp();

const token = execFileSync(binary, ['token', ...storageArgs(storage('cli')), '--issuer', publicUrl, '--sub', 'auth0|rolling',
  '--scope', 'read:contacts create:contacts'], { encoding: 'utf8' }).trim();
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const tally = new Tally();

let running = true;
const failures = [];
const written = [];
let requests = 0;
async function client(id) {
  for (let n = 0; running; n++) {
    const write = n % 3 === 0;
    try {
      const answer = write
        ? await fetch(`${lb}api/contacts`, { method: 'POST', headers, body: JSON.stringify({ name: `Client ${id} #${n}`, email: `c${id}-${n}@example.com` }) })
        : await fetch(`${lb}api/contacts`, { headers });
      const body = await answer.text();
      requests++;
      if (answer.status !== (write ? 201 : 200)) failures.push(`${write ? 'POST' : 'GET'} → ${answer.status} ${body.slice(0, 200)}`);
      else if (write) written.push(JSON.parse(body).id);
    } catch (error) {
      requests++;
      failures.push(`${write ? 'POST' : 'GET'} → ${error.cause?.code ?? error.message}`);
    }
  }
}

await tally.check('six clients reading and writing through haproxy lose nothing while each instance is restarted with SIGTERM in turn', async () => {
  const clients = Array.from({ length: 6 }, (_, i) => client(i));
  await sleep(1000);
  for (const name of ['a', 'b']) {
    const before = requests;
    const stopping = instances[name];
    const started = Date.now();
    stopping.child.removeAllListeners('exit');
    const exited = new Promise((resolve) => stopping.child.once('exit', (code, signal) => resolve({ code, signal })));
    stopping.child.kill('SIGTERM');
    const { code, signal } = await exited;
    assert.equal(code, 0, `${name} exited with ${code ?? signal}: ${stopping.log()}`);
    const took = Date.now() - started;
    assert.ok(took >= drainSeconds * 1000 - 100, `${name} stopped after ${took} ms, before its drain period`);
    assert.ok(took < drainSeconds * 1000 + 10000, `${name} took ${took} ms to stop`);
    instances[name] = await startClusterInstance(name, stopping.port, publicUrl);
    await bothUp();
    assert.ok(requests - before > 100, `only ${requests - before} requests while ${name} restarted`);
  }
  await sleep(1000);
  running = false;
  await Promise.all(clients);
  assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
  assert.ok(written.length > 100, `only ${written.length} writes`);
  console.log(`# ${requests} requests, ${written.length} acknowledged writes, 0 failed, across two rolling restarts`);
});

await tally.check('every acknowledged write is there after the restarts', async () => {
  const answer = await fetch(`${lb}api/contacts`, { headers });
  assert.equal(answer.status, 200);
  const listed = new Set((await answer.json()).contacts.map((contact) => contact.id));
  const missing = written.filter((id) => !listed.has(id));
  assert.deepEqual(missing, [], `${missing.length} acknowledged writes are missing`);
});

await tally.check('readiness: 200 while taking work, 503 "draining" from the moment SIGTERM arrives, /healthz still 200 meanwhile', async () => {
  const instance = instances.a;
  const url = `http://127.0.0.1:${instance.port}/`;
  assert.equal((await fetch(`${url}readyz`)).status, 200);
  instance.child.removeAllListeners('exit');
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await sleep(100);
  const draining = await fetch(`${url}readyz`);
  assert.equal(draining.status, 503);
  assert.equal((await draining.json()).status, 'draining');
  assert.equal((await fetch(`${url}healthz`)).status, 200);
  assert.equal(await exited, 0);
});

await tally.check('readiness: 503 "unavailable" while the instance\'s database does not answer, 200 again once it does', async () => {
  // A PostgreSQL server of this check's own, stopped and started under a running instance.
  const script = new URL('../cluster/postgres.sh', import.meta.url).pathname;
  const own = join(work, 'pg-own');
  execFileSync(script, ['start', own]);
  onExit(() => execFileSync(script, ['stop', own]));
  const readFile = (name) => execFileSync('cat', [join(own, name)], { encoding: 'utf8' }).trim();
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--data-dir', join(work, 'own'), '--database', readFile('url'),
    '--database-password-file', join(own, 'password'), '--secrets-file', secretsFile, '--access-log', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
  onExit(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}/`;
  const readiness = async () => { try { const answer = await fetch(`${url}readyz`); return [answer.status, (await answer.json()).status]; } catch { return [0, '']; } };
  for (let i = 0; (await readiness())[0] !== 200; i++) { assert.ok(i < 100, 'the instance never became ready'); await sleep(100); }
  execFileSync(script, ['suspend', own]);
  assert.deepEqual(await readiness(), [503, 'unavailable']);
  assert.equal((await fetch(`${url}healthz`)).status, 200, 'the process is still alive');
  execFileSync(script, ['resume', own]);
  let state = await readiness();
  for (let i = 0; state[0] !== 200 && i < 50; i++) { await sleep(100); state = await readiness(); }
  assert.deepEqual(state, [200, 'ready'], 'ready again once the database answers');
});

tally.finish();
