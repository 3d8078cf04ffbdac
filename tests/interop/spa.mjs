// Auth0's own browser SDKs, unchanged, against organizer-server in Debian's Chromium: @auth0/auth0-spa-js
// (what auth0-react wraps) and auth0-js 9 (the tutorial's era), pinned in package-lock.json and loaded from
// node_modules as their UMD bundles by a small test app that Node serves. The SDKs make every request
// themselves: nothing is patched, intercepted or proxied, no fetch is replaced. puppeteer calls the SDKs'
// methods in the page and types into the server's own login and consent pages, as a person would.
//
// The servers, from one tenant file, configured as a developer would: plain HTTP (domain
// "http://localhost:PORT", a scheme only auth0-spa-js accepts) and --tls (domain "localhost:PORT", as for
// an Auth0 tenant: the SDKs build https:// themselves), with the local certificate authority trusted the
// documented ways — certutil into the NSS database of a HOME of Chromium's own, NODE_EXTRA_CA_CERTS for a
// child node — never by ignoring certificate errors.
//
// The app runs on http://localhost:APP, its registered web origin, and on http://localhost:FOREIGN, which
// the tenant does not know and which must get no CORS headers. Silent authentication (getTokenSilently's
// hidden iframe, checkSession) meets two limits there, as it does against Auth0: consent is never
// remembered for a localhost redirect (prompt=none answers consent_required, RFC 8252 §8.6), and an
// http:// page is cross-site to an https:// server, so the session cookie is a third-party cookie that
// Chromium blocks by default (login_required). So two more servers run under one host name that is not
// localhost, organizer.localhost, shared with the app as an Auth0 custom domain would be (Chromium resolves
// *.localhost to loopback, RFC 6761): there the iframe's answer carries tokens.
// Usage: node spa.mjs /path/to/organizer-server [/path/to/chromium]
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lookup as dnsLookup } from 'node:dns';
import { createServer, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import puppeteer from 'puppeteer-core';
import { Tally, cleanUp, freePort, onExit, startServer } from './lib.mjs';

const binary = process.argv[2];
const chromium = process.argv[3] ?? '/usr/bin/chromium';
assert.ok(binary, 'usage: node spa.mjs /path/to/organizer-server [/path/to/chromium]');
assert.ok(existsSync(chromium), `no browser at ${chromium}: ./scripts/test installs Debian's chromium`);
const here = dirname(fileURLToPath(import.meta.url));
const tally = new Tally();
// Servers and browser go even when setup throws before the tally can finish (it cleans up too).
process.on('exit', cleanUp);
const work = mkdtempSync(join(tmpdir(), 'organizer-spa-'));
onExit(() => rmSync(work, { recursive: true, force: true }));

const clientId = 'organizer-spa-test';
const audience = 'organize';
const scope = 'openid profile email read:contacts read:calendar offline_access';
const user = { id: 'carol', email: 'carol@example.com', name: 'Carol Chen', password: randomBytes(12).toString('base64url') };

// ---------------------------------------------------------------------------------------------------
// The test app: the SDKs' own bundles and two pages that expose what a real app would call.
const bundles = {
  '/sdk/auth0-spa-js.production.js': join(here, 'node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js'),
  '/sdk/auth0.min.js': join(here, 'node_modules/auth0-js/dist/auth0.min.js'),
};
// Errors cross into Node as plain data: the SDK's class name, its OAuth error and description, its message.
const settle = `window.settle = async (work) => {
  try { return { value: await work() }; } catch (e) {
    return { error: { name: e && e.constructor && e.constructor.name, error: e && e.error, error_description: e && (e.error_description || e.errorDescription || e.description),
      code: e && e.code, statusCode: e && e.statusCode, message: String(e && e.message || e), original: e && e.original ? String(e.original.message || e.original) : undefined } };
  }
};`;
const spaPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPA test app (auth0-spa-js)</title>
<script src="/sdk/auth0-spa-js.production.js"></script></head>
<body><main id="app" data-sdk="auth0-spa-js"><h1>SPA test app</h1></main>
<script>
${settle}
// One client per page load, from the options the test hands over, as an app builds it from its config.
window.start = async (options, { construct = false } = {}) => {
  window.client = construct ? new auth0.Auth0Client(options) : await auth0.createAuth0Client(options);
  return true;
};
</script></body></html>`;
const jsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPA test app (auth0-js)</title>
<script src="/sdk/auth0.min.js"></script></head>
<body><main id="app" data-sdk="auth0-js"><h1>SPA test app</h1></main>
<script>
${settle}
window.start = (options) => { window.webAuth = new auth0.WebAuth(options); return true; };
// auth0-js answers by callback; these turn each answer into a promise.
const answer = (run) => new Promise((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result))));
window.parseHash = () => answer((done) => webAuth.parseHash({}, done));
window.checkSession = (options = {}) => answer((done) => webAuth.checkSession(options, done));
window.userInfo = (accessToken) => answer((done) => webAuth.client.userInfo(accessToken, done));
</script></body></html>`;

function serveApp(request, response) {
  const path = new URL(request.url, 'http://app').pathname;
  if (bundles[path]) {
    response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
    response.end(readFileSync(bundles[path]));
  } else if (path === '/' || path === '/spa' || path.startsWith('/spa/')) {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(spaPage);
  } else if (path.startsWith('/js/')) {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(jsPage);
  } else {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  }
}
async function listen() {
  const server = createServer(serveApp);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  onExit(() => server.close());
  return server.address().port;
}
const appPort = await listen();
const foreignPort = await listen();
const app = `http://localhost:${appPort}`; // the registered web origin
const foreign = `http://localhost:${foreignPort}`; // unknown to the tenant
// One host for the app and the server, not localhost: over HTTP the same app server answers under that
// name; over HTTPS an app server with the certificate the server's local CA issued for it.
const customHost = 'organizer.localhost';
const customApp = `http://${customHost}:${appPort}`;
const customSecureApp = `https://${customHost}:${await freePort()}`;
const registered = [app, customApp, customSecureApp];

// ---------------------------------------------------------------------------------------------------
// The tenant: one SPA (a public client: token_endpoint_auth_method none), the organize API, one user.
const hashed = (secret) => execFileSync(binary, ['hash-password'], { input: `${secret}\n` }).toString().trim();
const passwordHash = hashed(user.password);
// A machine-to-machine client for the Management API, for Auth0's Node SDK (which speaks only https).
const admin = { clientId: 'organizer-spa-admin', secret: randomBytes(18).toString('base64url') };
const tenantFile = join(work, 'tenant.json');
writeFileSync(tenantFile, JSON.stringify({
  apis: [{
    name: 'Organizer Service', identifier: audience, signing_alg: 'RS256', rbac: true, add_permissions_in_token: true, allow_offline_access: true,
    scopes: ['read:contacts', 'create:contacts', 'update:contacts', 'delete:contacts', 'read:calendar', 'create:calendar', 'update:calendar', 'delete:calendar']
      .map((value) => ({ value, description: `Scope ${value}` })),
  }],
  clients: [{
    client_id: clientId, name: 'SPA test app', type: 'public', grant_types: ['authorization_code', 'refresh_token', 'implicit'],
    callbacks: registered.flatMap((origin) => [`${origin}/spa/callback`, `${origin}/js/callback`]),
    logout_urls: registered.flatMap((origin) => [`${origin}/spa/`, `${origin}/js/`]),
    web_origins: registered,
  }, {
    client_id: admin.clientId, name: 'SPA test admin', type: 'confidential', grant_types: ['client_credentials'], client_secret_hash: hashed(admin.secret),
    client_grants: [{ audience: '{issuer}api/v2/', scopes: ['read:clients'] }],
  }],
  users: [{ user_id: user.id, email: user.email, name: user.name, password_hash: passwordHash,
    permissions: { [audience]: ['read:contacts', 'create:contacts', 'read:calendar'] } }],
}, null, 2));

// ---------------------------------------------------------------------------------------------------
// *.localhost is loopback (RFC 6761 §6.3), as Chromium resolves it; glibc here knows only localhost.
function lookup(hostname, options, callback) {
  if (!hostname.endsWith('.localhost')) return dnsLookup(hostname, options, callback);
  if (options.all) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
  return callback(null, '127.0.0.1', 4);
}
// Requests from Node, for what no SDK does (preflights, replaying a used refresh token): over https
// trusting exactly the server's CA, never with certificate checks off.
function send(url, { method = 'GET', headers = {}, body, ca } = {}) {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(target, { method, headers, lookup, ...(ca ? { ca } : {}) }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk) => { text += chunk; });
      incoming.on('end', () => resolve({ status: incoming.statusCode, headers: incoming.headers, text, json: () => JSON.parse(text) }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const claimsOf = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
const sorted = (text) => text.split(' ').filter(Boolean).sort().join(' ');

// One organizer-server configured as little as a developer would: the tenant file, --tls for HTTPS, a
// --public-url for the custom host. Its issuer is that URL or else the one it announces; an SDK's domain
// is its host (auth0-spa-js over plain HTTP takes the scheme too, as "http://host:port").
async function organizer(name, extraArgs) {
  const started = await startServer(binary, ['--config', tenantFile, ...extraArgs]);
  const base = extraArgs.includes('--public-url') ? extraArgs[extraArgs.indexOf('--public-url') + 1] : started.url;
  const url = new URL(base);
  const target = { name, base, issuer: base, dataDir: started.dataDir, log: started.log,
    domain: url.protocol === 'https:' ? url.host : url.origin, ca: undefined };
  // Requests as the access log counts them. A line reaches us a little after its answer: waiting for a
  // count is event-driven (each chunk of the server's stderr), never a sleep.
  target.count = (pattern) => (started.log().match(new RegExp(pattern.source, 'g')) ?? []).length;
  target.waitForCount = (pattern, expected) => new Promise((resolve, reject) => {
    const check = () => {
      if (target.count(pattern) < expected) return;
      clearTimeout(timer);
      started.child.stderr.off('data', check);
      resolve(expected);
    };
    const timer = setTimeout(() => {
      started.child.stderr.off('data', check);
      reject(new Error(`the access log has ${target.count(pattern)} of ${expected} lines matching ${pattern}`));
    }, 5000);
    started.child.stderr.on('data', check);
    check();
  });
  return target;
}
const tokenGranted = /"POST \/oauth\/token[ ?][^"]*" 200 /;
const tokenPosted = /"POST \/oauth\/token[ ?]/;
const revoked = /"POST \/oauth\/revoke[^"]*" 200 /;
// A request Node makes after the browser's; once its line is logged, the browser's would have been too.
async function settleLog(target) {
  const marker = randomBytes(6).toString('hex');
  await send(`${target.base}log-marker-${marker}`, { ca: target.ca }); // a 404; the log has paths, never queries
  await target.waitForCount(new RegExp(`"GET /log-marker-${marker} `), 1);
}
async function verifierFor(target) {
  const discovery = (await send(`${target.base}.well-known/openid-configuration`, { ca: target.ca })).json();
  assert.equal(discovery.issuer, target.issuer, 'the issuer is the SDK domain plus /');
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), target.ca ? { agent: new HttpsAgent({ ca: target.ca, lookup }) } : {});
  const verify = (token, expectedAudience) => jwtVerify(token, jwks, { issuer: target.issuer, audience: expectedAudience, algorithms: ['RS256'] });
  verify.issuer = target.issuer;
  return verify;
}

// ---------------------------------------------------------------------------------------------------
// The servers. One that cannot start (or whose CA cannot be had) fails each of its checks with the reason.
async function tryStarting(name, args) {
  try {
    const target = await organizer(name, args);
    if (args.includes('--tls')) {
      // The documented way to get the CA: `organizer-server ca --data-dir D` prints it and how to trust it.
      const printed = spawnSync(binary, ['ca', '--data-dir', target.dataDir], { encoding: 'utf8' });
      assert.equal(printed.status, 0, printed.stderr);
      const pem = printed.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/)?.[0];
      assert.ok(pem, `organizer-server ca printed no certificate:\n${printed.stdout}`);
      Object.assign(target, { ca: pem, caFile: join(work, `${name}-ca.pem`), caPrinted: printed });
      writeFileSync(target.caFile, pem);
    }
    return () => target;
  } catch (error) {
    return () => { throw new Error(`the ${name} server is not available: ${String(error?.message ?? error).slice(0, 600)}`); };
  }
}
const available = (targetOf) => { try { return targetOf(); } catch { return undefined; } };
const plain = await tryStarting('http', []);
const secure = await tryStarting('tls', ['--tls']);
const customPort = await freePort();
const customPlain = await tryStarting('custom-http', ['--port', String(customPort), '--public-url', `http://${customHost}:${customPort}/`]);
const customSecurePort = await freePort();
const customSecure = await tryStarting('custom-tls', ['--tls', '--port', String(customSecurePort), '--public-url', `https://${customHost}:${customSecurePort}/`]);
// The HTTPS app on the custom host, with the server certificate the local CA issued for that host.
let customSecureAppProblem;
try {
  const tls = join(customSecure().dataDir, 'tls');
  const server = createHttpsServer({ cert: readFileSync(join(tls, 'server.pem')), key: readFileSync(join(tls, 'server-key.pem')) }, serveApp);
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(Number(new URL(customSecureApp).port), '127.0.0.1', resolve); });
  onExit(() => server.close());
} catch (error) {
  customSecureAppProblem = error;
}

// Chromium trusts the CA as a person would: certutil into ~/.pki/nssdb of the HOME Chromium runs with.
const home = join(work, 'home');
const nssdb = join(home, '.pki', 'nssdb');
mkdirSync(nssdb, { recursive: true });
execFileSync('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
for (const target of [available(secure), available(customSecure)].filter(Boolean))
  execFileSync('certutil', ['-d', `sql:${nssdb}`, '-A', '-t', 'C,,', '-n', `Organizer local CA (${target.name})`, '-i', target.caFile]);

const browser = await puppeteer.launch({
  executablePath: chromium, headless: true, env: { ...process.env, HOME: home },
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'],
});
onExit(() => browser.process()?.kill('SIGKILL'));

// ---------------------------------------------------------------------------------------------------
// Driving the pages.
async function appPage(context, url) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text()); });
  page.on('pageerror', (error) => problems.push(String(error)));
  page.problems = problems;
  await page.goto(url, { waitUntil: 'load' });
  return page;
}
// In the page: run `body` (a function of the page's globals) and hand back { value } or { error }.
const attempt = (page, body, ...args) => page.evaluate(`settle(() => (${body})(...${JSON.stringify(args)}))`);
async function value(page, body, ...args) {
  const result = await attempt(page, body, ...args);
  if (result.error) throw new Error(`in the page: ${JSON.stringify(result.error)}; console: ${page.problems.join(' | ')}`);
  return result.value;
}
async function failure(page, body, ...args) {
  const result = await attempt(page, body, ...args);
  assert.ok(result.error, `expected the SDK call to fail, it returned ${JSON.stringify(result.value)?.slice(0, 300)}`);
  return result.error;
}

// Starts a navigation from inside the page (an SDK's redirect) and waits for the next document.
async function navigateBy(page, body, ...args) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.evaluate(`(${body})(...${JSON.stringify(args)}); true`)]);
}

// The URL of the first navigation request starting with `prefix` while `run` runs (observed, not intercepted).
async function navigationTo(page, prefix, run) {
  const visited = [];
  const record = (request) => { if (request.isNavigationRequest()) visited.push(request.url()); };
  page.on('request', record);
  try {
    await run();
  } finally {
    page.off('request', record);
  }
  return new URL(visited.find((url) => url.startsWith(prefix)) ?? assert.fail(`no navigation to ${prefix}: ${visited}`));
}

// From the server's first page back to the app: the login page (unless a session exists), the consent
// page (asked every time for localhost, as Auth0 does). Returns the pages seen, e.g. ['login', 'consent'].
async function throughServerPages(page, target, origin, { username = user.email, password = user.password } = {}) {
  const seen = [];
  while (!page.url().startsWith(origin)) {
    assert.ok(seen.length < 4, `no way back to the app: ${seen}`);
    assert.ok(page.url().startsWith(target.base), `left for ${page.url()}`);
    const field = await page.waitForSelector('input[type=password], button[value=accept]', { timeout: 10000 })
      .catch(async () => { throw new Error(`neither login nor consent at ${page.url()}: ${await page.evaluate(() => document.body.innerText)}`); });
    if (await field.evaluate((element) => element.type === 'password')) {
      seen.push('login');
      await page.type('input[autocomplete=username]', username);
      await page.type('input[type=password]', password);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
    } else {
      seen.push('consent');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[value=accept]')]);
    }
  }
  return seen;
}

function spaOptions(target, origin, extra = {}) {
  return {
    domain: target.domain, clientId, useRefreshTokens: false, authorizeTimeoutInSeconds: 10,
    authorizationParams: { redirect_uri: `${origin}/spa/callback`, audience, scope },
    ...extra,
  };
}

// auth0-spa-js's whole redirect login: loginWithRedirect, the server's pages, handleRedirectCallback.
async function spaRedirectLogin(page, target, origin, options) {
  await value(page, (o) => start(o), options);
  const authorize = await navigationTo(page, `${target.base}authorize`, () => navigateBy(page, () => client.loginWithRedirect()));
  const seen = await throughServerPages(page, target, origin);
  const callback = new URL(page.url());
  assert.equal(`${callback.origin}${callback.pathname}`, `${origin}/spa/callback`);
  assert.ok(callback.searchParams.get('code'), `no code: ${callback}`);
  assert.equal(callback.searchParams.get('error'), null);
  await value(page, (o) => start(o), options);
  const handled = await value(page, () => client.handleRedirectCallback());
  assert.equal(handled.response_type, 'code');
  return { seen, authorize, callback };
}

// The session cookie the server set, read from Chromium's jar (it is HttpOnly: the app never sees it).
async function sessionCookie(page, target) {
  return (await page.cookies(`${target.base}authorize`)).find((cookie) => cookie.name === 'organizer_session');
}
// What /authorize with prompt=none says to a request carrying `cookie`: consent_required while the
// session lives (localhost callbacks always ask consent), login_required once it is gone.
async function promptNoneWith(target, cookie, origin = app) {
  const verifier = randomBytes(32).toString('base64url');
  const url = `${target.base}authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: `${origin}/spa/callback`, response_type: 'code', response_mode: 'query',
    scope, audience, state: 'probe', nonce: 'probe', prompt: 'none', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' })}`;
  const answer = await send(url, { headers: cookie ? { cookie: `${cookie.name}=${cookie.value}` } : {}, ca: target.ca });
  assert.equal(answer.status, 302, answer.text.slice(0, 300));
  return new URL(answer.headers.location).searchParams.get('error');
}

// Refresh tokens auth0-spa-js keeps in localStorage (cacheLocation 'localstorage'), read as an app could.
const storedRefreshToken = (page) => page.evaluate(() => {
  for (let index = 0; index < localStorage.length; index++) {
    const key = localStorage.key(index);
    if (!key.startsWith('@@auth0spajs@@::')) continue;
    const refreshToken = JSON.parse(localStorage.getItem(key))?.body?.refresh_token;
    if (refreshToken) return refreshToken;
  }
  return null;
});

const requested = sorted(scope);
// Fetched by the page itself, as the app calls its API: the answer's status and body.
const callApi = (page, url, accessToken) => value(page, async (u, t) => {
  const answer = await fetch(u, { headers: { authorization: `Bearer ${t}` } });
  return { status: answer.status, body: await answer.text() };
}, url, accessToken);
async function assertApisOpen(page, target, accessToken) {
  const contacts = await callApi(page, `${target.base}api/contacts`, accessToken);
  assert.equal(contacts.status, 200, contacts.body);
  assert.ok(Array.isArray(JSON.parse(contacts.body).contacts), contacts.body);
  const calendar = await callApi(page, `${target.base}api/appointments`, accessToken);
  assert.equal(calendar.status, 200, calendar.body);
  assert.ok(Array.isArray(JSON.parse(calendar.body).appointments), calendar.body);
}
async function assertAccessToken(verify, token) {
  const { payload, protectedHeader } = await verify(token, audience);
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.sub, `auth0|${user.id}`);
  assert.equal(payload.azp, clientId);
  assert.deepEqual([payload.aud].flat().sort(), [audience, `${verify.issuer}userinfo`].sort());
  assert.equal(sorted(payload.scope), requested);
  // RBAC: the granted API scopes are the user's permissions that were asked for, and the token says so.
  assert.ok(payload.permissions.includes('read:contacts') && payload.permissions.includes('read:calendar'), payload.permissions);
  for (const permission of payload.permissions) assert.ok(['read:contacts', 'create:contacts', 'read:calendar'].includes(permission), permission);
  return payload;
}

// ---------------------------------------------------------------------------------------------------
// auth0-spa-js, over one server: redirect login, tokens, silent authentication, popup, logout,
// refresh tokens (web worker and localStorage), and the same calls from an origin the tenant does not allow.
// `silently`: what prompt=none from http://localhost answers with the session alive — consent_required
// (localhost consent is never remembered) when the session cookie reaches the iframe, login_required when
// it cannot (an http:// page framing an https:// server: a third-party cookie, which Chromium blocks).
async function spaChecks(label, targetOf, { silently }) {
  const context = await browser.createBrowserContext();
  let page;
  let verify;
  let login;
  const name = (text) => `[${label}] auth0-spa-js ${text}`;

  await tally.check(name('loginWithRedirect → the server\'s login and consent pages → handleRedirectCallback; getUser and the ID token are the user\'s'), async () => {
    const target = targetOf();
    verify = await verifierFor(target);
    page = await appPage(context, `${app}/spa/`);
    login = await spaRedirectLogin(page, target, app, spaOptions(target, app));
    assert.deepEqual(login.seen, ['login', 'consent']);
    const asked = login.authorize.searchParams;
    assert.equal(login.authorize.pathname, '/authorize');
    assert.equal(asked.get('client_id'), clientId);
    assert.equal(asked.get('response_type'), 'code');
    assert.equal(asked.get('response_mode'), 'query');
    assert.equal(asked.get('code_challenge_method'), 'S256');
    assert.equal(asked.get('redirect_uri'), `${app}/spa/callback`);
    assert.equal(asked.get('audience'), audience);
    assert.equal(sorted(asked.get('scope')), requested);
    assert.equal(await value(page, () => client.isAuthenticated()), true);
    const profile = await value(page, () => client.getUser());
    assert.equal(profile.sub, `auth0|${user.id}`);
    assert.equal(profile.email, user.email);
    assert.equal(profile.email_verified, true);
    assert.equal(profile.name, user.name);
    assert.equal(profile.nickname, user.id);
    const claims = await value(page, () => client.getIdTokenClaims());
    assert.equal(claims.iss, target.issuer);
    assert.equal(claims.aud, clientId);
    assert.equal(claims.nonce, asked.get('nonce'));
    const { payload: verified } = await verify(claims.__raw, clientId);
    assert.equal(verified.sub, `auth0|${user.id}`);
  });

  let firstAccessToken;
  await tally.check(name('the access token from the code exchange: RS256 for organize with the granted scope and permissions; the page calls both APIs with it'), async () => {
    const target = targetOf();
    const tokens = await value(page, () => client.getTokenSilently({ detailedResponse: true }));
    firstAccessToken = tokens.access_token;
    assert.equal(tokens.id_token, (await value(page, () => client.getIdTokenClaims())).__raw);
    assert.ok(tokens.expires_in > 0 && tokens.expires_in <= 86400, String(tokens.expires_in));
    await assertAccessToken(verify, tokens.access_token);
    await assertApisOpen(page, target, tokens.access_token);
    const cookie = await sessionCookie(page, target);
    assert.ok(cookie, 'no session cookie after the login');
    assert.equal(cookie.httpOnly, true);
    if (target.base.startsWith('https:')) {
      // The SDK's iframe and popup need the cookie cross-site: SameSite=None needs Secure.
      assert.equal(cookie.secure, true);
      assert.equal(cookie.sameSite, 'None');
    }
  });

  await tally.check(name(`getTokenSilently({cacheMode: "off"}) by hidden iframe (prompt=none, response_mode=web_message) from http://localhost: ${silently} by message, as Auth0 answers there`), async () => {
    const started = Date.now();
    let error;
    const asked = await navigationTo(page, `${targetOf().base}authorize`, async () => {
      error = await failure(page, () => client.getTokenSilently({ cacheMode: 'off', timeoutInSeconds: 10 }));
    });
    assert.equal(asked.searchParams.get('prompt'), 'none');
    assert.equal(asked.searchParams.get('response_mode'), 'web_message');
    assert.equal(asked.searchParams.get('redirect_uri'), `${app}/spa/callback`);
    assert.equal(error.error, silently, JSON.stringify(error));
    assert.ok(Date.now() - started < 9000, 'answered by message, not by the SDK\'s timeout');
  });

  await tally.check(name('loginWithPopup: the popup shows the consent page (the session skips the login), answers by web_message to the opener; the SDK redeems the code'), async () => {
    const target = targetOf();
    const before = target.count(tokenGranted);
    const popupOpened = new Promise((resolve) => page.once('popup', resolve));
    await page.evaluate(() => { window.popupDone = settle(() => client.loginWithPopup({}, { timeoutInSeconds: 20 })); });
    const popup = await popupOpened;
    const accept = await popup.waitForSelector('input[type=password], button[value=accept]', { timeout: 10000 })
      .catch(async () => { throw new Error(`the popup shows no login or consent page at ${popup.url()}: ${await popup.evaluate(() => document.body.innerText).catch(() => '')}`); });
    assert.equal(await accept.evaluate((element) => element.value), 'accept', 'a session exists: only consent is asked');
    assert.ok(popup.url().startsWith(`${target.base}consent`), popup.url());
    await accept.click().catch(() => {}); // the SDK closes the popup as soon as the message arrives
    const done = await page.evaluate(() => window.popupDone);
    assert.deepEqual(done.error, undefined, JSON.stringify(done.error));
    await target.waitForCount(tokenGranted, before + 1); // the popup's code, redeemed
    const tokens = await value(page, () => client.getTokenSilently({ detailedResponse: true }));
    assert.notEqual(tokens.access_token, undefined);
    await assertAccessToken(verify, tokens.access_token);
    assert.equal((await value(page, () => client.getUser())).email, user.email);
  });

  await tally.check(name('logout({logoutParams: {returnTo}}) → /v2/logout → back at returnTo; the server\'s session is gone (login_required for its cookie, by iframe, and the next login asks the password)'), async () => {
    const target = targetOf();
    const cookie = await sessionCookie(page, target);
    assert.ok(cookie, 'no session to end');
    assert.equal(await promptNoneWith(target, cookie), 'consent_required', 'the session is alive before logout');
    const returnTo = `${app}/spa/`;
    const logout = await navigationTo(page, `${target.base}v2/logout`, () => navigateBy(page, (to) => client.logout({ logoutParams: { returnTo: to } }), returnTo));
    assert.equal(logout.searchParams.get('client_id'), clientId);
    assert.equal(logout.searchParams.get('returnTo'), returnTo);
    assert.equal(page.url(), returnTo);
    assert.equal(await promptNoneWith(target, cookie), 'login_required', 'the old session cookie still opens a session');
    assert.equal(await sessionCookie(page, target), undefined, 'the session cookie was not cleared');
    await value(page, (o) => start(o), spaOptions(target, app));
    assert.equal(await value(page, () => client.isAuthenticated()), false);
    assert.equal(await value(page, () => client.getUser()), undefined);
    const error = await failure(page, () => client.getTokenSilently({ cacheMode: 'off', timeoutInSeconds: 10 }));
    assert.equal(error.error, 'login_required', JSON.stringify(error));
    await navigateBy(page, () => client.loginWithRedirect());
    assert.ok(await page.waitForSelector('input[type=password]', { timeout: 10000 }), 'the login page');
  });

  await tally.check(name('useRefreshTokens (memory cache, the refresh token kept in the SDK\'s web worker): getTokenSilently({cacheMode: "off"}) twice = two refresh_token grants answered 200; revokeRefreshToken reaches /oauth/revoke'), async () => {
    const target = targetOf();
    const refreshing = await appPage(context, `${app}/spa/`);
    const options = spaOptions(target, app, { useRefreshTokens: true });
    await spaRedirectLogin(refreshing, target, app, options);
    assert.equal(await storedRefreshToken(refreshing), null, 'memory cache: nothing in localStorage');
    await settleLog(target);
    const before = target.count(tokenGranted);
    const first = await value(refreshing, () => client.getTokenSilently({ cacheMode: 'off', detailedResponse: true }));
    await target.waitForCount(tokenGranted, before + 1);
    const second = await value(refreshing, () => client.getTokenSilently({ cacheMode: 'off', detailedResponse: true }));
    await target.waitForCount(tokenGranted, before + 2);
    await settleLog(target);
    assert.equal(target.count(tokenGranted), before + 2, 'one token request per getTokenSilently');
    for (const tokens of [first, second]) {
      await assertAccessToken(verify, tokens.access_token);
      assert.equal(claimsOf(tokens.id_token).sub, `auth0|${user.id}`);
    }
    await assertApisOpen(refreshing, target, second.access_token);
    const revokes = target.count(revoked);
    await value(refreshing, () => client.revokeRefreshToken());
    await target.waitForCount(revoked, revokes + 1);
    const error = await failure(refreshing, () => client.getTokenSilently({ cacheMode: 'off' }));
    assert.equal(error.error, 'missing_refresh_token', JSON.stringify(error));
    await refreshing.close();
  });

  await tally.check(name('useRefreshTokens (localStorage cache): each getTokenSilently rotates the refresh token; the old one replayed from Node is refused (invalid_grant) and revokes the family, so the SDK\'s next refresh fails too'), async () => {
    const target = targetOf();
    const refreshing = await appPage(context, `${app}/spa/`);
    const options = spaOptions(target, app, { useRefreshTokens: true, cacheLocation: 'localstorage' });
    await spaRedirectLogin(refreshing, target, app, options);
    const issued = [await storedRefreshToken(refreshing)];
    assert.ok(issued[0], 'no refresh token from the code exchange (offline_access was asked)');
    const accessTokens = [];
    for (let round = 0; round < 2; round++) {
      accessTokens.push(await value(refreshing, () => client.getTokenSilently({ cacheMode: 'off' })));
      issued.push(await storedRefreshToken(refreshing));
    }
    assert.equal(new Set(issued).size, 3, 'a new refresh token each time');
    for (const token of accessTokens) await assertAccessToken(verify, token);
    const replay = await send(`${target.base}oauth/token`, { method: 'POST', headers: formHeaders, ca: target.ca,
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: issued[0] }).toString() });
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.json().error, 'invalid_grant');
    const error = await failure(refreshing, () => client.getTokenSilently({ cacheMode: 'off' }));
    assert.equal(error.error, 'invalid_grant', JSON.stringify(error));
    await refreshing.close();
  });

  await tally.check(name('revokeRefreshToken (localStorage cache): /oauth/revoke from the page, and that refresh token is refused afterwards'), async () => {
    const target = targetOf();
    const revoking = await appPage(context, `${app}/spa/`);
    const options = spaOptions(target, app, { useRefreshTokens: true, cacheLocation: 'localstorage' });
    await spaRedirectLogin(revoking, target, app, options);
    const refreshToken = await storedRefreshToken(revoking);
    assert.ok(refreshToken);
    await value(revoking, () => client.revokeRefreshToken());
    assert.equal(await storedRefreshToken(revoking), null, 'the SDK forgets what it revoked');
    const replay = await send(`${target.base}oauth/token`, { method: 'POST', headers: formHeaders, ca: target.ca,
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken }).toString() });
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.json().error, 'invalid_grant');
    await revoking.close();
  });

  await tally.check(name('from an origin the tenant does not allow: the preflights of /oauth/token, /oauth/revoke and /userinfo carry no CORS headers (the allowed origin gets exactly its own), and the SDK\'s /oauth/token call fails in the browser'), async () => {
    const target = targetOf();
    for (const [path, method, headers] of [['oauth/token', 'POST', 'auth0-client,content-type'], ['oauth/revoke', 'POST', 'auth0-client,content-type'], ['userinfo', 'GET', 'auth0-client,authorization']]) {
      const ask = (origin) => send(`${target.base}${path}`, { method: 'OPTIONS', ca: target.ca,
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
      const allowed = await ask(app);
      assert.ok(allowed.status >= 200 && allowed.status < 300, `${path}: ${allowed.status}`);
      assert.equal(allowed.headers['access-control-allow-origin'], app, path);
      const allowedHeaders = (allowed.headers['access-control-allow-headers'] ?? '').toLowerCase().split(/\s*,\s*/);
      for (const header of headers.split(',')) assert.ok(allowedHeaders.includes(header), `${path}: ${header} not in ${allowedHeaders}`);
      assert.ok((allowed.headers['access-control-allow-methods'] ?? '').includes(method), path);
      const refused = await ask(foreign);
      const corsHeaders = Object.keys(refused.headers).filter((header) => header.startsWith('access-control-'));
      assert.deepEqual(corsHeaders, [], `${path} from ${foreign}: ${corsHeaders.map((header) => `${header}: ${refused.headers[header]}`)}`);
    }
    const direct = await send(`${target.base}oauth/token`, { method: 'POST', headers: { ...formHeaders, origin: foreign }, ca: target.ca,
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: 'nothing' }).toString() });
    assert.equal(direct.headers['access-control-allow-origin'], undefined);

    // The same SDK call from both origins: a token exchange the server refuses. From the allowed origin
    // the server's OAuth error reaches the SDK; from the other the browser stops at the preflight.
    const exchange = () => client.exchangeToken({ subject_token: 'not-a-token', subject_token_type: 'urn:example:unknown', audience: 'organize', scope: 'openid' });
    const allowedPage = await appPage(context, `${app}/spa/`);
    await value(allowedPage, (o) => start(o, { construct: true }), spaOptions(target, app));
    const answered = await failure(allowedPage, exchange);
    assert.match(answered.error, /^(unsupported_grant_type|invalid_request|invalid_grant|unauthorized_client)$/, JSON.stringify(answered));
    await settleLog(target);
    const postsBefore = target.count(tokenPosted);
    const foreignPage = await appPage(context, `${foreign}/spa/`);
    await value(foreignPage, (o) => start(o, { construct: true }), spaOptions(target, foreign));
    const blocked = await failure(foreignPage, exchange);
    assert.equal(blocked.name, 'TypeError', JSON.stringify(blocked));
    assert.equal(blocked.message, 'Failed to fetch');
    await settleLog(target);
    assert.equal(target.count(tokenPosted), postsBefore, 'the browser sent the POST although the preflight had no CORS headers');
    assert.ok(foreignPage.problems.some((text) => /CORS policy/.test(text)), `Chromium did not name CORS: ${foreignPage.problems}`);
    await allowedPage.close();
    await foreignPage.close();
  });

  await context.close().catch(() => {});
}


// ---------------------------------------------------------------------------------------------------
// The zero-configuration issuer: one canonical host, the one SPAs on localhost are same-site with.
for (const [label, targetOf, scheme] of [['http', plain, 'http'], ['tls', () => secure(), 'https']]) {
  await tally.check(`[${label}] with no --public-url the issuer is ${scheme}://localhost:PORT/ (the SDK's domain plus /), in discovery and in tokens`, async () => {
    const target = targetOf();
    const issuer = new URL(target.issuer);
    assert.equal(`${issuer.protocol}//${issuer.hostname}`, `${scheme}://localhost`);
    assert.equal(issuer.pathname, '/');
    assert.equal(target.issuer, `${scheme === 'https' ? 'https://' : ''}${target.domain}/`);
    const discovery = (await send(`${target.base}.well-known/openid-configuration`, { ca: target.ca })).json();
    assert.equal(discovery.issuer, target.issuer);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'])
      assert.ok(discovery[endpoint].startsWith(target.issuer), `${endpoint}: ${discovery[endpoint]}`);
    assert.ok(discovery.response_modes_supported.includes('web_message'), discovery.response_modes_supported);
  });
}

await spaChecks('http', plain, { silently: 'consent_required' });

// ---------------------------------------------------------------------------------------------------
// HTTPS with the local CA, trusted the documented ways.
const childNode = (script, env) => new Promise((resolve) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: here, env: { ...process.env, NODE_EXTRA_CA_CERTS: '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  child.stderr.on('data', (chunk) => { err += chunk; });
  child.on('exit', (code) => resolve({ code, out: out.trim(), err }));
});

await tally.check('[tls] organizer-server ca prints the CA certificate of <data-dir>/tls/ca.pem and how to trust it (Node, Debian, NSS, curl)', async () => {
  const target = secure();
  const caPath = join(target.dataDir, 'tls', 'ca.pem');
  assert.equal(target.ca.trim(), readFileSync(caPath, 'utf8').trim());
  const printed = `${target.caPrinted.stdout}\n${target.caPrinted.stderr}`;
  for (const how of ['NODE_EXTRA_CA_CERTS', 'update-ca-certificates', 'certutil', 'curl', caPath])
    assert.ok(printed.includes(how), `nothing about ${how} in:\n${printed}`);
  const certificate = new (await import('node:crypto')).X509Certificate(target.ca);
  assert.equal(certificate.ca, true);
  assert.ok(certificate.checkIssued(certificate), 'the CA is self-issued');
});

await tally.check('[tls] Node trusts the server by NODE_EXTRA_CA_CERTS (fetch reads discovery) and refuses it without (a certificate error, not a connection error)', async () => {
  const target = secure();
  const script = `const answer = await fetch(${JSON.stringify(`${target.base}.well-known/openid-configuration`)}).catch((error) => { console.log('refused', error.cause?.code); process.exit(3); });
console.log((await answer.json()).issuer);`;
  const trusted = await childNode(script, { NODE_EXTRA_CA_CERTS: target.caFile });
  assert.equal(trusted.code, 0, trusted.err);
  assert.equal(trusted.out, target.issuer);
  const untrusted = await childNode(script, {});
  assert.equal(untrusted.code, 3, untrusted.err);
  assert.match(untrusted.out, /^refused (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
});

await tally.check('[tls] Auth0\'s Node SDK (auth0 ManagementClient, https only, no fetch of ours) lists the tenant\'s applications with client credentials, trusting the CA by NODE_EXTRA_CA_CERTS', async () => {
  const target = secure();
  const script = `import { ManagementClient } from 'auth0';
const management = new ManagementClient({ domain: ${JSON.stringify(target.domain)}, clientId: ${JSON.stringify(admin.clientId)}, clientSecret: ${JSON.stringify(admin.secret)}, audience: ${JSON.stringify(`${target.issuer}api/v2/`)}, maxRetries: 0 });
const ids = [];
for await (const client of await management.clients.list()) ids.push(client.client_id);
console.log(JSON.stringify(ids.sort()));`;
  const listed = await childNode(script, { NODE_EXTRA_CA_CERTS: target.caFile });
  assert.equal(listed.code, 0, listed.err);
  assert.deepEqual(JSON.parse(listed.out), [clientId, admin.clientId].sort());
});

await spaChecks('tls', () => secure(), { silently: 'login_required' });

// ---------------------------------------------------------------------------------------------------
// auth0-js 9, the tutorial's era: the implicit flow (authorize + parseHash), both APIs, userInfo,
// checkSession, logout; it builds https://{domain} and nothing else, so only the TLS server.
const implicitScope = 'openid profile email read:contacts read:calendar';
async function auth0jsChecks(label, targetOf) {
  const context = await browser.createBrowserContext();
  let page;
  let verify;
  let parsed;
  const name = (text) => `[${label}] auth0-js ${text}`;
  const webAuthOptions = (target, origin) => ({ domain: target.domain, clientID: clientId, redirectUri: `${origin}/js/callback`, audience, responseType: 'token id_token', scope: implicitScope });

  await tally.check(name('authorize() → the server\'s login and consent pages → parseHash: accessToken and idTokenPayload (the SDK checked the ID token against the JWKS, nonce and at_hash)'), async () => {
    const target = targetOf();
    verify = await verifierFor(target);
    page = await appPage(context, `${app}/js/`);
    await value(page, (o) => start(o), webAuthOptions(target, app));
    const authorize = await navigationTo(page, `${target.base}authorize`, () => navigateBy(page, () => webAuth.authorize()));
    assert.equal(authorize.searchParams.get('response_type'), 'token id_token');
    assert.equal(authorize.searchParams.get('client_id'), clientId);
    assert.equal(authorize.searchParams.get('redirect_uri'), `${app}/js/callback`);
    assert.ok(authorize.searchParams.get('nonce') && authorize.searchParams.get('state'));
    assert.deepEqual(await throughServerPages(page, target, app), ['login', 'consent']);
    const callback = new URL(page.url());
    assert.equal(`${callback.origin}${callback.pathname}`, `${app}/js/callback`);
    assert.ok(new URLSearchParams(callback.hash.slice(1)).get('access_token'), callback.hash.slice(0, 80));
    await value(page, (o) => start(o), webAuthOptions(target, app));
    parsed = await value(page, () => parseHash());
    assert.equal(parsed.tokenType, 'Bearer');
    assert.ok(parsed.expiresIn > 0 && parsed.expiresIn <= 86400, String(parsed.expiresIn));
    assert.equal(sorted(parsed.scope), sorted(implicitScope));
    assert.equal(parsed.state, authorize.searchParams.get('state'));
    assert.equal(parsed.refreshToken ?? null, null, 'the implicit flow never gives a refresh token');
    const claims = parsed.idTokenPayload;
    assert.equal(claims.iss, target.issuer);
    assert.equal(claims.aud, clientId);
    assert.equal(claims.sub, `auth0|${user.id}`);
    assert.equal(claims.email, user.email);
    assert.equal(claims.name, user.name);
    assert.equal(claims.nonce, authorize.searchParams.get('nonce'));
    assert.equal(claims.at_hash, createHash('sha256').update(parsed.accessToken).digest().subarray(0, 16).toString('base64url'));
    const { payload } = await verify(parsed.accessToken, audience);
    assert.equal(payload.sub, `auth0|${user.id}`);
    assert.equal(sorted(payload.scope), sorted(implicitScope));
  });

  await tally.check(name('the access token opens both APIs from the page: contacts and calendar answer 200 with their lists'), async () => {
    const target = targetOf();
    await assertApisOpen(page, target, parsed.accessToken);
  });

  await tally.check(name('client.userInfo(accessToken): /userinfo across origins (the Auth0-Client preflight) answers the user\'s profile'), async () => {
    targetOf();
    const profile = await value(page, (token) => userInfo(token), parsed.accessToken);
    assert.equal(profile.sub, `auth0|${user.id}`);
    assert.equal(profile.email, user.email);
    assert.equal(profile.email_verified, true);
    assert.equal(profile.name, user.name);
  });

  await tally.check(name('checkSession from http://localhost (prompt=none, response_mode=web_message): login_required by message, the https session cookie being third-party to the http:// page'), async () => {
    const target = targetOf();
    const cookie = await sessionCookie(page, target);
    assert.equal(await promptNoneWith(target, cookie), 'consent_required', 'the session is alive: only the iframe lacks it');
    const error = await failure(page, () => checkSession({}));
    assert.equal(error.error ?? error.code, 'login_required', JSON.stringify(error));
  });

  await tally.check(name('from an origin the tenant does not allow, client.userInfo fails in the browser: the preflight gets no CORS headers and the GET is never sent'), async () => {
    const target = targetOf();
    const foreignPage = await appPage(context, `${foreign}/js/`);
    await value(foreignPage, (o) => start(o), webAuthOptions(target, foreign));
    await settleLog(target);
    const asked = target.count(/"GET \/userinfo /);
    const error = await failure(foreignPage, (token) => userInfo(token), parsed.accessToken);
    assert.equal(error.statusCode, undefined, JSON.stringify(error));
    await settleLog(target);
    assert.equal(target.count(/"GET \/userinfo /), asked, 'the browser sent the GET anyway');
    assert.ok(foreignPage.problems.some((text) => /CORS policy/.test(text)), `Chromium did not name CORS: ${foreignPage.problems}`);
    await foreignPage.close();
  });

  await tally.check(name('logout({returnTo, clientID}) → /v2/logout → back at returnTo; the server\'s session is gone (login_required for its cookie and for checkSession)'), async () => {
    const target = targetOf();
    const cookie = await sessionCookie(page, target);
    assert.ok(cookie, 'no session to end');
    const returnTo = `${app}/js/`;
    const logout = await navigationTo(page, `${target.base}v2/logout`, () => navigateBy(page, (to, id) => webAuth.logout({ returnTo: to, clientID: id }), returnTo, clientId));
    assert.equal(logout.searchParams.get('returnTo'), returnTo);
    assert.equal(logout.searchParams.get('client_id'), clientId);
    assert.equal(page.url(), returnTo);
    assert.equal(await sessionCookie(page, target), undefined);
    assert.equal(await promptNoneWith(target, cookie), 'login_required', 'the old session cookie still opens a session');
    await value(page, (o) => start(o), webAuthOptions(target, app));
    const error = await failure(page, () => checkSession({}));
    assert.equal(error.error ?? error.code, 'login_required', JSON.stringify(error));
  });

  await context.close().catch(() => {});
}

await auth0jsChecks('tls', () => secure());

// ---------------------------------------------------------------------------------------------------
// One host name for the app and the server that is not localhost: consent is remembered and the
// session cookie is first-party to the iframe, so silent authentication answers with tokens.
async function customHostChecks(label, targetOf, origin, { auth0js, appProblem }) {
  const context = await browser.createBrowserContext();
  let page;
  let verify;
  const name = (text) => `[${label}] ${text}`;
  const ready = () => {
    if (appProblem) throw new Error(`the app on ${origin} is not available: ${appProblem.message ?? appProblem}`);
    return targetOf();
  };

  await tally.check(name(`auth0-spa-js on ${origin} with domain ${available(targetOf)?.domain ?? '?'}: after one login with consent, getTokenSilently({cacheMode: "off"}) by hidden iframe gets a new access token by web_message; the ID token has the iframe's nonce`), async () => {
    const target = ready();
    verify = await verifierFor(target);
    page = await appPage(context, `${origin}/spa/`);
    const login = await spaRedirectLogin(page, target, origin, spaOptions(target, origin));
    assert.deepEqual(login.seen, ['login', 'consent']);
    await settleLog(target);
    const before = target.count(tokenGranted);
    let tokens;
    const asked = await navigationTo(page, `${target.base}authorize`, async () => {
      tokens = await value(page, () => client.getTokenSilently({ cacheMode: 'off', detailedResponse: true, timeoutInSeconds: 10 }));
    });
    assert.equal(asked.searchParams.get('prompt'), 'none');
    assert.equal(asked.searchParams.get('response_mode'), 'web_message');
    assert.equal(asked.searchParams.get('redirect_uri'), `${origin}/spa/callback`);
    await target.waitForCount(tokenGranted, before + 1); // the code the iframe's message carried, redeemed
    await settleLog(target);
    assert.equal(target.count(tokenGranted), before + 1);
    await assertAccessToken(verify, tokens.access_token);
    assert.equal(claimsOf(tokens.id_token).nonce, asked.searchParams.get('nonce'));
    assert.equal((await value(page, () => client.getIdTokenClaims())).nonce, asked.searchParams.get('nonce'), 'the SDK keeps the new ID token');
    await assertApisOpen(page, target, tokens.access_token);
  });

  await tally.check(name('auth0-spa-js loginWithRedirect again: no page at all (the session and the remembered consent), straight back with a code'), async () => {
    const target = ready();
    const again = await spaRedirectLogin(page, target, origin, spaOptions(target, origin));
    assert.deepEqual(again.seen, []);
    assert.equal((await value(page, () => client.getUser())).sub, `auth0|${user.id}`);
  });

  if (auth0js) {
    await tally.check(name('auth0-js checkSession: tokens by web_message (the SDK checks the ID token against the JWKS, nonce and at_hash), the same user, opening both APIs'), async () => {
      const target = ready();
      const jsPage = await appPage(context, `${origin}/js/`);
      await value(jsPage, (o) => start(o), { domain: target.domain, clientID: clientId, redirectUri: `${origin}/js/callback`, audience, responseType: 'token id_token', scope: implicitScope });
      const session = await value(jsPage, () => checkSession({}));
      assert.equal(session.idTokenPayload.sub, `auth0|${user.id}`);
      assert.equal(session.idTokenPayload.aud, clientId);
      assert.equal(session.idTokenPayload.iss, target.issuer);
      assert.equal(sorted(session.scope), sorted(implicitScope));
      const { payload } = await verify(session.accessToken, audience);
      assert.equal(sorted(payload.scope), sorted(implicitScope));
      await assertApisOpen(jsPage, target, session.accessToken);
      await jsPage.close();
    });
  }

  await tally.check(name(`logout → back at ${origin}/spa/; then getTokenSilently by iframe answers login_required by message${auth0js ? ', and so does auth0-js checkSession' : ''}`), async () => {
    const target = ready();
    const returnTo = `${origin}/spa/`;
    await navigateBy(page, (to) => client.logout({ logoutParams: { returnTo: to } }), returnTo);
    assert.equal(page.url(), returnTo);
    await value(page, (o) => start(o), spaOptions(target, origin));
    const error = await failure(page, () => client.getTokenSilently({ cacheMode: 'off', timeoutInSeconds: 10 }));
    assert.equal(error.error, 'login_required', JSON.stringify(error));
    if (auth0js) {
      const jsPage = await appPage(context, `${origin}/js/`);
      await value(jsPage, (o) => start(o), { domain: target.domain, clientID: clientId, redirectUri: `${origin}/js/callback`, audience, responseType: 'token id_token', scope: implicitScope });
      const refused = await failure(jsPage, () => checkSession({}));
      assert.equal(refused.error ?? refused.code, 'login_required', JSON.stringify(refused));
      await jsPage.close();
    }
  });

  await context.close().catch(() => {});
}

await customHostChecks('custom-http', customPlain, customApp, { auth0js: false });
await customHostChecks('custom-tls', customSecure, customSecureApp, { auth0js: true, appProblem: customSecureAppProblem });

await browser.close();
tally.finish();
