// Interoperability with an independent, certified OpenID Connect relying party (panva/openid-client),
// test-only. The library builds every request (its authorization URLs encode spaces as '+') and
// validates every answer itself: discovery, client_credentials with both client authentication
// methods, the implicit "id_token token" flow (signature, nonce, at_hash), the authorization code flow
// with PKCE (state, nonce, ID token), refresh with rotation-free reuse, userinfo.
// Usage: node oidc.mjs /path/to/organizer-server
import assert from 'node:assert/strict';
import { Issuer, generators } from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { FormBrowser, Tally, startServer } from './lib.mjs';

const binary = process.argv[2];
assert.ok(binary, 'usage: node oidc.mjs /path/to/organizer-server');
const tally = new Tally();
const server = await startServer(binary);
const base = server.url;
const redirectUri = 'http://localhost:3000/callback';
let issuer;

await tally.check('discovery', async () => {
  issuer = await Issuer.discover(base);
  assert.equal(issuer.issuer, base);
  assert.equal(issuer.token_endpoint, `${base}oauth/token`);
  assert.deepEqual(issuer.code_challenge_methods_supported, ['S256']);
});
const jwks = createRemoteJWKSet(new URL(issuer.jwks_uri));

for (const method of ['client_secret_basic', 'client_secret_post']) {
  await tally.check(`client_credentials with ${method} opens the contacts API`, async () => {
    const m2m = new issuer.Client({ client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', token_endpoint_auth_method: method });
    const tokens = await m2m.grant({ grant_type: 'client_credentials', audience: 'organize' });
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.scope, 'read:contacts read:calendar');
    await jwtVerify(tokens.access_token, jwks, { issuer: base, audience: 'organize', algorithms: ['RS256'] });
    const contacts = await fetch(`${base}api/contacts`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(contacts.status, 200);
  });
}

await tally.check('implicit id_token token flow validated by openid-client (signature, nonce, at_hash), userinfo', async () => {
  const client = new issuer.Client({ client_id: 'organizer-desktop', token_endpoint_auth_method: 'none', response_types: ['id_token token'] });
  const nonce = generators.nonce();
  const state = generators.state();
  const url = client.authorizationUrl({ redirect_uri: redirectUri, response_type: 'id_token token', scope: 'openid profile read:contacts read:calendar', audience: 'organize', nonce, state });
  assert.match(url, /scope=openid(\+|%20)profile/);
  const answer = await new FormBrowser(base).login(url, 'alice@example.com');
  assert.ok(answer.location.startsWith(`${redirectUri}#`), answer.location);
  const params = client.callbackParams(answer.location.replace('#', '?'));
  const tokenSet = await client.callback(redirectUri, params, { nonce, state, response_type: 'id_token token' });
  assert.equal(tokenSet.claims().sub, 'auth0|alice');
  assert.equal(new URLSearchParams(new URL(answer.location).hash.slice(1)).get('scope'), 'openid profile read:contacts read:calendar');
  const userinfo = await client.userinfo(tokenSet);
  assert.equal(userinfo.name, 'Alice Adams');
});

await tally.check('authorization code + PKCE, refresh and userinfo, validated by openid-client', async () => {
  const client = new issuer.Client({ client_id: 'organizer-desktop', token_endpoint_auth_method: 'none', response_types: ['code'] });
  const verifier = generators.codeVerifier();
  const nonce = generators.nonce();
  const state = `${generators.state()} with spaces+plus`;
  const url = client.authorizationUrl({ redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile email offline_access read:calendar',
    audience: 'organize', nonce, state, code_challenge: generators.codeChallenge(verifier), code_challenge_method: 'S256' });
  assert.ok(url.includes('+with+spaces%2Bplus') || url.includes('%20with%20spaces%2Bplus'), url);
  const answer = await new FormBrowser(base).login(url, 'carol@example.com');
  assert.ok(answer.location.startsWith(`${redirectUri}?`), answer.location);
  const params = client.callbackParams(answer.location);
  const tokenSet = await client.callback(redirectUri, params, { code_verifier: verifier, nonce, state, response_type: 'code' });
  assert.equal(tokenSet.claims().sub, 'auth0|carol');
  assert.equal(tokenSet.claims().nonce, nonce);
  assert.ok(tokenSet.refresh_token, 'offline_access should give a refresh token');
  const { payload } = await jwtVerify(tokenSet.access_token, jwks, { issuer: base, audience: 'organize', algorithms: ['RS256'] });
  assert.equal(payload.scope, 'openid profile email offline_access read:calendar');
  const calendar = await fetch(`${base}api/appointments`, { headers: { authorization: `Bearer ${tokenSet.access_token}` } });
  assert.equal(calendar.status, 200);
  const contacts = await fetch(`${base}api/contacts`, { headers: { authorization: `Bearer ${tokenSet.access_token}` } });
  assert.equal(contacts.status, 403);

  const refreshed = await client.refresh(tokenSet);
  assert.ok(refreshed.access_token);
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokenSet.refresh_token, 'the refresh token rotates');
  assert.equal(refreshed.claims().sub, 'auth0|carol'); // the library validated the refreshed ID token too
  await jwtVerify(refreshed.access_token, jwks, { issuer: base, audience: 'organize', algorithms: ['RS256'] });
  const userinfo = await client.userinfo(refreshed.access_token);
  assert.equal(userinfo.sub, 'auth0|carol');
  assert.equal(userinfo.email, 'carol@example.com');

  // The retired refresh token again: refused, and the family with it (RFC 9700 §4.14.2).
  await assert.rejects(client.refresh(tokenSet.refresh_token), (error) => error.error === 'invalid_grant');
  await assert.rejects(client.refresh(refreshed.refresh_token), (error) => error.error === 'invalid_grant');

  // The same code again is refused in the RFC 6749 §5.2 shape the library understands.
  await assert.rejects(client.callback(redirectUri, params, { code_verifier: verifier, nonce, state, response_type: 'code' }),
    (error) => error.error === 'invalid_grant' && /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(error.error_description));
});

await tally.check('the library revokes a refresh token (RFC 7009) and the token stops working', async () => {
  const client = new issuer.Client({ client_id: 'organizer-desktop', token_endpoint_auth_method: 'none', response_types: ['code'] });
  assert.equal(issuer.revocation_endpoint, `${base}oauth/revoke`);
  const verifier = generators.codeVerifier();
  const url = client.authorizationUrl({ redirect_uri: redirectUri, response_type: 'code', scope: 'openid offline_access read:contacts', audience: 'organize',
    state: 's', code_challenge: generators.codeChallenge(verifier), code_challenge_method: 'S256' });
  const answer = await new FormBrowser(base).login(url, 'bob@example.com');
  const tokenSet = await client.callback(redirectUri, client.callbackParams(answer.location), { code_verifier: verifier, state: 's', response_type: 'code' });
  await client.revoke(tokenSet.refresh_token, 'refresh_token');
  await assert.rejects(client.refresh(tokenSet.refresh_token), (error) => error.error === 'invalid_grant');
  const contacts = await fetch(`${base}api/contacts`, { headers: { authorization: `Bearer ${tokenSet.access_token}` } });
  assert.equal(contacts.status, 401, 'the family\'s access token is revoked too');
});

tally.finish();
