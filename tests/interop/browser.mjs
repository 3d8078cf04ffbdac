// A real browser against organizer-server: Debian's Chromium, driven by puppeteer-core, completes
// the implicit and the code flow from authorization URLs built with URLSearchParams ('+' for spaces),
// types into the hosted pages like a person, and the redirect to the client is caught before it
// leaves. Its answer is read with URLSearchParams and its tokens verified with panva/jose, so the
// browser's own URL, cookie, CSP and form handling are part of what is tested.
// Usage: node browser.mjs /path/to/organizer-server [/path/to/chromium]
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import puppeteer from 'puppeteer-core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { Tally, onExit, redirectParameters, startServer } from './lib.mjs';

const binary = process.argv[2];
const chromium = process.argv[3] ?? '/usr/bin/chromium';
assert.ok(binary, 'usage: node browser.mjs /path/to/organizer-server [/path/to/chromium]');
assert.ok(existsSync(chromium), `no browser at ${chromium}: ./scripts/test installs Debian's chromium`);
const tally = new Tally();
const server = await startServer(binary);
const base = server.url;
const redirectUri = 'http://localhost:3000/callback';
const discovery = await (await fetch(`${base}.well-known/openid-configuration`)).json();
const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
const verify = (token, audience) => jwtVerify(token, jwks, { issuer: discovery.issuer, audience, algorithms: ['RS256'] });

const browser = await puppeteer.launch({ executablePath: chromium, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'] });
onExit(() => browser.process()?.kill('SIGKILL'));

// One login in a fresh incognito context: returns the URL the server redirected the browser to.
async function loginInBrowser(authorizeUrl, username, password = 'organizer') {
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setRequestInterception(true);
    // The request to the client leaves without its fragment (browsers never send one), so the answer
    // is read from the Location header the browser followed; the request itself is stopped.
    const redirected = new Promise((resolve) => {
      page.on('response', (response) => {
        const location = response.headers().location;
        if (response.status() >= 300 && response.status() < 400 && location?.startsWith(redirectUri)) resolve(location);
      });
      page.on('request', (request) => {
        if (request.url().startsWith(redirectUri)) request.abort();
        else request.continue();
      });
    });
    const problems = [];
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    await page.goto(authorizeUrl, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('input[type=password]', { timeout: 10000 });
    await page.type('input[autocomplete=username]', username);
    await page.type('input[type=password]', password);
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('button[type=submit]')]);
    await page.waitForSelector('button[value=accept]', { timeout: 10000 });
    page.click('button[value=accept]').catch(() => {});
    const location = await Promise.race([redirected, new Promise((_, reject) => setTimeout(() => reject(new Error(`no redirect; console: ${problems.join(' | ')}`)), 10000))]);
    assert.deepEqual(problems.filter((text) => /Content Security Policy|Refused/.test(text)), [], 'the pages broke their own CSP');
    return location;
  } finally {
    await context.close();
  }
}

function authorizeUrl(fields) {
  const url = `${base}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: redirectUri, audience: 'organize', ...fields })}`;
  assert.ok(!url.includes('%20'), 'URLSearchParams writes spaces as +');
  return url;
}

await tally.check('Chromium completes the implicit flow from a URLSearchParams URL; the fragment reads back with URLSearchParams', async () => {
  const state = 'state with spaces+plus/é';
  const nonce = randomBytes(16).toString('base64url');
  const location = await loginInBrowser(authorizeUrl({ response_type: 'id_token token', scope: 'openid profile read:contacts read:calendar', state, nonce }), 'alice@example.com');
  assert.ok(location.startsWith(`${redirectUri}#`), location);
  const params = redirectParameters(location);
  assert.equal(params.get('state'), state);
  assert.equal(params.get('scope'), 'openid profile read:contacts read:calendar');
  const { payload: idClaims } = await verify(params.get('id_token'), 'organizer-desktop');
  assert.equal(idClaims.nonce, nonce);
  const hash = createHash('sha256').update(params.get('access_token')).digest().subarray(0, 16).toString('base64url');
  assert.equal(idClaims.at_hash, hash);
  for (const api of ['contacts', 'appointments']) {
    const answer = await fetch(`${base}api/${api}`, { headers: { authorization: `Bearer ${params.get('access_token')}` } });
    assert.equal(answer.status, 200, api);
  }
});

await tally.check('Chromium completes the code flow with PKCE; the code redeemed with a URLSearchParams body', async () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const location = await loginInBrowser(authorizeUrl({ response_type: 'code', scope: 'openid read:contacts', state: 'a+b c', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256' }), 'bob@example.com');
  assert.ok(location.startsWith(`${redirectUri}?`), location);
  const params = redirectParameters(location);
  assert.equal(params.get('state'), 'a+b c');
  const answer = await fetch(`${base}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'organizer-desktop', code: params.get('code'), redirect_uri: redirectUri, code_verifier: verifier }) });
  assert.equal(answer.status, 200);
  const tokens = await answer.json();
  const { payload } = await verify(tokens.access_token, 'organize');
  assert.equal(payload.sub, 'auth0|bob');
  assert.equal(payload.scope, 'openid read:contacts');
  const calendar = await fetch(`${base}api/appointments`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(calendar.status, 403);
});

await tally.check('a listener on another loopback port never receives the session: not on the redirect, not when visited, and a replay does not authorize', async () => {
  // RFC 6265 §8.5: cookies are not isolated by port, and any loopback port is a valid redirect (RFC 8252 §7.3).
  const received = [];
  const listener = createServer((request, response) => {
    received.push({ path: request.url, cookie: request.headers.cookie ?? '' });
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>listener</title>caught');
  });
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  onExit(() => listener.close());
  const loopback = `http://127.0.0.1:${listener.address().port}/callback`;
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    const url = `${base}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: loopback, audience: 'organize',
      response_type: 'code', scope: 'openid read:contacts', state: 's', nonce: 'n',
      code_challenge: createHash('sha256').update('v'.repeat(43)).digest('base64url'), code_challenge_method: 'S256' })}`;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('input[type=password]');
    await page.type('input[autocomplete=username]', 'alice@example.com');
    await page.type('input[type=password]', 'organizer');
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('button[type=submit]')]);
    await page.waitForSelector('button[value=accept]');
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('button[value=accept]')]);
    assert.ok(page.url().startsWith(loopback), page.url());
    // Other pages of the listener too: cookies are scoped to the server's own page paths, which no
    // loopback callback may use (the tenant refuses one that does).
    for (const path of ['/', '/callback', '/callback/x', '/favicon.ico']) await page.goto(`http://127.0.0.1:${listener.address().port}${path}`);
    // The session exists (this is not a vacuous test), but only on the server's own pages.
    const serverCookies = (await page.cookies(`${base}authorize`)).map((cookie) => cookie.name);
    assert.ok(serverCookies.includes('organizer_session'), `no session after logging in: ${serverCookies}`);
    assert.ok(received.length >= 5, `the listener saw ${received.length} requests`);
    for (const request of received)
      assert.ok(!/organizer_(session|browser)=/.test(request.cookie), `${request.path} received ${request.cookie}`);
    // Whatever it got, replayed against the server, is no session.
    const replay = await fetch(`${base}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: 'http://localhost:3000/callback',
      response_type: 'token', scope: 'openid', audience: 'organize', state: 'r', nonce: 'n', prompt: 'none' })}`,
    { redirect: 'manual', headers: { cookie: received.map((request) => request.cookie).filter(Boolean).join('; ') } });
    assert.equal(redirectParameters(replay.headers.get('location')).get('error'), 'login_required');
  } finally {
    await context.close();
  }
});

// response_mode=web_message as Auth0's browser SDKs use it: a hidden iframe (auth0-spa-js
// getTokenSilently, auth0-js checkSession) and a popup (loginWithPopup), from an application page served
// on its own port of localhost, an allowed web origin of the client (a second server whose tenant says
// so). The answer is taken the way the SDKs take it: a message whose event.origin is the server's and
// whose data.type is authorization_response. Another local page, not allowed, tries to frame it.
const appPage = '<!doctype html><title>app</title><script>window.answers = [];'
  + 'window.addEventListener("message", (event) => window.answers.push({ origin: event.origin, data: event.data }));</script>';
async function listenLocally(body) {
  const listener = createServer((request, response) => { response.writeHead(200, { 'content-type': 'text/html' }); response.end(body); });
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  onExit(() => listener.close());
  return `http://localhost:${listener.address().port}`;
}
const appOrigin = await listenLocally(appPage);
const intruderOrigin = await listenLocally(appPage);
const appCallback = `${appOrigin}/callback`;
const tenant = JSON.parse(readFileSync(new URL('../../resources/tenant.json', import.meta.url), 'utf8'));
tenant.clients[0].callbacks.push(appCallback);
tenant.clients[0].web_origins.push(appOrigin);
const tenantDir = mkdtempSync(join(tmpdir(), 'organizer-webmessage-'));
onExit(() => rmSync(tenantDir, { recursive: true, force: true }));
writeFileSync(join(tenantDir, 'tenant.json'), JSON.stringify(tenant));
const spaServer = await startServer(binary, ['--config', join(tenantDir, 'tenant.json')]);
const spaBase = spaServer.url;
const spaOrigin = new URL(spaBase).origin;

async function openApp(context, origin = appOrigin) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => problems.push(message.text()));
  await page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' });
  return { page, problems };
}

function spaAuthorizeUrl(fields) {
  return `${spaBase}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: appCallback, audience: 'organize',
    scope: 'openid read:contacts', nonce: 'n', response_mode: 'web_message', ...fields })}`;
}

async function frameAnswer(page, url) {
  await page.evaluate((src) => {
    window.answers = [];
    const frame = document.createElement('iframe');
    frame.style.display = 'none';
    frame.src = src;
    document.body.appendChild(frame);
  }, url);
  await page.waitForFunction(() => window.answers.length > 0, { timeout: 10000 });
  const answers = await page.evaluate(() => window.answers);
  assert.equal(answers.length, 1, JSON.stringify(answers));
  assert.equal(answers[0].origin, spaOrigin);
  assert.equal(answers[0].data.type, 'authorization_response');
  return answers[0].data.response;
}

const cspProblems = (problems) => problems.filter((text) => /Content Security Policy|Refused|violates/.test(text));

await tally.check('web_message: a hidden iframe without a session is answered login_required by message, the state echoed', async () => {
  const context = await browser.createBrowserContext();
  try {
    const { page, problems } = await openApp(context);
    const state = 'silent </script><!-- \u2028 state';
    const response = await frameAnswer(page, spaAuthorizeUrl({ response_type: 'code', prompt: 'none', state, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }));
    assert.deepEqual(response, { error: 'login_required', error_description: 'the user is not logged in', state });
    assert.deepEqual(cspProblems(problems), []);
  } finally {
    await context.close();
  }
});

await tally.check('web_message: loginWithPopup logs in and consents in the popup, the opener receives a code that redeems; the iframe then sees the session', async () => {
  const context = await browser.createBrowserContext();
  try {
    const { page, problems } = await openApp(context);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const opened = new Promise((resolve) => page.once('popup', resolve));
    await page.evaluate((src) => { window.open(src, 'auth0:authorize:popup', 'width=400,height=600'); },
      spaAuthorizeUrl({ response_type: 'code', state: 'popup-state', code_challenge: challenge, code_challenge_method: 'S256' }));
    const popup = await opened;
    await popup.waitForSelector('input[type=password]', { timeout: 10000 });
    await popup.type('input[autocomplete=username]', 'bob@example.com');
    await popup.type('input[type=password]', 'organizer');
    await Promise.all([popup.waitForNavigation({ waitUntil: 'domcontentloaded' }), popup.click('button[type=submit]')]);
    await popup.waitForSelector('button[value=accept]', { timeout: 10000 });
    await popup.click('button[value=accept]');
    await page.waitForFunction(() => window.answers.length > 0, { timeout: 10000 });
    const [answer] = await page.evaluate(() => window.answers);
    assert.equal(answer.origin, spaOrigin);
    assert.equal(answer.data.type, 'authorization_response');
    assert.deepEqual(Object.keys(answer.data.response).sort(), ['code', 'state']);
    assert.equal(answer.data.response.state, 'popup-state');
    const tokens = await fetch(`${spaBase}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'organizer-desktop', code: answer.data.response.code, redirect_uri: appCallback, code_verifier: verifier }) });
    assert.equal(tokens.status, 200);
    const { payload } = await jwtVerify((await tokens.json()).access_token, createRemoteJWKSet(new URL(`${spaBase}.well-known/jwks.json`)), { audience: 'organize' });
    assert.equal(payload.sub, 'auth0|bob');
    // The session cookie reaches the iframe when the app is same-site with the server (both localhost,
    // SameSite=Lax over http): a loopback callback's consent is asked every time, so the silent answer is
    // consent_required, where a browser without the session would get login_required.
    const silent = await frameAnswer(page, spaAuthorizeUrl({ response_type: 'token', prompt: 'none', state: 'again' }));
    assert.equal(silent.error, new URL(spaBase).hostname === 'localhost' ? 'consent_required' : 'login_required');
    assert.equal(silent.state, 'again');
    assert.deepEqual(cspProblems(problems), []);
  } finally {
    await context.close();
  }
});

await tally.check('web_message: a page on an origin the client does not allow cannot frame the answer (frame-ancestors) and gets no message', async () => {
  const context = await browser.createBrowserContext();
  try {
    const { page, problems } = await openApp(context, intruderOrigin);
    const refused = new Promise((resolve) => page.on('console', (message) => { if (/frame-ancestors/.test(message.text())) resolve(message.text()); }));
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      document.body.appendChild(frame);
    }, spaAuthorizeUrl({ response_type: 'token', prompt: 'none', state: 'intruder' }));
    const text = await Promise.race([refused, new Promise((_, reject) => setTimeout(() => reject(new Error(`no CSP refusal; console: ${problems.join(' | ')}`)), 10000))]);
    assert.ok(text.includes(`frame-ancestors http://localhost:3000 ${appOrigin}`), text);
    assert.deepEqual(await page.evaluate(() => window.answers), []);
  } finally {
    await context.close();
  }
});

await browser.close();
tally.finish();
