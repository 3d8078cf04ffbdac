// Organizer against an independent OpenID provider (provider.mjs: panva/oidc-provider, with
// identifier-first pages at /u/login): organizer-server --serve apis --authority trusts its tokens,
// openid-client gets a client-credentials token from it, and the real app — `organizer --demo` in
// both flows, offscreen and (when a display is there, as under ./scripts/test's Xvfb) windowed, and
// `organizer qa` — logs in through its pages and calls the APIs, given the provider inline and as a
// saved profile. Every run must pass.
// Usage: node provider_test.mjs /path/to/organizer-server /path/to/organizer
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Issuer } from 'openid-client';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { RESOURCE, startProvider } from './provider.mjs';
import { Tally, onExit, startServer } from './lib.mjs';

const [serverBinary, appBinary] = process.argv.slice(2);
assert.ok(serverBinary && appBinary, 'usage: node provider_test.mjs /path/to/organizer-server /path/to/organizer');
const here = dirname(fileURLToPath(import.meta.url));
const tally = new Tally();

const provider = await startProvider();
onExit(() => provider.close());
const api = await startServer(serverBinary, ['--serve', 'apis', '--authority', provider.issuer]);
const home = mkdtempSync(join(tmpdir(), 'organizer-provider-home-'));
onExit(() => rmSync(home, { recursive: true, force: true }));

function run(binary, args, { env = {}, timeoutMs = 120000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(binary, args, {
      env: { ...process.env, QTWEBENGINE_DISABLE_SANDBOX: '1', XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.stderr.on('data', (chunk) => { out += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out }); });
  });
}
const inline = ['--issuer', provider.issuer, '--client-id', 'organizer-desktop', '--audience', 'organize', '--resource', RESOURCE, '--api-base', api.url];
const offscreen = { QT_QPA_PLATFORM: 'offscreen' };

await tally.check('organizer-server --authority trusts the provider: its client-credentials token (openid-client) opens exactly its scopes', async () => {
  const issuer = await Issuer.discover(provider.issuer);
  const client = new issuer.Client({ client_id: 'organizer-cli', client_secret: 'organizer-cli-secret' });
  const tokens = await client.grant({ grant_type: 'client_credentials', resource: RESOURCE, scope: 'read:contacts read:calendar' });
  assert.equal(decodeProtectedHeader(tokens.access_token).alg, 'RS256');
  const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(issuer.jwks_uri)), { issuer: provider.issuer, audience: 'organize' });
  assert.equal(payload.scope, 'read:contacts read:calendar');
  const call = (method, path) => fetch(`${api.url}${path}`, { method, headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
    body: method === 'POST' ? '{"name":"x","email":"x@example.com"}' : undefined });
  assert.equal((await call('GET', 'api/contacts')).status, 200);
  assert.equal((await call('GET', 'api/appointments')).status, 200);
  const refused = await call('POST', 'api/contacts');
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('www-authenticate'), /error="insufficient_scope", error_description="[^"]*", scope="create:contacts"/);
});

for (const flow of ['implicit', 'code']) {
  await tally.check(`organizer --demo --flow ${flow} offscreen, provider inline: identifier-first login, both APIs as the scopes predict`, async () => {
    const result = await run(appBinary, ['--demo', '--flow', flow, ...inline], { env: offscreen });
    assert.equal(result.code, 0, result.out);
    assert.match(result.out, /GET \/api\/contacts\s+-> 200/);
    assert.match(result.out, /GET \/api\/appointments\s+-> 200/);
    assert.match(result.out, /result: ok/);
    assert.ok(!result.out.includes('Init Parameters'), 'the engine parameter dump leaked into the report');
  });
}

await tally.check('organizer --demo for a user with only read:contacts: the calendar API refuses, as predicted', async () => {
  const result = await run(appBinary, ['--demo', '--flow', 'code', '--user', 'bob@example.com', ...inline], { env: offscreen });
  assert.equal(result.code, 0, result.out);
  assert.match(result.out, /GET \/api\/contacts\s+-> 200/);
  assert.match(result.out, /GET \/api\/appointments\s+-> 403/);
});

await tally.check('organizer --demo with a wrong password names the page that came back, quickly', async () => {
  const started = Date.now();
  const result = await run(appBinary, ['--demo', '--password', 'wrong', ...inline], { env: offscreen });
  assert.equal(result.code, 1, result.out);
  assert.match(result.out, /password page came back.*Wrong email or password/);
  assert.ok(Date.now() - started < 30000, 'took too long to say why');
});

if (process.env.DISPLAY) {
  for (const flow of ['implicit', 'code']) {
    await tally.check(`organizer --demo --flow ${flow} windowed (Xvfb), provider inline: the window logs in through the provider and calls its APIs`, async () => {
      const result = await run(appBinary, ['--demo', '--exit-when-done', '--flow', flow, ...inline], { env: { QT_QPA_PLATFORM: 'xcb' } });
      assert.equal(result.code, 0, result.out);
      assert.match(result.out, new RegExp(`GET /api/contacts\\s+-> 200`));
      assert.match(result.out, /result: ok/);
      assert.ok(!result.out.includes('bundled organizer-server'), 'the demo called the bundled server instead of the profile\'s APIs');
    });
  }
} else {
  console.log('# no DISPLAY: the windowed runs need one (./scripts/test runs ctest under Xvfb)');
}

await tally.check('organizer qa against the provider inline: every cell as the tenant rules predict', async () => {
  const junit = join(home, 'provider-junit.xml');
  const result = await run(appBinary, ['qa', '--plan', join(here, 'provider-plan.json'), '--junit', junit, ...inline], { env: offscreen, timeoutMs: 300000 });
  assert.equal(result.code, 0, result.out.slice(-3000));
  const xml = readFileSync(junit, 'utf8');
  const testcases = (xml.match(/<testcase /g) ?? []).length;
  assert.ok(testcases >= 480, `only ${testcases} testcases`);
  assert.ok(!/<failure/.test(xml), 'a cell failed');
});

await tally.check('a saved profile for the provider works for organizer --demo and organizer qa', async () => {
  mkdirSync(join(home, 'config', 'Organizer'), { recursive: true });
  writeFileSync(join(home, 'config', 'Organizer', 'organizer.conf'), [
    '[custom]', '1\\name=Test provider', `1\\issuer=${provider.issuer}`, `1\\apiBaseUrl=${api.url}`, '1\\clientId=organizer-desktop',
    '1\\audience=organize', `1\\resource=${RESOURCE}`, '1\\redirectUri=http://localhost:3000/callback', '1\\flow=code', 'size=1', ''].join('\n'));
  const demo = await run(appBinary, ['--demo', '--profile', 'Test provider'], { env: offscreen });
  assert.equal(demo.code, 0, demo.out);
  assert.match(demo.out, /result: ok/);
  const qa = await run(appBinary, ['qa', '--plan', join(here, 'provider-plan.json'), '--profile', 'Test provider', '--flow', 'code'], { env: offscreen, timeoutMs: 300000 });
  assert.equal(qa.code, 0, qa.out.slice(-3000));
});

tally.finish();
