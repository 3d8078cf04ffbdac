// Interoperability with an independent, certified OpenID Connect client library (panva/openid-client),
// test-only: discovery, client_credentials with both client authentication methods, and the implicit
// "id_token token" flow through the hosted login, validated by the library (signature, nonce, at_hash).
// Usage: node oidc.mjs /path/to/organizer-server
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Issuer, generators } from 'openid-client';

const serverBinary = process.argv[2];
assert.ok(serverBinary, 'usage: node oidc.mjs /path/to/organizer-server');
const dataDir = mkdtempSync(join(tmpdir(), 'organizer-oidc-'));
const child = spawn(serverBinary, ['--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
child.stderr.on('data', (chunk) => { log += chunk; });
const base = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error(`no readiness line: ${log}`)), 20000);
  child.stdout.on('data', (chunk) => {
    out += chunk;
    const match = out.match(/listening on (\S+)/);
    if (match) { clearTimeout(timer); resolve(match[1]); }
  });
});

const cookies = new Map();
async function browse(url, options = {}) {
  const headers = { ...(options.headers ?? {}), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  const response = await fetch(new URL(url, base), { ...options, headers, redirect: 'manual' });
  for (const line of (response.headers.get('set-cookie') ?? '').split(/,(?=\s*[A-Za-z_]+=)/)) {
    const [pair] = line.trim().split(';');
    const at = pair.indexOf('=');
    if (at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return { status: response.status, location: response.headers.get('location'), body: await response.text() };
}
const hidden = (html, name) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))[1];
async function submit(path, fields) {
  return browse(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
}

let passed = 0;
try {
  const issuer = await Issuer.discover(base);
  assert.equal(issuer.issuer, base);
  assert.equal(issuer.token_endpoint, `${base}oauth/token`);
  console.log('ok - discovery');
  passed++;

  for (const method of ['client_secret_basic', 'client_secret_post']) {
    const m2m = new issuer.Client({ client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', token_endpoint_auth_method: method });
    const tokens = await m2m.grant({ grant_type: 'client_credentials', audience: 'organize' });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.scope, 'read:contacts read:calendar');
    const contacts = await fetch(`${base}api/contacts`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(contacts.status, 200);
    console.log(`ok - client_credentials with ${method} opens the contacts API`);
    passed++;
  }

  const client = new issuer.Client({ client_id: 'organizer-desktop', token_endpoint_auth_method: 'none', response_types: ['id_token token'] });
  const nonce = generators.nonce();
  const state = generators.state();
  const redirectUri = 'http://localhost:3000/callback';
  const authorizeUrl = client.authorizationUrl({ redirect_uri: redirectUri, response_type: 'id_token token', scope: 'openid profile read:contacts read:calendar',
    audience: 'organize', nonce, state });
  let step = await browse(authorizeUrl);
  step = await browse(step.location);
  step = await submit('/login', { transaction: hidden(step.body, 'transaction'), csrf: hidden(step.body, 'csrf'), username: 'alice@example.com', password: 'organizer' });
  step = await browse(step.location);
  step = await submit('/consent', { transaction: hidden(step.body, 'transaction'), csrf: hidden(step.body, 'csrf'), decision: 'accept' });
  assert.ok(step.location.startsWith(`${redirectUri}#`), step.location);
  const params = client.callbackParams(step.location.replace('#', '?'));
  const tokenSet = await client.callback(redirectUri, params, { nonce, state, response_type: 'id_token token' });
  assert.equal(tokenSet.claims().sub, 'auth0|alice');
  // openid-client keeps only the parameters it validates; the granted scope is read from the fragment.
  assert.equal(new URLSearchParams(new URL(step.location).hash.slice(1)).get('scope'), 'openid profile read:contacts read:calendar');
  const userinfo = await client.userinfo(tokenSet);
  assert.equal(userinfo.name, 'Alice Adams');
  console.log('ok - implicit id_token token flow validated by openid-client (signature, nonce, at_hash), userinfo');
  passed++;
  console.log(`${passed} passed, 0 failed`);
} catch (error) {
  console.error('not ok -', error, log.slice(-2000));
  process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
