// Auth0's authentication SDKs for Node, unchanged, against organizer-server's demo tenant, every grant they
// have that the server serves. auth0 7.1.0's AuthenticationClient (its `auth0/legacy` entry point, node-auth0
// 4.x; it checks an ID token's signature against the JWKS, iss, aud and nonce itself): oauth.passwordGrant and
// its password-realm variant on the test application `organizer-tests`, clientCredentialsGrant for
// `organizer-cli`, authorizationCodeGrant (and WithPKCE) for a regular web application registered through the
// Management API (ManagementClient with `organizer-admin`), refreshTokenGrant (rotation, reuse),
// revokeRefreshToken. @auth0/auth0-auth-js 1.16.1's AuthClient: getTokenByPassword, getTokenByClientCredentials,
// buildAuthorizationUrl + getTokenByCode, getTokenByRefreshToken, revokeToken. The codes come from the hosted
// login and consent pages driven by lib.mjs's FormBrowser, as a browser would.
// Both build only https:// URLs, so the server runs with --tls and its local CA is trusted the documented
// way, NODE_EXTRA_CA_CERTS: Node reads it at start, so this script makes the CA (organizer-server ca
// --path) and runs itself again with it. No fetch of ours in the SDKs' calls, no proxy.
// Usage: node authsdk.mjs /path/to/organizer-server
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthClient, TokenByPasswordError } from '@auth0/auth0-auth-js';
import { ManagementClient } from 'auth0';
import { AuthenticationClient } from 'auth0/legacy';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { FormBrowser, Tally, startServer } from './lib.mjs';

const binary = process.argv[2];
assert.ok(binary, 'usage: node authsdk.mjs /path/to/organizer-server');
if (!process.env.ORGANIZER_AUTHSDK_DATA_DIR) {
  const dataDir = mkdtempSync(join(tmpdir(), 'organizer-authsdk-'));
  const caFile = execFileSync(binary, ['ca', '--path', '--data-dir', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), binary], { stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, ORGANIZER_AUTHSDK_DATA_DIR: dataDir } });
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}
const tally = new Tally();

const server = await startServer(binary, ['--tls', '--access-log', 'off'], { dataDir: process.env.ORGANIZER_AUTHSDK_DATA_DIR });
const issuer = server.url;
assert.match(issuer, /^https:\/\/localhost:\d+\/$/);
const domain = new URL(issuer).host;
const realm = 'Username-Password-Authentication';
const tests = { clientId: 'organizer-tests', clientSecret: 'organizer-tests-secret' };
const jwks = createRemoteJWKSet(new URL(`${issuer}.well-known/jwks.json`));
// An access token as an API checks it: the issuer's signature, the issuer, the audience.
const accessClaims = async (token, audience = 'organize') => (await jwtVerify(token, jwks, { issuer, audience, algorithms: ['RS256'] })).payload;

const legacy = new AuthenticationClient({ domain, ...tests });
const cli = { clientId: 'organizer-cli', clientSecret: 'organizer-cli-secret' };

// A regular web application (confidential, with a callback) for the code exchanges, registered as a team
// would: through the Management API with the demo tenant's organizer-admin. Its secret is shown once.
const management = new ManagementClient({ domain, clientId: 'organizer-admin', clientSecret: 'organizer-admin-secret', audience: `${issuer}api/v2/`, maxRetries: 0 });
const callback = 'https://web.example/callback';
const created = await management.clients.create({ name: 'Auth SDK web app', app_type: 'regular_web', callbacks: [callback],
  grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post' });
const web = { clientId: created.client_id, clientSecret: created.client_secret };
// The code the hosted login page sends back to the callback, as a browser would reach it: login form, consent.
async function codeFor(authorizeUrl, username) {
  const answer = await new FormBrowser(issuer).login(authorizeUrl, username);
  assert.ok(answer.location?.startsWith(`${callback}?`), `redirected to ${answer.location}`);
  return new URL(answer.location);
}
const authorizeUrl = (fields) => `${issuer}authorize?${new URLSearchParams({ response_type: 'code', client_id: web.clientId, redirect_uri: callback, ...fields })}`;

async function rejects(promise, check) {
  try {
    await promise;
  } catch (error) {
    check(error);
    return;
  }
  assert.fail('expected a refusal');
}

// ------------------------------------------------------------- auth0 (AuthenticationClient, node-auth0 4.x API)
await tally.check('auth0 oauth.passwordGrant: bob gets what he holds of what was asked, an ID token the SDK verified, gty password', async () => {
  const { data } = await legacy.oauth.passwordGrant({ username: 'bob@example.com', password: 'organizer', audience: 'organize',
    scope: 'openid profile email read:contacts read:calendar' });
  assert.equal(data.token_type, 'Bearer');
  assert.equal(data.scope, 'openid profile email read:contacts');
  assert.equal(data.refresh_token, undefined);
  const claims = await accessClaims(data.access_token);
  assert.equal(claims.sub, 'auth0|bob');
  assert.equal(claims.azp, tests.clientId);
  assert.equal(claims.gty, 'password');
  assert.deepEqual(claims.permissions, ['read:contacts']);
  assert.deepEqual(claims.aud, ['organize', `${issuer}userinfo`]);
  const id = decodeJwt(data.id_token);
  assert.equal(id.aud, tests.clientId);
  assert.equal(id.email, 'bob@example.com');
  assert.equal(id.nonce, undefined);
});

await tally.check('auth0 oauth.passwordGrant with realm (grant type password-realm) names the connection', async () => {
  const { data } = await legacy.oauth.passwordGrant({ username: 'carol@example.com', password: 'organizer', realm, audience: 'organize', scope: 'read:calendar' });
  assert.equal(data.scope, 'read:calendar');
  assert.equal((await accessClaims(data.access_token)).sub, 'auth0|carol');
  await rejects(legacy.oauth.passwordGrant({ username: 'carol@example.com', password: 'organizer', realm: 'employees' }), (error) => {
    assert.equal(error.statusCode, 400);
    assert.equal(error.error, 'invalid_request');
    assert.equal(error.error_description, 'the connection was not found');
  });
});

await tally.check('auth0 oauth.passwordGrant: a wrong password and an unknown login get Auth0\'s 403 invalid_grant "Wrong email or password."', async () => {
  for (const username of ['alice@example.com', 'nobody@example.com']) {
    await rejects(legacy.oauth.passwordGrant({ username, password: 'guess', audience: 'organize' }), (error) => {
      assert.equal(error.statusCode, 403);
      assert.equal(error.error, 'invalid_grant');
      assert.equal(error.error_description, 'Wrong email or password.');
    });
  }
});

await tally.check('auth0 oauth.passwordGrant: an application that does not enable it gets 403 unauthorized_client', async () => {
  const cli = new AuthenticationClient({ domain, clientId: 'organizer-cli', clientSecret: 'organizer-cli-secret' });
  await rejects(cli.oauth.passwordGrant({ username: 'alice@example.com', password: 'organizer' }), (error) => {
    assert.equal(error.statusCode, 403);
    assert.equal(error.error, 'unauthorized_client');
    assert.equal(error.error_description, "Grant type 'password' not allowed for the client.");
  });
  await rejects(cli.oauth.passwordGrant({ username: 'alice@example.com', password: 'organizer', realm }), (error) => {
    assert.equal(error.error_description, "Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client.");
  });
  const wrongSecret = new AuthenticationClient({ domain, clientId: tests.clientId, clientSecret: 'guess' });
  await rejects(wrongSecret.oauth.passwordGrant({ username: 'alice@example.com', password: 'organizer' }), (error) => {
    assert.equal(error.statusCode, 401);
    assert.equal(error.error, 'invalid_client');
  });
});

await tally.check('auth0 offline_access: refreshTokenGrant rotates, revokeRefreshToken ends the family', async () => {
  const { data } = await legacy.oauth.passwordGrant({ username: 'alice@example.com', password: 'organizer', audience: 'organize',
    scope: 'openid offline_access read:contacts' });
  assert.equal(data.scope, 'openid offline_access read:contacts');
  assert.ok(data.refresh_token);
  const refreshed = (await legacy.oauth.refreshTokenGrant({ refresh_token: data.refresh_token })).data;
  assert.ok(refreshed.refresh_token && refreshed.refresh_token !== data.refresh_token, 'rotated');
  assert.equal((await accessClaims(refreshed.access_token)).sub, 'auth0|alice');
  await legacy.oauth.revokeRefreshToken({ token: refreshed.refresh_token });
  await rejects(legacy.oauth.refreshTokenGrant({ refresh_token: refreshed.refresh_token }), (error) => assert.equal(error.error, 'invalid_grant'));
});

await tally.check('auth0 oauth.clientCredentialsGrant: organizer-cli gets its client grant\'s scopes, gty client-credentials, no ID token', async () => {
  const m2m = new AuthenticationClient({ domain, ...cli });
  const { data } = await m2m.oauth.clientCredentialsGrant({ audience: 'organize' });
  assert.equal(data.token_type, 'Bearer');
  assert.equal(data.scope, 'read:contacts read:calendar');
  assert.equal(data.id_token, undefined);
  assert.equal(data.refresh_token, undefined);
  const claims = await accessClaims(data.access_token);
  assert.equal(claims.sub, `${cli.clientId}@clients`);
  assert.equal(claims.azp, cli.clientId);
  assert.equal(claims.gty, 'client-credentials');
  assert.equal(claims.scope, 'read:contacts read:calendar');
  await rejects(m2m.oauth.clientCredentialsGrant({ audience: 'https://unknown.example/' }), (error) => {
    assert.equal(error.statusCode, 403);
    assert.equal(error.error, 'access_denied');
  });
  const wrongSecret = new AuthenticationClient({ domain, clientId: cli.clientId, clientSecret: 'guess' });
  await rejects(wrongSecret.oauth.clientCredentialsGrant({ audience: 'organize' }), (error) => {
    assert.equal(error.statusCode, 401);
    assert.equal(error.error, 'invalid_client');
  });
});

const webClient = new AuthenticationClient({ domain, ...web });
let webRefresh;
await tally.check('auth0 oauth.authorizationCodeGrant: a regular web app exchanges carol\'s code; the SDK validates the ID token (signature by JWKS, iss, aud, nonce)', async () => {
  const nonce = 'n-0S6_WzA2Mj';
  const code = (await codeFor(authorizeUrl({ scope: 'openid profile email offline_access read:calendar', audience: 'organize', nonce, state: 'st' }), 'carol@example.com')).searchParams;
  assert.equal(code.get('state'), 'st');
  const { data } = await webClient.oauth.authorizationCodeGrant({ code: code.get('code'), redirect_uri: callback }, { idTokenValidateOptions: { nonce } });
  assert.equal(data.token_type, 'Bearer');
  assert.equal(data.scope, 'openid profile email offline_access read:calendar');
  const claims = await accessClaims(data.access_token);
  assert.equal(claims.sub, 'auth0|carol');
  assert.equal(claims.azp, web.clientId);
  assert.equal(claims.gty, undefined);
  assert.deepEqual(claims.permissions, ['read:calendar']);
  const id = decodeJwt(data.id_token);
  assert.deepEqual([id.aud, id.nonce, id.email], [web.clientId, nonce, 'carol@example.com']);
  assert.ok(data.refresh_token);
  webRefresh = data.refresh_token;
});

await tally.check('auth0 oauth.authorizationCodeGrant: a code presented twice is 400 invalid_grant and what it issued is revoked (RFC 6749 §4.1.2)', async () => {
  const code = (await codeFor(authorizeUrl({ scope: 'openid offline_access', audience: 'organize' }), 'carol@example.com')).searchParams.get('code');
  const { data } = await webClient.oauth.authorizationCodeGrant({ code, redirect_uri: callback });
  assert.ok(data.refresh_token);
  await rejects(webClient.oauth.authorizationCodeGrant({ code, redirect_uri: callback }), (error) => {
    assert.equal(error.statusCode, 400);
    assert.equal(error.error, 'invalid_grant');
    assert.equal(error.error_description, 'the authorization code was already used; the tokens issued for it are revoked');
  });
  await rejects(webClient.oauth.refreshTokenGrant({ refresh_token: data.refresh_token }), (error) => assert.equal(error.error, 'invalid_grant'));
});

await tally.check('auth0 oauth.authorizationCodeGrant: the SDK refuses an ID token whose nonce is not the one it expects', async () => {
  const code = (await codeFor(authorizeUrl({ scope: 'openid', nonce: 'sent' }), 'carol@example.com')).searchParams.get('code');
  await rejects(webClient.oauth.authorizationCodeGrant({ code, redirect_uri: callback }, { idTokenValidateOptions: { nonce: 'expected' } }), (error) => {
    assert.match(error.message, /Nonce \(nonce\) claim mismatch in the ID token; expected "expected", found "sent"/);
  });
});

await tally.check('auth0 oauth.authorizationCodeGrantWithPKCE: the verifier is checked against the challenge', async () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const code = (await codeFor(authorizeUrl({ scope: 'openid read:contacts', audience: 'organize', code_challenge: challenge, code_challenge_method: 'S256' }), 'alice@example.com')).searchParams.get('code');
  const { data } = await webClient.oauth.authorizationCodeGrantWithPKCE({ code, code_verifier: verifier, redirect_uri: callback });
  assert.equal((await accessClaims(data.access_token)).sub, 'auth0|alice');
  assert.equal(decodeJwt(data.id_token).sub, 'auth0|alice');
  const other = (await codeFor(authorizeUrl({ scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' }), 'alice@example.com')).searchParams.get('code');
  await rejects(webClient.oauth.authorizationCodeGrantWithPKCE({ code: other, code_verifier: 'x'.repeat(43), redirect_uri: callback }), (error) => {
    assert.equal(error.statusCode, 400);
    assert.equal(error.error, 'invalid_grant');
    assert.equal(error.error_description, 'code_verifier does not match the code_challenge');
  });
});

await tally.check('auth0 refreshTokenGrant twice on the web app\'s token: each use rotates; the reused one is refused and ends the family', async () => {
  const first = (await webClient.oauth.refreshTokenGrant({ refresh_token: webRefresh })).data;
  assert.ok(first.refresh_token && first.refresh_token !== webRefresh, 'rotated');
  assert.equal(first.scope, 'openid profile email offline_access read:calendar');
  assert.equal(decodeJwt(first.id_token).sub, 'auth0|carol');
  const second = (await webClient.oauth.refreshTokenGrant({ refresh_token: first.refresh_token })).data;
  assert.ok(second.refresh_token && second.refresh_token !== first.refresh_token, 'rotated again');
  assert.equal((await accessClaims(second.access_token)).sub, 'auth0|carol');
  await rejects(webClient.oauth.refreshTokenGrant({ refresh_token: first.refresh_token }), (error) => assert.equal(error.error, 'invalid_grant'));
  await rejects(webClient.oauth.refreshTokenGrant({ refresh_token: second.refresh_token }), (error) => assert.equal(error.error, 'invalid_grant', 'reuse revoked the family'));
});

// ------------------------------------------------------------- @auth0/auth0-auth-js (AuthClient)
const authClient = new AuthClient({ domain, ...tests });

await tally.check('auth0-auth-js getTokenByPassword: tokens for the API with the user\'s permissions', async () => {
  const tokens = await authClient.getTokenByPassword({ username: 'alice@example.com', password: 'organizer', audience: 'organize', scope: 'openid email read:calendar delete:calendar' });
  assert.equal(tokens.scope, 'openid email read:calendar delete:calendar');
  const claims = await accessClaims(tokens.accessToken);
  assert.equal(claims.sub, 'auth0|alice');
  assert.equal(claims.gty, 'password');
  assert.equal(decodeJwt(tokens.idToken).email, 'alice@example.com');
  assert.ok(tokens.expiresAt > Date.now() / 1000);
});

await tally.check('auth0-auth-js getTokenByPassword with realm (sent with grant_type=password) names the connection', async () => {
  const tokens = await authClient.getTokenByPassword({ username: 'bob@example.com', password: 'organizer', realm, audience: 'organize', scope: 'read:contacts' });
  assert.equal((await accessClaims(tokens.accessToken)).sub, 'auth0|bob');
  await rejects(authClient.getTokenByPassword({ username: 'bob@example.com', password: 'organizer', realm: 'employees' }), (error) => {
    assert.ok(error instanceof TokenByPasswordError, String(error));
    assert.equal(error.cause?.error, 'invalid_request');
  });
});

await tally.check('auth0-auth-js getTokenByPassword: a wrong password is Auth0\'s invalid_grant', async () => {
  await rejects(authClient.getTokenByPassword({ username: 'dave@example.com', password: 'guess' }), (error) => {
    assert.ok(error instanceof TokenByPasswordError, String(error));
    assert.equal(error.cause?.error, 'invalid_grant');
    assert.equal(error.cause?.error_description, 'Wrong email or password.');
    assert.equal(error.statusCode, 403);
  });
});

await tally.check('auth0-auth-js getTokenByClientCredentials: organizer-cli\'s client grant, gty client-credentials', async () => {
  const tokens = await new AuthClient({ domain, ...cli }).getTokenByClientCredentials({ audience: 'organize' });
  assert.equal(tokens.scope, 'read:contacts read:calendar');
  assert.equal(tokens.idToken, undefined);
  const claims = await accessClaims(tokens.accessToken);
  assert.equal(claims.sub, `${cli.clientId}@clients`);
  assert.equal(claims.gty, 'client-credentials');
  await rejects(new AuthClient({ domain, clientId: cli.clientId, clientSecret: 'guess' }).getTokenByClientCredentials({ audience: 'organize' }), (error) => {
    assert.equal(error.cause?.error, 'invalid_client', String(error));
  });
});

await tally.check('auth0-auth-js buildAuthorizationUrl + getTokenByCode (PKCE, ID token checked by openid-client), getTokenByRefreshToken rotates, revokeToken ends it', async () => {
  const webAuth = new AuthClient({ domain, ...web, authorizationParams: { redirect_uri: callback } });
  const { authorizationUrl, codeVerifier } = await webAuth.buildAuthorizationUrl({ authorizationParams: { audience: 'organize', scope: 'openid profile offline_access read:contacts' } });
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  const tokens = await webAuth.getTokenByCode(await codeFor(authorizationUrl.href, 'bob@example.com'), { codeVerifier });
  assert.equal(tokens.scope, 'openid profile offline_access read:contacts');
  assert.equal(tokens.claims.sub, 'auth0|bob');
  assert.equal(tokens.claims.aud, web.clientId);
  assert.deepEqual((await accessClaims(tokens.accessToken)).permissions, ['read:contacts']);
  assert.ok(tokens.refreshToken);
  const refreshed = await webAuth.getTokenByRefreshToken({ refreshToken: tokens.refreshToken });
  assert.ok(refreshed.refreshToken && refreshed.refreshToken !== tokens.refreshToken, 'rotated');
  assert.equal((await accessClaims(refreshed.accessToken)).sub, 'auth0|bob');
  await webAuth.revokeToken({ token: refreshed.refreshToken });
  await rejects(webAuth.getTokenByRefreshToken({ refreshToken: refreshed.refreshToken }), (error) => assert.equal(error.cause?.error, 'invalid_grant', String(error)));
});

tally.finish();
