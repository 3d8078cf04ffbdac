// The Management API driven by Auth0's own Node SDK (`auth0`, pinned in package-lock.json): every
// endpoint Organizer offers under /api/v2/, each with what it does and how it refuses, and the
// tutorial's consequences checked on the wire: a scope added can be requested and opens its API at
// once, a scope removed is granted no more and opens nothing, an API declared with records is served,
// permissions come from direct assignments and roles, applications are created, changed, given a new
// secret and deleted, users are created, changed, blocked, searched, given roles and deleted (each live at
// the login page at once), and every change survives a restart.
// The SDK builds only https:// URLs (Auth0 tenants are TLS-only), so the server runs with --tls and its
// local CA is trusted the documented way, NODE_EXTRA_CA_CERTS: Node reads it at start, so this script
// makes the CA (organizer-server ca --path) and runs itself again with it. No fetch of ours, no proxy.
// Usage: node management.mjs /path/to/organizer-server
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagementClient, ManagementError } from 'auth0';
import { FormBrowser, Tally, hidden, redirectParameters, startServer } from './lib.mjs';

const binary = process.argv[2];
assert.ok(binary, 'usage: node management.mjs /path/to/organizer-server');
if (!process.env.ORGANIZER_MANAGEMENT_DATA_DIR) {
  const dataDir = mkdtempSync(join(tmpdir(), 'organizer-management-'));
  const caFile = execFileSync(binary, ['ca', '--path', '--data-dir', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), binary], { stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, ORGANIZER_MANAGEMENT_DATA_DIR: dataDir } });
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}
const tally = new Tally();
const dataDir = process.env.ORGANIZER_MANAGEMENT_DATA_DIR;

const serverArgs = ['--tls', '--access-log', 'off'];
let server = await startServer(binary, serverArgs, { dataDir });
let base = server.url;
assert.match(base, /^https:\/\/localhost:\d+\/$/);
const clientFor = (options) => new ManagementClient({ domain: new URL(base).host, maxRetries: 0, ...options });
// The SDK gets its own token: client credentials for the Management API's audience.
let management = clientFor({ clientId: 'organizer-admin', clientSecret: 'organizer-admin-secret', audience: `${base}api/v2/` });

async function refused(promise, statusCode, errorCode) {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ManagementError, `not a ManagementError: ${error}`);
    assert.equal(error.statusCode, statusCode, JSON.stringify(error.body));
    assert.equal(error.body.statusCode, statusCode);
    if (errorCode) assert.equal(error.body.errorCode, errorCode, JSON.stringify(error.body));
    assert.equal(typeof error.body.message, 'string');
    assert.equal(typeof error.body.error, 'string');
    return error.body;
  }
  assert.fail(`expected ${statusCode} ${errorCode ?? ''}`);
}

const all = async (pageable) => { const items = []; for await (const item of await pageable) items.push(item); return items; };
const token = async (fields) => {
  const answer = await fetch(`${base}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
  return { status: answer.status, body: await answer.json() };
};
const m2m = (scope) => token({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: 'organize', ...(scope ? { scope } : {}) });
const call = async (method, path, accessToken, body) => {
  const answer = await fetch(`${base}${path.slice(1)}`, { method, headers: { authorization: `Bearer ${accessToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined });
  return { status: answer.status, challenge: answer.headers.get('www-authenticate'), body: await answer.text() };
};
// The implicit flow through the hosted pages, as the desktop app runs it: the granted scope.
async function loginScopes(user, scope) {
  const url = `${base}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: 'http://localhost:3000/callback', response_type: 'token',
    scope, audience: 'organize', state: 's', nonce: 'n' })}`;
  const answer = await new FormBrowser(base).login(url, user);
  const parameters = redirectParameters(answer.location);
  assert.equal(parameters.get('error'), null, parameters.get('error_description'));
  return { scopes: parameters.get('scope').split(' '), accessToken: parameters.get('access_token') };
}

const organize = () => management.resourceServers.get('organize');

// ---------------------------------------------------------------- resource servers
await tally.check('resourceServers.list pages like Auth0: Organizer Service with its APIs, and the Management API as a system API', async () => {
  const servers = await all(management.resourceServers.list());
  const service = servers.find((s) => s.identifier === 'organize');
  assert.equal(service.name, 'Organizer Service');
  assert.equal(service.signing_alg, 'RS256');
  assert.equal(service.enforce_policies, true);
  assert.equal(service.token_dialect, 'access_token_authz');
  assert.deepEqual(service.organizer_apis.map((a) => [a.name, a.path, a.builtin]), [['contacts', '/api/contacts', true], ['calendar', '/api/appointments', true]]);
  const system = servers.find((s) => s.is_system);
  assert.equal(system.identifier, `${base}api/v2/`);
  // Auth0's name and flag, which its Deploy CLI skips the system API by; every other API says it is none.
  assert.equal(system.name, 'Auth0 Management API');
  assert.ok(servers.every((s) => s === system || s.is_system === false));
  const single = await management.resourceServers.get(system.id);
  assert.deepEqual([single.name, single.is_system], ['Auth0 Management API', true]);
  const filtered = await all(management.resourceServers.list({ identifiers: ['organize'] }));
  assert.deepEqual(filtered.map((s) => s.identifier), ['organize']);
  const firstPage = await management.resourceServers.list({ per_page: 1, page: 0 });
  assert.equal(firstPage.data.length, 1);
  assert.equal(firstPage.response.total, servers.length);
});

await tally.check('resourceServers.get by id and by identifier; an unknown id is 404 inexistent_resource_server', async () => {
  const service = await organize();
  const byId = await management.resourceServers.get(service.id);
  assert.equal(byId.identifier, 'organize');
  assert.deepEqual(byId.scopes.map((s) => s.value).slice(0, 2), ['read:contacts', 'create:contacts']);
  await refused(management.resourceServers.get('000000000000000000000000'), 404, 'inexistent_resource_server');
});

let samplesApi;
await tally.check('resourceServers.create: the tutorial\'s Create API (name, identifier, RS256) with scopes', async () => {
  samplesApi = await management.resourceServers.create({ name: 'Samples', identifier: 'https://samples.example/', signing_alg: 'RS256',
    scopes: [{ value: 'read:samples', description: 'Read samples' }, { value: 'delete:samples', description: 'Delete samples' }], token_lifetime: 3600,
    allow_offline_access: false, enforce_policies: true, token_dialect: 'access_token' });
  assert.match(samplesApi.id, /^[0-9a-f]{24}$/);
  assert.equal(samplesApi.token_lifetime, 3600);
  assert.deepEqual(samplesApi.scopes.map((s) => s.value), ['read:samples', 'delete:samples']);
  assert.equal((await management.resourceServers.get(samplesApi.id)).name, 'Samples');
});

await tally.check('resourceServers.create refuses: 409 on a duplicate identifier, 400 on HS256, a missing identifier or an unknown property', async () => {
  await refused(management.resourceServers.create({ name: 'Again', identifier: 'organize' }), 409, 'resource_server_conflict');
  const hs = await refused(management.resourceServers.create({ name: 'HS', identifier: 'hs', signing_alg: 'HS256' }), 400, 'invalid_body');
  assert.match(hs.message, /RS256/);
  await refused(management.resourceServers.create({ name: 'No identifier' }), 400, 'invalid_body');
  const extra = await refused(management.resourceServers.create({ name: 'X', identifier: 'x', signing_secret: 'y' }), 400, 'invalid_body');
  assert.match(extra.message, /signing_secret/);
  await refused(management.resourceServers.create({ name: 'Bad scope', identifier: 'bad', scopes: [{ value: 'read samples' }] }), 400, 'invalid_body');
});

await tally.check('resourceServers.update: settings change (token lifetime, RBAC, offline access); the system API cannot be changed or deleted', async () => {
  const updated = await management.resourceServers.update(samplesApi.id, { token_lifetime: 7200, enforce_policies: false, allow_offline_access: true });
  assert.equal(updated.token_lifetime, 7200);
  assert.equal(updated.enforce_policies, false);
  assert.equal(updated.allow_offline_access, true);
  await refused(management.resourceServers.update(samplesApi.id, { identifier: 'changed' }), 400, 'invalid_body');
  await refused(management.resourceServers.update(samplesApi.id, { token_lifetime: 5 }), 400, 'invalid_body');
  await refused(management.resourceServers.update('000000000000000000000000', { name: 'n' }), 404, 'inexistent_resource_server');
  const system = (await all(management.resourceServers.list())).find((s) => s.is_system);
  assert.equal((await refused(management.resourceServers.update(system.id, { name: 'mine' }), 403, 'operation_not_supported')).message,
    'You cannot update a system resource server');
  assert.equal((await refused(management.resourceServers.delete(system.id), 403, 'operation_not_supported')).message,
    'You cannot delete a system resource server');
});

// ---------------------------------------------------------------- clients and client grants
await tally.check('clients.list and clients.get show the applications, never a secret; an unknown client is 404', async () => {
  const clients = await all(management.clients.list());
  assert.deepEqual(clients.map((c) => c.client_id).sort(), ['organizer-admin', 'organizer-cli', 'organizer-desktop', 'organizer-tests']);
  for (const client of clients) assert.ok(!JSON.stringify(client).includes('pbkdf2') && !('client_secret' in client), 'no secret, no hash');
  const cli = await management.clients.get('organizer-cli');
  assert.equal(cli.app_type, 'non_interactive');
  assert.deepEqual(cli.grant_types, ['client_credentials']);
  await refused(management.clients.get('nobody'), 404, 'inexistent_client');
});

let samplesGrant;
await tally.check('clientGrants: list by audience, create (Machine to Machine: authorize a client, pick its scopes), update, delete', async () => {
  const forOrganize = await all(management.clientGrants.list({ audience: 'organize' }));
  assert.deepEqual(forOrganize.map((g) => [g.client_id, g.scope]), [['organizer-cli', ['read:contacts', 'read:calendar']]]);
  samplesGrant = await management.clientGrants.create({ client_id: 'organizer-cli', audience: 'https://samples.example/', scope: ['read:samples'] });
  assert.match(samplesGrant.id, /^cgr_/);
  const issued = await token({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: 'https://samples.example/' });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal(issued.body.scope, 'read:samples');
  const widened = await management.clientGrants.update(samplesGrant.id, { scope: ['read:samples', 'delete:samples'] });
  assert.deepEqual(widened.scope, ['read:samples', 'delete:samples']);
  assert.equal((await token({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: 'https://samples.example/' })).body.scope,
    'read:samples delete:samples');
});

await tally.check('clientGrants refuse: 409 for a second grant, 404 for an unknown client or audience, 400 for a scope the API lacks', async () => {
  await refused(management.clientGrants.create({ client_id: 'organizer-cli', audience: 'https://samples.example/', scope: [] }), 409, 'client_grant_conflict');
  await refused(management.clientGrants.create({ client_id: 'nobody', audience: 'organize', scope: [] }), 404, 'inexistent_client');
  await refused(management.clientGrants.create({ client_id: 'organizer-cli', audience: 'https://nowhere.example/', scope: [] }), 404, 'inexistent_resource_server');
  await refused(management.clientGrants.update(samplesGrant.id, { scope: ['write:everything'] }), 400, 'invalid_body');
  await refused(management.clientGrants.update('cgr_0000000000000000', { scope: [] }), 404, 'inexistent_client_grant');
});

let robot;
await tally.check('clients.create: a machine-to-machine application\'s secret is shown once (64 characters); with a client grant it gets a token at once', async () => {
  robot = await management.clients.create({ name: 'Nightly robot', app_type: 'non_interactive', description: 'Exports contacts',
    logo_uri: 'https://robot.example/logo.png', client_metadata: { team: 'ops' } });
  assert.match(robot.client_id, /^[A-Za-z0-9]{32}$/);
  assert.match(robot.client_secret, /^[A-Za-z0-9_-]{64}$/);
  assert.equal(robot.token_endpoint_auth_method, 'client_secret_post');
  assert.deepEqual(robot.grant_types, ['client_credentials']);
  const shown = await management.clients.get(robot.client_id);
  assert.ok(!('client_secret' in shown), 'shown once only');
  assert.deepEqual([shown.description, shown.logo_uri, shown.client_metadata], ['Exports contacts', 'https://robot.example/logo.png', { team: 'ops' }]);
  const denied = await token({ grant_type: 'client_credentials', client_id: robot.client_id, client_secret: robot.client_secret, audience: 'organize' });
  assert.equal(denied.status, 403, 'no client grant yet');
  await management.clientGrants.create({ client_id: robot.client_id, audience: 'organize', scope: ['read:contacts'] });
  const issued = await token({ grant_type: 'client_credentials', client_id: robot.client_id, client_secret: robot.client_secret, audience: 'organize' });
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  assert.equal((await call('GET', '/api/contacts', issued.body.access_token)).status, 200);
});

let spa;
await tally.check('clients.create and clients.update: a SPA (no secret) logs in at its callback at once, and at its new one as soon as it moves', async () => {
  spa = await management.clients.create({ name: 'Team SPA', app_type: 'spa', callbacks: ['https://spa.example/callback'], web_origins: ['https://spa.example'] });
  assert.equal(spa.token_endpoint_auth_method, 'none');
  assert.ok(!('client_secret' in spa));
  const login = async (redirect_uri) => {
    const url = `${base}authorize?${new URLSearchParams({ client_id: spa.client_id, redirect_uri, response_type: 'token', scope: 'read:contacts', audience: 'organize', state: 's' })}`;
    return new FormBrowser(base).login(url, 'alice@example.com');
  };
  assert.ok((await login('https://spa.example/callback')).location.startsWith('https://spa.example/callback#'));
  const moved = await management.clients.update(spa.client_id, { callbacks: ['https://spa.example/v2/callback'], refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' },
    cross_origin_auth: false, custom_login_page_on: true, sso: false, initiate_login_uri: 'https://spa.example/login', organization_usage: 'deny' });
  assert.deepEqual(moved.callbacks, ['https://spa.example/v2/callback']);
  assert.deepEqual(moved.refresh_token, { rotation_type: 'rotating', expiration_type: 'expiring' }, 'kept though not acted on');
  assert.equal((await management.clients.get(spa.client_id)).initiate_login_uri, 'https://spa.example/login');
  const oldCallback = await new FormBrowser(base).get(`${base}authorize?${new URLSearchParams({ client_id: spa.client_id, redirect_uri: 'https://spa.example/callback',
    response_type: 'token', scope: 'read:contacts', audience: 'organize', state: 's' })}`);
  assert.deepEqual([oldCallback.status, oldCallback.location], [400, null], 'the old callback is refused on a page, never redirected to');
  assert.ok((await login('https://spa.example/v2/callback')).location.startsWith('https://spa.example/v2/callback#'));
  const badType = await refused(management.clients.update(spa.client_id, { callbacks: 'https://spa.example/cb' }), 400, 'invalid_body');
  assert.equal(badType.message, "Payload validation error: 'callbacks: must be an array of URLs'.");
  const hs256 = await refused(management.clients.update(spa.client_id, { jwt_configuration: { alg: 'HS256' } }), 400, 'invalid_body');
  assert.match(hs256.message, /jwt_configuration\.alg: must be RS256/);
  await refused(management.clients.update(spa.client_id, { grant_types: ['client_credentials'] }), 400, 'invalid_body');
  await refused(management.clients.update('nobody', { name: 'x' }), 404, 'inexistent_client');
  await refused(management.clients.create({ app_type: 'spa' }), 400, 'invalid_body');
});

await tally.check('clients.rotateSecret: the new secret works at once and the old one is refused at once', async () => {
  const rotated = await management.clients.rotateSecret(robot.client_id);
  assert.match(rotated.client_secret, /^[A-Za-z0-9_-]{64}$/);
  assert.notEqual(rotated.client_secret, robot.client_secret);
  const old = await token({ grant_type: 'client_credentials', client_id: robot.client_id, client_secret: robot.client_secret, audience: 'organize' });
  assert.equal(old.status, 401);
  assert.equal(old.body.error, 'invalid_client');
  const fresh = await token({ grant_type: 'client_credentials', client_id: robot.client_id, client_secret: rotated.client_secret, audience: 'organize' });
  assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  robot.client_secret = rotated.client_secret;
  await refused(management.clients.rotateSecret(spa.client_id), 403, 'operation_not_supported');
});

await tally.check('clients by checkpoint (take/from, next) and clientGrants.list, which always pages so: each item once, next absent at the end', async () => {
  const everyone = (await all(management.clients.list())).map((c) => c.client_id).sort();
  const seen = [];
  let from;
  for (let pages = 0; ; pages++) {
    assert.ok(pages < 10);
    const page = await management.clients.list({}, { queryParams: { take: 2, ...(from ? { from } : {}) } });
    const body = page.response;
    seen.push(...body.clients.map((c) => c.client_id));
    if (!body.next) break;
    assert.equal(body.clients.length, 2);
    from = body.next;
  }
  assert.deepEqual(seen, everyone);
  const totals = await management.clients.list({ per_page: 2, page: 0, include_totals: true });
  assert.equal(totals.response.total, everyone.length, 'totals are exact');
  const grants = await all(management.clientGrants.list({ take: 1 }));
  assert.equal(new Set(grants.map((g) => g.id)).size, grants.length);
  assert.ok(grants.some((g) => g.client_id === robot.client_id));
});

await tally.check('resourceServers.delete removes the API and its grants; tokens for it are refused from then on', async () => {
  await management.resourceServers.delete(samplesApi.id);
  await refused(management.resourceServers.get(samplesApi.id), 404, 'inexistent_resource_server');
  assert.equal((await all(management.clientGrants.list({ client_id: 'organizer-cli' }))).length, 1);
  await refused(management.clientGrants.delete(samplesGrant.id), 404, 'inexistent_client_grant');
  const refusedToken = await token({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: 'https://samples.example/' });
  assert.equal(refusedToken.status, 403);
  assert.equal(refusedToken.body.error, 'access_denied');
});

await tally.check('clients.delete: its client grants go with it, its tokens already issued run out, and the SDK gets 404 after', async () => {
  const issued = await token({ grant_type: 'client_credentials', client_id: robot.client_id, client_secret: robot.client_secret, audience: 'organize' });
  assert.equal(issued.status, 200);
  await management.clients.delete(robot.client_id);
  await refused(management.clients.get(robot.client_id), 404, 'inexistent_client');
  assert.deepEqual(await all(management.clientGrants.list({ client_id: robot.client_id })), []);
  assert.equal((await token({ grant_type: 'client_credentials', client_id: robot.client_id, client_secret: robot.client_secret, audience: 'organize' })).status, 401);
  assert.equal((await call('GET', '/api/contacts', issued.body.access_token)).status, 200, 'as with Auth0, an issued token is valid until it expires');
  await refused(management.clients.delete(robot.client_id), 404, 'inexistent_client');
});

// ---------------------------------------------------------------- scopes, live
await tally.check('a scope added to Organizer Service with an API declared for it is requested and served at once: /api/samples', async () => {
  const service = await organize();
  const updated = await management.resourceServers.update(service.id, {
    scopes: [...service.scopes, { value: 'read:samples', description: 'Read samples' }, { value: 'delete:samples', description: 'Delete samples' }],
    organizer_apis: [...service.organizer_apis, { name: 'samples', fields: [{ name: 'title', type: 'text', required: true }, { name: 'taken', type: 'datetime' }] }],
  });
  assert.deepEqual(updated.organizer_apis.map((a) => a.name), ['contacts', 'calendar', 'samples']);
  const cliGrant = (await all(management.clientGrants.list({ client_id: 'organizer-cli', audience: 'organize' })))[0];
  await management.clientGrants.update(cliGrant.id, { scope: [...cliGrant.scope, 'read:samples', 'delete:samples'] });
  const issued = await m2m('read:samples delete:samples');
  assert.equal(issued.status, 200, JSON.stringify(issued.body));
  const list = await call('GET', '/api/samples', issued.body.access_token);
  assert.equal(list.status, 200, list.body);
  assert.deepEqual(JSON.parse(list.body), { samples: [] });
  const create = await call('POST', '/api/samples', issued.body.access_token, { title: 'first' });
  assert.equal(create.status, 403);
  assert.match(create.challenge, /error="insufficient_scope".*scope="create:samples"/);
  const health = await (await fetch(`${base}healthz`)).json();
  assert.deepEqual(health.apis, ['contacts', 'calendar', 'samples']);
});

await tally.check('an API declaration is checked: a field type Organizer lacks, or a name the Management API uses, is 400', async () => {
  const service = await organize();
  const badType = await refused(management.resourceServers.update(service.id, { organizer_apis: [{ name: 'notes', fields: [{ name: 'body', type: 'blob' }] }] }), 400, 'invalid_body');
  assert.match(badType.message, /blob/);
  await refused(management.resourceServers.update(service.id, { organizer_apis: [{ name: 'v2', fields: [{ name: 'x' }] }] }), 400, 'invalid_body');
  await refused(management.resourceServers.update(service.id, { organizer_apis: [{ name: 'contacts', fields: [{ name: 'x' }] }] }), 400, 'invalid_body');
});

await tally.check('a scope removed is granted no more at /authorize and /oauth/token, and opens nothing even on a token issued before', async () => {
  const before = await loginScopes('alice@example.com', 'openid read:calendar read:contacts');
  assert.deepEqual(before.scopes.sort(), ['openid', 'read:calendar', 'read:contacts']);
  assert.equal((await call('GET', '/api/appointments', before.accessToken)).status, 200);
  const service = await organize();
  await management.resourceServers.update(service.id, { scopes: service.scopes.filter((s) => s.value !== 'read:calendar') });
  const after = await loginScopes('alice@example.com', 'openid read:calendar read:contacts');
  assert.deepEqual(after.scopes.sort(), ['openid', 'read:contacts']);
  const m2mRefused = await m2m('read:calendar');
  assert.equal(m2mRefused.status, 403);
  assert.equal(m2mRefused.body.error, 'access_denied');
  const old = await call('GET', '/api/appointments', before.accessToken);
  assert.equal(old.status, 403);
  assert.match(old.challenge, /no longer defined/);
  // Put it back: the demo tenant again, for what follows.
  await management.resourceServers.update(service.id, { scopes: service.scopes });
  const cliGrant = (await all(management.clientGrants.list({ client_id: 'organizer-cli', audience: 'organize' })))[0];
  assert.ok(!cliGrant.scope.includes('read:calendar'), 'the grant lost the removed scope');
  await management.clientGrants.update(cliGrant.id, { scope: [...cliGrant.scope, 'read:calendar'] });
  assert.equal((await call('GET', '/api/appointments', (await m2m('read:calendar')).body.access_token)).status, 200);
});

// ---------------------------------------------------------------- users, roles, permissions
await tally.check('users.list and users.get in Auth0\'s shape; an unknown user is 404 inexistent_user', async () => {
  const users = await all(management.users.list());
  assert.deepEqual(users.map((u) => u.user_id), ['auth0|alice', 'auth0|bob', 'auth0|carol', 'auth0|dave']);
  const bob = await management.users.get('auth0|bob');
  assert.equal(bob.email, 'bob@example.com');
  assert.equal(bob.identities[0].provider, 'auth0');
  await refused(management.users.get('auth0|nobody'), 404, 'inexistent_user');
});

await tally.check('users.permissions: assign and remove directly; RBAC follows at the next login', async () => {
  assert.deepEqual(await all(management.users.permissions.list('auth0|dave')), []);
  assert.deepEqual((await loginScopes('dave@example.com', 'openid read:contacts')).scopes, ['openid']);
  await management.users.permissions.create('auth0|dave', { permissions: [{ resource_server_identifier: 'organize', permission_name: 'read:contacts' }] });
  const listed = await all(management.users.permissions.list('auth0|dave'));
  assert.deepEqual(listed.map((p) => [p.permission_name, p.resource_server_identifier, p.sources[0].source_type]), [['read:contacts', 'organize', 'DIRECT']]);
  assert.deepEqual((await loginScopes('dave@example.com', 'openid read:contacts')).scopes, ['openid', 'read:contacts']);
  await management.users.permissions.delete('auth0|dave', { permissions: [{ resource_server_identifier: 'organize', permission_name: 'read:contacts' }] });
  assert.deepEqual(await all(management.users.permissions.list('auth0|dave')), []);
  await refused(management.users.permissions.create('auth0|dave', { permissions: [{ resource_server_identifier: 'organize', permission_name: 'read:everything' }] }), 400, 'invalid_body');
  await refused(management.users.permissions.create('auth0|dave', { permissions: [{ resource_server_identifier: 'nowhere', permission_name: 'read:contacts' }] }), 404, 'inexistent_resource_server');
  await refused(management.users.permissions.list('auth0|nobody'), 404, 'inexistent_user');
});

let editor;
await tally.check('roles: create, get, update, refuse a duplicate name (409) and an unknown id (404)', async () => {
  editor = await management.roles.create({ name: 'Calendar editor', description: 'Reads and changes appointments' });
  assert.match(editor.id, /^rol_/);
  assert.equal((await management.roles.get(editor.id)).description, 'Reads and changes appointments');
  const renamed = await management.roles.update(editor.id, { name: 'Calendar editors' });
  assert.equal(renamed.name, 'Calendar editors');
  await refused(management.roles.create({ name: 'Calendar editors' }), 409, 'role_conflict');
  await refused(management.roles.create({ description: 'no name' }), 400, 'invalid_body');
  await refused(management.roles.get('rol_0000000000000000'), 404, 'inexistent_role');
  assert.deepEqual((await all(management.roles.list())).map((r) => r.name), ['Calendar editors']);
});

await tally.check('roles.permissions and users.roles: a role\'s permissions reach its users (sources ROLE) and leave with it', async () => {
  await management.roles.permissions.add(editor.id, { permissions: [{ resource_server_identifier: 'organize', permission_name: 'read:calendar' },
    { resource_server_identifier: 'organize', permission_name: 'update:calendar' }] });
  assert.deepEqual((await all(management.roles.permissions.list(editor.id))).map((p) => p.permission_name), ['read:calendar', 'update:calendar']);
  await management.users.roles.assign('auth0|dave', { roles: [editor.id] });
  assert.deepEqual((await all(management.users.roles.list('auth0|dave'))).map((r) => r.id), [editor.id]);
  const viaRole = await all(management.users.permissions.list('auth0|dave'));
  assert.deepEqual(viaRole.map((p) => [p.permission_name, p.sources[0].source_type, p.sources[0].source_id]),
    [['read:calendar', 'ROLE', editor.id], ['update:calendar', 'ROLE', editor.id]]);
  const dave = await loginScopes('dave@example.com', 'openid read:calendar update:calendar delete:calendar');
  assert.deepEqual(dave.scopes, ['openid', 'read:calendar', 'update:calendar']);
  assert.equal((await call('GET', '/api/appointments', dave.accessToken)).status, 200);
  await management.roles.permissions.delete(editor.id, { permissions: [{ resource_server_identifier: 'organize', permission_name: 'update:calendar' }] });
  assert.deepEqual((await loginScopes('dave@example.com', 'openid update:calendar')).scopes, ['openid']);
  await refused(management.users.roles.assign('auth0|dave', { roles: ['rol_0000000000000000'] }), 404, 'inexistent_role');
  await management.users.roles.delete('auth0|dave', { roles: [editor.id] });
  assert.deepEqual(await all(management.users.roles.list('auth0|dave')), []);
  await management.users.roles.assign('auth0|dave', { roles: [editor.id] });
});

// ---------------------------------------------------------------- authentication and scopes of the Management API
await tally.check('the Management API wants its own token: none is 401, a forged or an API token is 401 invalid_token, a missing scope is 403', async () => {
  const bare = await fetch(`${base}api/v2/roles`);
  assert.equal(bare.status, 401);
  assert.equal((await bare.json()).message, 'Missing authentication');
  await refused(clientFor({ token: 'not.a.token' }).roles.list(), 401, 'invalid_token');
  await refused(clientFor({ token: (await m2m()).body.access_token }).roles.list(), 401, 'invalid_token');
  const narrow = await token({ grant_type: 'client_credentials', client_id: 'organizer-admin', client_secret: 'organizer-admin-secret', audience: `${base}api/v2/`, scope: 'read:users' });
  assert.equal(narrow.body.scope, 'read:users');
  const reader = clientFor({ token: narrow.body.access_token });
  assert.equal((await all(reader.users.list())).length, 4);
  const body = await refused(reader.roles.create({ name: 'sneaky' }), 403, 'insufficient_scope');
  assert.match(body.message, /create:roles/);
  await refused(reader.users.permissions.create('auth0|bob', { permissions: [{ resource_server_identifier: 'organize', permission_name: 'delete:contacts' }] }), 403, 'insufficient_scope');
});

await tally.check('a user\'s own login never administers the tenant: dave asking for management scopes gets read:current_user, and the SDK reads only him', async () => {
  const asked = 'openid read:users update:users create:client_grants read:current_user';
  for (const response_type of ['token', 'code']) {
    const pkce = { code_verifier: 'v'.repeat(43) };
    const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pkce.code_verifier))).toString('base64url');
    const url = `${base}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: 'http://localhost:3000/callback', response_type,
      scope: asked, audience: `${base}api/v2/`, state: 's', nonce: 'n', ...(response_type === 'code' ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}) })}`;
    const parameters = redirectParameters((await new FormBrowser(base).login(url, 'dave@example.com')).location);
    assert.equal(parameters.get('error'), null, parameters.get('error_description'));
    let granted = { scope: parameters.get('scope'), access_token: parameters.get('access_token') };
    if (response_type === 'code') {
      const redeemed = await token({ grant_type: 'authorization_code', client_id: 'organizer-desktop', code: parameters.get('code'),
        redirect_uri: 'http://localhost:3000/callback', code_verifier: pkce.code_verifier });
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
      granted = redeemed.body;
    }
    assert.equal(granted.scope, 'openid read:current_user', response_type);
    const asDave = clientFor({ token: granted.access_token });
    assert.equal((await asDave.users.get('auth0|dave')).user_id, 'auth0|dave');
    await refused(asDave.users.get('auth0|alice'), 403, 'insufficient_scope');
    await refused(all(asDave.users.list()), 403, 'insufficient_scope');
    await refused(asDave.users.permissions.create('auth0|dave', { permissions: [{ resource_server_identifier: 'organize', permission_name: 'read:calendar' }] }),
      403, 'insufficient_scope');
    await refused(asDave.clientGrants.create({ client_id: 'organizer-cli', audience: 'organize', scope: ['read:contacts'] }), 403, 'insufficient_scope');
  }
  // An ordinary machine-to-machine client has no grant for the Management API.
  const cli = await token({ grant_type: 'client_credentials', client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', audience: `${base}api/v2/` });
  assert.equal(cli.status, 403);
  assert.equal(cli.body.error, 'access_denied');
});

// ---------------------------------------------------------------- users of the database connection
// One login attempt through the hosted pages (a wrong password is tried once, never retried into the throttle).
async function tryLogin(username, password) {
  const browser = new FormBrowser(base);
  let step = await browser.get(`${base}authorize?${new URLSearchParams({ client_id: 'organizer-desktop', redirect_uri: 'http://localhost:3000/callback',
    response_type: 'token', scope: 'openid', audience: 'organize', state: 's', nonce: 'n' })}`);
  while (step.status === 302 && step.location.startsWith('/')) step = await browser.get(step.location);
  step = await browser.post('/login', { transaction: hidden(step.body, 'transaction'), csrf: hidden(step.body, 'csrf'), username, password });
  if (step.status !== 200 && step.status !== 302) return { ok: false, page: step.body };
  for (let hops = 0; hops < 8 && !(step.status === 302 && !step.location.startsWith('/')); hops++) {
    if (step.status === 302) step = await browser.get(step.location);
    else if (step.body.includes('name="decision"')) step = await browser.post('/consent', { transaction: hidden(step.body, 'transaction'), csrf: hidden(step.body, 'csrf'), decision: 'accept' });
    else return { ok: false, page: step.body };
  }
  return { ok: redirectParameters(step.location).get('access_token') !== null };
}
let sdkUser;

await tally.check('users.create: a database user in Auth0\'s shape logs in at once; a taken email is 409, a weak password 400 PasswordStrengthError', async () => {
  sdkUser = await management.users.create({ connection: 'Username-Password-Authentication', email: 'Sdk.User@Example.com', password: 'Sdk-Password-1',
    name: 'Sdk User', user_metadata: { team: 'qa' }, app_metadata: { plan: 'gold' } });
  assert.match(sdkUser.user_id, /^auth0\|[0-9a-f]{24}$/);
  assert.equal(sdkUser.email, 'sdk.user@example.com');
  assert.deepEqual(sdkUser.identities, [{ connection: 'Username-Password-Authentication', provider: 'auth0', user_id: sdkUser.user_id.slice(6), isSocial: false }]);
  assert.deepEqual([sdkUser.user_metadata, sdkUser.app_metadata, sdkUser.blocked, sdkUser.email_verified], [{ team: 'qa' }, { plan: 'gold' }, false, false]);
  assert.equal(typeof sdkUser.created_at, 'string');
  assert.equal(sdkUser.password, undefined);
  assert.equal((await tryLogin('sdk.user@example.com', 'Sdk-Password-1')).ok, true);
  const taken = await refused(management.users.create({ connection: 'Username-Password-Authentication', email: 'SDK.USER@example.com', password: 'Sdk-Password-1' }), 409);
  assert.equal(taken.message, 'The user already exists.');
  const weak = await refused(management.users.create({ connection: 'Username-Password-Authentication', email: 'weak@example.com', password: 'weak' }), 400);
  assert.equal(weak.message, 'PasswordStrengthError: Password is too weak');
});

await tally.check('users.update: a new password works at once and the old fails; blocked refuses the right password at once; metadata merges', async () => {
  const updated = await management.users.update(sdkUser.user_id, { password: 'Sdk-Password-2', user_metadata: { team: null, desk: 7 } });
  assert.deepEqual(updated.user_metadata, { desk: 7 });
  assert.equal((await tryLogin('sdk.user@example.com', 'Sdk-Password-1')).ok, false);
  assert.equal((await tryLogin('sdk.user@example.com', 'Sdk-Password-2')).ok, true);
  assert.equal((await management.users.update(sdkUser.user_id, { blocked: true })).blocked, true);
  const blocked = await tryLogin('sdk.user@example.com', 'Sdk-Password-2');
  assert.equal(blocked.ok, false);
  assert.match(blocked.page, /This account is blocked\./);
  await management.users.update(sdkUser.user_id, { blocked: false });
  assert.equal((await tryLogin('sdk.user@example.com', 'Sdk-Password-2')).ok, true);
  await refused(management.users.update('auth0|nobody', { name: 'x' }), 404, 'inexistent_user');
});

await tally.check('users.list with q (search_engine v3) in Auth0\'s Lucene subset, exact totals; an unsupported query is 400; users.listUsersByEmail', async () => {
  const search = async (q) => (await all(management.users.list({ q, search_engine: 'v3' }))).map((u) => u.email);
  assert.deepEqual(await search('email:"SDK.user@example.com"'), ['sdk.user@example.com']);
  assert.deepEqual(await search('email:alice* OR email:sdk*'), ['alice@example.com', 'sdk.user@example.com']);
  assert.deepEqual(await search('name:"sdk user" AND blocked:false'), ['sdk.user@example.com']);
  assert.deepEqual(await search(`user_id:"${sdkUser.user_id}"`), ['sdk.user@example.com']);
  const page = await management.users.list({ q: 'email:*@example.com', search_engine: 'v3' }).catch((error) => error);
  assert.equal(page.statusCode, 400);
  assert.equal(page.body.errorCode, 'invalid_query_string');
  const bare = await management.users.list({ q: 'email:*', search_engine: 'v3' }).catch((error) => error);
  assert.equal(bare.statusCode, 400);
  const counted = await fetch(`${base}api/v2/users?${new URLSearchParams({ q: 'email:a* OR email:b*', search_engine: 'v3', include_totals: 'true', per_page: '1' })}`,
    { headers: { authorization: `Bearer ${(await token({ grant_type: 'client_credentials', client_id: 'organizer-admin', client_secret: 'organizer-admin-secret', audience: `${base}api/v2/` })).body.access_token}` } });
  const body = await counted.json();
  assert.deepEqual([body.total, body.users.length], [2, 1]);
  const byEmail = await management.users.listUsersByEmail({ email: 'Sdk.User@example.com' });
  assert.deepEqual(byEmail.map((u) => u.user_id), [sdkUser.user_id]);
  assert.deepEqual(await management.users.listUsersByEmail({ email: 'nobody@example.com' }), []);
});

await tally.check('roles.users: assign users to a role, list them by checkpoint (take/from, next) each once; users.delete ends the login at once', async () => {
  const crew = await management.roles.create({ name: 'Crew' });
  const extra = await management.users.create({ connection: 'Username-Password-Authentication', email: 'gone@example.com', password: 'Gone-Password-1' });
  const members = ['auth0|alice', 'auth0|bob', 'auth0|carol', sdkUser.user_id, extra.user_id];
  await management.roles.users.assign(crew.id, { users: members });
  const listed = await all(management.roles.users.list(crew.id, { take: 2 }));
  assert.deepEqual(listed.map((u) => u.user_id), [...members].sort());
  const first = await call('GET', `/api/v2/roles/${crew.id}/users?take=2`, (await token({ grant_type: 'client_credentials', client_id: 'organizer-admin',
    client_secret: 'organizer-admin-secret', audience: `${base}api/v2/` })).body.access_token);
  assert.equal(JSON.parse(first.body).users.length, 2);
  assert.equal(typeof JSON.parse(first.body).next, 'string');
  await refused(management.roles.users.assign(crew.id, { users: ['auth0|nobody'] }), 404, 'inexistent_user');

  assert.equal((await tryLogin('gone@example.com', 'Gone-Password-1')).ok, true);
  await management.users.delete(extra.user_id);
  await refused(management.users.get(extra.user_id), 404, 'inexistent_user');
  assert.equal((await tryLogin('gone@example.com', 'Gone-Password-1')).ok, false);
  assert.deepEqual((await all(management.roles.users.list(crew.id, { take: 2 }))).length, 4);
  await management.roles.delete(crew.id);
});

await tally.check('only a Management grant with the scope manages users: a read:users token is 403 insufficient_scope, an API token 401', async () => {
  const narrow = await token({ grant_type: 'client_credentials', client_id: 'organizer-admin', client_secret: 'organizer-admin-secret', audience: `${base}api/v2/`, scope: 'read:users' });
  const reader = clientFor({ token: narrow.body.access_token });
  await refused(reader.users.create({ connection: 'Username-Password-Authentication', email: 'x@example.com', password: 'Xx-Password-1' }), 403, 'insufficient_scope');
  await refused(reader.users.update(sdkUser.user_id, { blocked: true }), 403, 'insufficient_scope');
  await refused(reader.users.delete(sdkUser.user_id), 403, 'insufficient_scope');
  await refused(all(reader.roles.users.list('rol_0000000000000000')), 403, 'insufficient_scope');
  await refused(clientFor({ token: (await m2m()).body.access_token }).users.create({ connection: 'Username-Password-Authentication', email: 'x@example.com',
    password: 'Xx-Password-1' }), 401, 'invalid_token');
});

await tally.check('identifiers ending in /api/v2/ are reserved for a Management API: creating one is 400 invalid_body', async () => {
  for (const identifier of ['http://127.0.0.1:1/api/v2/', 'https://tenant.example/API/v2'])
    await refused(management.resourceServers.create({ name: 'Squatter', identifier, signing_alg: 'RS256' }), 400, 'invalid_body');
});

// ---------------------------------------------------------------- persistence
await tally.check('every change survives a restart: the declared API, the application, the role and its holder, the grant', async () => {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  server = await startServer(binary, serverArgs, { dataDir });
  base = server.url;
  management = clientFor({ clientId: 'organizer-admin', clientSecret: 'organizer-admin-secret', audience: `${base}api/v2/` });
  assert.deepEqual((await organize()).organizer_apis.map((a) => a.name), ['contacts', 'calendar', 'samples']);
  const spaAfter = await management.clients.get(spa.client_id);
  assert.deepEqual([spaAfter.callbacks, spaAfter.refresh_token.rotation_type], [['https://spa.example/v2/callback'], 'rotating']);
  assert.deepEqual((await all(management.users.roles.list('auth0|dave'))).map((r) => r.name), ['Calendar editors']);
  const samples = await m2m('read:samples');
  assert.equal(samples.status, 200, JSON.stringify(samples.body));
  assert.equal((await call('GET', '/api/samples', samples.body.access_token)).status, 200);
  await management.roles.delete(editor.id);
  await refused(management.roles.get(editor.id), 404, 'inexistent_role');
  assert.deepEqual(await all(management.users.roles.list('auth0|dave')), []);
});

await tally.check('a user created, given a new password and changed by the SDK survives the restart and logs in with that password', async () => {
  const kept = await management.users.get(sdkUser.user_id);
  assert.deepEqual([kept.email, kept.user_metadata, kept.app_metadata, kept.created_at], ['sdk.user@example.com', { desk: 7 }, { plan: 'gold' }, sdkUser.created_at]);
  assert.equal((await tryLogin('sdk.user@example.com', 'Sdk-Password-2')).ok, true);
});

tally.finish();
