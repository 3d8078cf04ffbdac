// Organizer on the wire, judged by software nobody here wrote: WHATWG URLSearchParams builds every
// request and reads every redirect (so '+' means a space, as in every browser and most OAuth
// libraries), panva/jose verifies every token, and the RFC 6749 §5.2 / RFC 6750 §3 character set of
// error_description is checked with a regular expression taken from the RFCs' ABNF, on every error
// path of both servers (JSON bodies, WWW-Authenticate challenges, redirect parameters).
// Usage: node wire.mjs /path/to/organizer-server
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRemoteJWKSet, jwtVerify, generateKeyPair, SignJWT, decodeProtectedHeader } from 'jose';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormBrowser, Tally, onExit, redirectParameters, startServer } from './lib.mjs';

const binary = process.argv[2];
assert.ok(binary, 'usage: node wire.mjs /path/to/organizer-server');
const tally = new Tally();
const redirectUri = 'http://localhost:3000/callback';

// RFC 6749 §5.2: error-description = 1*( %x20-21 / %x23-5B / %x5D-7E )
const DESCRIPTION = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
// RFC 6750 §3 / RFC 9110 §11: auth-param = token BWS "=" BWS ( token / quoted-string ); our values
// never need quoted-pairs, since '"' and '\' are not allowed in them.
function parseChallenge(header) {
  const match = header.match(/^Bearer(?: (.*))?$/);
  assert.ok(match, `not a Bearer challenge: ${header}`);
  const params = {};
  const rest = match[1] ?? '';
  const pattern = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)="([^"\\]*)"(?:, |$)/gy;
  let consumed = 0;
  for (const m of rest.matchAll(pattern)) { params[m[1]] = m[2]; consumed = m.index + m[0].length; }
  assert.equal(consumed, rest.length, `challenge does not parse as auth-params: ${header}`);
  return params;
}

function checkErrorAnswer(label, answer) {
  assert.equal(answer.headers.get('x-content-type-options'), 'nosniff', `${label}: no nosniff`);
  const descriptions = [];
  if ((answer.headers.get('content-type') ?? '').startsWith('application/json')) {
    const body = JSON.parse(answer.body);
    if ('error_description' in body) descriptions.push(['body', body.error_description]);
  }
  const challenge = answer.headers.get('www-authenticate');
  if (challenge) {
    const params = parseChallenge(challenge);
    if ('error_description' in params) descriptions.push(['challenge', params.error_description]);
  }
  if (answer.location && answer.location.includes('error=')) {
    const params = redirectParameters(answer.location);
    descriptions.push(['redirect', params.get('error_description') ?? '']);
  }
  assert.ok(descriptions.length > 0, `${label}: no error_description anywhere (status ${answer.status})`);
  for (const [where, text] of descriptions)
    assert.match(text, DESCRIPTION, `${label}: ${where} error_description has characters RFC 6749 §5.2 forbids: ${JSON.stringify(text)}`);
  return descriptions;
}

const server = await startServer(binary);
const base = server.url;
// Consent is remembered only for a redirect off this machine (RFC 8252 §8.6): a second server whose
// tenant gives the desktop client a web callback too.
const webCallback = 'https://app.example.com/callback';
const tenant = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'tenant.json'), 'utf8'));
tenant.clients.find((client) => client.client_id === 'organizer-desktop').callbacks.push(webCallback);
const scratch = mkdtempSync(join(tmpdir(), 'organizer-wire-'));
onExit(() => rmSync(scratch, { recursive: true, force: true }));
writeFileSync(join(scratch, 'tenant.json'), JSON.stringify(tenant));
const webServer = await startServer(binary, ['--config', join(scratch, 'tenant.json')]);
const discovery = await (await fetch(`${base}.well-known/openid-configuration`)).json();
const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
const verify = (token, audience) => jwtVerify(token, jwks, { issuer: discovery.issuer, audience, algorithms: ['RS256'] });

function authorizeUrl(fields) {
  return `${base}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: redirectUri, ...fields })}`;
}
const m2mToken = async (scope) => {
  const answer = await fetch(`${base}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: 'organize', ...(scope ? { scope } : {}) }) });
  return (await answer.json()).access_token;
};

await tally.check("/authorize reads a URLSearchParams query ('+' for spaces) and answers with the same values", async () => {
  const state = 'a b+c{{action}}&d=é';
  const url = authorizeUrl({ response_type: 'id_token token', scope: 'openid profile read:contacts', audience: 'organize', state, nonce: 'n 1' });
  assert.ok(url.includes('response_type=id_token+token') && url.includes('scope=openid+profile+read%3Acontacts'), url);
  const browser = new FormBrowser(base);
  const answer = await browser.login(url, 'alice@example.com');
  assert.ok(answer.location.startsWith(`${redirectUri}#`), answer.location);
  const params = redirectParameters(answer.location);
  assert.equal(params.get('state'), state);
  assert.equal(params.get('scope'), 'openid profile read:contacts');
  assert.equal(params.get('token_type'), 'Bearer');
  const { payload: idClaims } = await verify(params.get('id_token'), 'organizer-desktop');
  assert.equal(idClaims.nonce, 'n 1');
  const { payload: access } = await verify(params.get('access_token'), 'organize');
  assert.equal(access.scope, 'openid profile read:contacts');
});

await tally.check('a form body encoded by URLSearchParams reaches the token endpoint intact', async () => {
  const answer = await fetch(`${base}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: 'organize', scope: 'read:contacts read:calendar' }) });
  assert.equal(answer.status, 200);
  const body = await answer.json();
  assert.equal(body.scope, 'read:contacts read:calendar');
  const { payload } = await verify(body.access_token, 'organize');
  assert.equal(payload.gty, 'client-credentials');
});

await tally.check('every error path of the authorization server keeps error_description to the RFC characters', async () => {
  const browser = new FormBrowser(base);
  const cases = [
    ['unknown response_type', authorizeUrl({ response_type: 'password', state: 's' })],
    ['code+token', authorizeUrl({ response_type: 'code token', state: 's' })],
    ['unknown audience with quotes', authorizeUrl({ response_type: 'token', audience: 'x"y\\z', state: 's' })],
    ['bad prompt with quotes', authorizeUrl({ response_type: 'token', prompt: '"none"', state: 's' })],
    ['bad response_mode', authorizeUrl({ response_type: 'token', response_mode: 'q"uery', state: 's' })],
    ['request object', authorizeUrl({ response_type: 'token', request: 'eyJhbGciOiJub25lIn0.e30.', state: 's' })],
    ['request_uri', authorizeUrl({ response_type: 'token', request_uri: 'urn:x', state: 's' })],
    ['bad max_age', authorizeUrl({ response_type: 'token', max_age: '"1"', state: 's' })],
    ['challenge method', authorizeUrl({ response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S"512', state: 's' })],
  ];
  const seen = new Map();
  for (const [label, url] of cases) {
    const answer = await browser.get(url);
    assert.equal(answer.status, 302, `${label}: ${answer.status} ${answer.body.slice(0, 200)}`);
    const params = redirectParameters(answer.location);
    assert.equal(params.get('state'), 's', label);
    checkErrorAnswer(label, answer);
    seen.set(label, params.get('error'));
  }
  assert.equal(seen.get('request object'), 'request_not_supported');
  assert.equal(seen.get('request_uri'), 'request_uri_not_supported');
  assert.equal(seen.get('code+token'), 'unsupported_response_type');

  const token = (body, headers = {}) => browser.get('/oauth/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const tokenCases = [
    ['unsupported grant', await token(new URLSearchParams({ grant_type: 'pass"word', client_id: 'organizer-desktop' }))],
    ['wrong secret', await token(new URLSearchParams({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'wrong', audience: 'organize' }))],
    ['unknown client', await token(new URLSearchParams({ grant_type: 'client_credentials', client_id: 'nob"ody', client_secret: 'x' }))],
    ['bad code', await token(new URLSearchParams({ grant_type: 'authorization_code', client_id: 'organizer-desktop', code: 'nope', redirect_uri: redirectUri }))],
    ['scope outside the grant', await token(new URLSearchParams({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: 'organize', scope: 'delete:contacts' }))],
    ['json with a number', await token('{"grant_type":1}', { 'content-type': 'application/json' })],
    ['repeated parameter', await token('grant_type=client_credentials&grant_type=client_credentials')],
    ['bad refresh scope', await token(new URLSearchParams({ grant_type: 'refresh_token', client_id: 'organizer-desktop', refresh_token: 'x"y' }))],
  ];
  for (const [label, answer] of tokenCases) {
    assert.ok(answer.status >= 400 && answer.status < 500, `${label}: ${answer.status}`);
    checkErrorAnswer(label, answer);
  }
});

await tally.check('every error path of the APIs keeps error_description to the RFC characters, in bodies and challenges', async () => {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const forged = await new SignJWT({ scope: 'read:contacts' }).setProtectedHeader({ alg: 'RS256', kid: 'k"1\\x', typ: 'JWT' })
    .setIssuer(discovery.issuer).setAudience('organize').setSubject('x').setIssuedAt().setExpirationTime('5m').sign(privateKey);
  const wrongIssuer = await new SignJWT({ scope: 'read:contacts' }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer('https://"evil"/').setAudience('organize').setSubject('x').setIssuedAt().setExpirationTime('5m').sign(privateKey);
  const readOnly = await m2mToken();
  const browser = new FormBrowser(base);
  const api = (path, headers = {}, options = {}) => browser.get(path, { ...options, headers });
  const cases = [
    ['unknown kid with quotes', await api('/api/contacts', { authorization: `Bearer ${forged}` }), 401],
    ['kid-less foreign token', await api('/api/contacts', { authorization: `Bearer ${wrongIssuer}` }), 401],
    ['garbage token', await api('/api/contacts', { authorization: 'Bearer abc.def.ghi' }), 401],
    ['alg none', await api('/api/contacts', { authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.` }), 401],
    ['malformed header', await api('/api/contacts', { authorization: 'Bearer a b' }), 400],
    ['insufficient scope', await api('/api/contacts', { authorization: `Bearer ${readOnly}`, 'content-type': 'application/json' }, { method: 'POST', body: '{"name":"x","email":"x@example.com"}' }), 403],
    ['userinfo without openid', await api('/userinfo', { authorization: `Bearer ${readOnly}` }), 401],
    ['unknown path with quotes', await api('/nope%22x%5C'), 404],
    ['wrong method', await api('/authorize', {}, { method: 'DELETE' }), 405],
    ['too large', await api('/api/contacts', { authorization: `Bearer ${readOnly}`, 'content-type': 'application/json' }, { method: 'POST', body: 'x'.repeat(70000) }), 413],
  ];
  for (const [label, answer, status] of cases) {
    assert.equal(answer.status, status, `${label}: ${answer.status} ${answer.body.slice(0, 200)}`);
    checkErrorAnswer(label, answer);
  }
  const unknownKid = parseChallenge(cases[0][1].headers.get('www-authenticate'));
  assert.equal(unknownKid.error, 'invalid_token');
  assert.equal(parseChallenge(cases[5][1].headers.get('www-authenticate')).scope, 'create:contacts');
  const noCredentials = await api('/api/contacts');
  assert.equal(noCredentials.status, 401);
  assert.deepEqual(parseChallenge(noCredentials.headers.get('www-authenticate')), { realm: 'organize' });
  assert.equal(noCredentials.headers.get('x-content-type-options'), 'nosniff');
});

await tally.check('/api//contacts and /api%2fcontacts do not reach the contacts API', async () => {
  const token = await m2mToken();
  const get = (path) => fetch(base.replace(/\/$/, '') + path, { headers: { authorization: `Bearer ${token}` } });
  assert.equal((await get('/api/contacts')).status, 200);
  for (const path of ['/api//contacts', '/api%2fcontacts', '/api%2Fcontacts', '//api/contacts', '/api/contacts/']) {
    const answer = await get(path);
    assert.equal(answer.status, 404, path);
    assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
  }
});

const webDiscovery = await (await fetch(`${webServer.url}.well-known/openid-configuration`)).json();
const webKeys = createRemoteJWKSet(new URL(webDiscovery.jwks_uri));
const webVerify = (token, audience) => jwtVerify(token, webKeys, { issuer: webDiscovery.issuer, audience, algorithms: ['RS256'] });
const webAuthorizeUrl = (fields) => `${webServer.url}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: webCallback, ...fields })}`;

await tally.check('max_age: an older login must log in again; prompt=none then answers login_required', async () => {
  const authorizeUrl = webAuthorizeUrl;
  const browser = new FormBrowser(webServer.url);
  const first = await browser.login(authorizeUrl({ response_type: 'id_token token', scope: 'openid read:contacts', audience: 'organize', state: 's1', nonce: 'n1' }), 'bob@example.com');
  const { payload } = await webVerify(redirectParameters(first.location).get('id_token'), 'organizer-desktop');
  assert.equal(typeof payload.auth_time, 'number');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const silent = await browser.get(authorizeUrl({ response_type: 'id_token token', scope: 'openid read:contacts', audience: 'organize', state: 's2', nonce: 'n2', prompt: 'none', max_age: '3600' }));
  assert.ok(redirectParameters(silent.location).get('access_token'), silent.location);
  const stale = await browser.get(authorizeUrl({ response_type: 'id_token token', scope: 'openid read:contacts', audience: 'organize', state: 's3', nonce: 'n3', prompt: 'none', max_age: '0' }));
  assert.equal(redirectParameters(stale.location).get('error'), 'login_required');
  checkErrorAnswer('max_age=0 prompt=none', stale);
  const again = await browser.get(authorizeUrl({ response_type: 'id_token token', scope: 'openid read:contacts', audience: 'organize', state: 's4', nonce: 'n4', max_age: '0' }));
  assert.equal(again.status, 302);
  assert.ok(again.location.startsWith('/login'), `max_age=0 should show the login page, went to ${again.location}`);
});

await tally.check('a login without audience remembers its consent (prompt=none then succeeds)', async () => {
  const authorizeUrl = webAuthorizeUrl;
  const browser = new FormBrowser(webServer.url);
  const first = await browser.login(authorizeUrl({ response_type: 'id_token', scope: 'openid profile', state: 's', nonce: 'n' }), 'carol@example.com');
  assert.ok(redirectParameters(first.location).get('id_token'), first.location);
  const silent = await browser.get(authorizeUrl({ response_type: 'id_token', scope: 'openid profile', state: 's', nonce: 'n2', prompt: 'none' }));
  const params = redirectParameters(silent.location);
  assert.equal(params.get('error'), null, silent.location);
  const { payload } = await webVerify(params.get('id_token'), 'organizer-desktop');
  assert.equal(payload.nonce, 'n2');
  assert.ok(!webServer.log().includes('NOT NULL'), 'the consent store logged a NOT NULL failure');
});

await tally.check('every token both grants issue verifies with jose (RS256, kid from the JWKS, iss, aud)', async () => {
  const tokens = [await m2mToken()];
  const minted = execFileSync(binary, ['token', '--data-dir', server.dataDir, '--sub', 'auth0|jose', '--scope', 'read:contacts']).toString().trim();
  tokens.push(minted);
  for (const token of tokens) {
    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, 'RS256');
    assert.ok(header.kid);
    await verify(token, 'organize');
  }
});

tally.finish();
