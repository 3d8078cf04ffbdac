// Interoperability with an independent JOSE implementation (panva/jose), test-only:
//  1. a token organizer-server signs verifies with jose against the server's published JWKS;
//  2. organizer-server, given --authority, accepts a token jose signs with a key served from a JWKS URL.
// Usage: node interop.mjs /path/to/organizer-server
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, generateKeyPair, exportJWK, SignJWT } from 'jose';
import { Tally, onExit, startServer as startOrganizer } from './lib.mjs';

const serverBinary = process.argv[2];
assert.ok(serverBinary, 'usage: node interop.mjs /path/to/organizer-server');
const startServer = (args) => startOrganizer(serverBinary, args);

async function call(url, token) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json() };
}

async function organizerTokenVerifiesWithJose() {
  const server = await startServer([]);
  const token = execFileSync(serverBinary, ['token', '--data-dir', server.dataDir, '--sub', 'auth0|interop',
    '--scope', 'read:contacts read:calendar']).toString().trim();
  const discovery = await (await fetch(`${server.url}.well-known/openid-configuration`)).json();
  assert.equal(discovery.issuer, server.url);
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: discovery.issuer, audience: 'organize', algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.sub, 'auth0|interop');
  assert.equal(payload.scope, 'read:contacts read:calendar');
}

async function joseTokenOpensTheApis() {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const { privateKey: strangerKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const { publicKey: secondPublic, privateKey: secondKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  const kid = 'jose-interop-key';
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  // A second published key: a token without kid must be tried against both (RFC 7515 §4.1.4).
  const secondJwk = { ...(await exportJWK(secondPublic)), kid: 'second-key', use: 'sig', alg: 'RS256' };
  const provider = createServer((request, response) => {
    const issuer = `http://127.0.0.1:${provider.address().port}/`;
    const documents = {
      '/.well-known/openid-configuration': { issuer, jwks_uri: `${issuer}.well-known/jwks.json` },
      '/.well-known/jwks.json': { keys: [jwk, secondJwk] },
    };
    const body = documents[request.url];
    response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body ?? { error: 'not_found' }));
  });
  await new Promise((resolve) => provider.listen(0, '127.0.0.1', resolve));
  onExit(() => provider.close());
  const issuer = `http://127.0.0.1:${provider.address().port}/`;

  const server = await startServer(['--authority', issuer, '--serve', 'apis']);
  const sign = (scope, key = privateKey, audience = 'organize') => new SignJWT({ scope })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(issuer).setSubject('auth0|jose').setAudience(audience)
    .setIssuedAt().setExpirationTime('5m').sign(key);

  const contacts = await call(`${server.url}api/contacts`, await sign('read:contacts'));
  assert.equal(contacts.status, 200, JSON.stringify(contacts.body));
  assert.ok(Array.isArray(contacts.body.contacts) && contacts.body.contacts.length > 0);

  const calendar = await call(`${server.url}api/appointments`, await sign('read:contacts'));
  assert.equal(calendar.status, 403);
  assert.match(calendar.challenge, /error="insufficient_scope"/);
  assert.match(calendar.challenge, /scope="read:calendar"/);

  const withUserinfo = await call(`${server.url}api/appointments`, await sign('openid read:calendar', privateKey, ['organize', `${issuer}userinfo`]));
  assert.equal(withUserinfo.status, 200);

  const forged = await call(`${server.url}api/contacts`, await sign('read:contacts', strangerKey));
  assert.equal(forged.status, 401);
  assert.equal(forged.body.error, 'invalid_token');

  const kidless = (key) => new SignJWT({ scope: 'read:contacts' })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(issuer).setSubject('auth0|jose').setAudience('organize')
    .setIssuedAt().setExpirationTime('5m').sign(key);
  for (const key of [privateKey, secondKey]) {
    const answer = await call(`${server.url}api/contacts`, await kidless(key));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
  }
  const kidlessForged = await call(`${server.url}api/contacts`, await kidless(strangerKey));
  assert.equal(kidlessForged.status, 401);
  assert.equal(kidlessForged.body.error, 'invalid_token');
  assert.match(kidlessForged.body.error_description, /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/);
}

const tally = new Tally();
await tally.check('jose verifies an organizer-server token against its JWKS', organizerTokenVerifiesWithJose);
await tally.check('organizer-server --authority accepts jose-signed tokens, scoped, with or without kid among two keys, and refuses forged ones', joseTokenOpensTheApis);
tally.finish();
