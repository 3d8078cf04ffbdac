// Auth0's authentication SDKs for Node, unchanged, against organizer-server's demo tenant: the password
// grant and its password-realm variant as an automated test suite uses them, on the demo tenant's test
// application `organizer-tests` — auth0 7.1.0's AuthenticationClient (its `auth0/legacy` entry point,
// node-auth0 4.x: oauth.passwordGrant, refreshTokenGrant, revokeRefreshToken; it checks the ID token's
// signature against the JWKS itself) and @auth0/auth0-auth-js's AuthClient.getTokenByPassword.
// Both build only https:// URLs, so the server runs with --tls and its local CA is trusted the documented
// way, NODE_EXTRA_CA_CERTS: Node reads it at start, so this script makes the CA (organizer-server ca
// --path) and runs itself again with it. No fetch of ours in the SDKs' calls, no proxy.
// Usage: node authsdk.mjs /path/to/organizer-server
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthClient, TokenByPasswordError } from '@auth0/auth0-auth-js';
import { AuthenticationClient } from 'auth0/legacy';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { Tally, startServer } from './lib.mjs';

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

tally.finish();
