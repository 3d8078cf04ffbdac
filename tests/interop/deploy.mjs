// Auth0's Deploy CLI (auth0-deploy-cli, `a0deploy`, pinned in package-lock.json), unchanged, against
// organizer-server as a team configuring its tenant as code would run it (issue 24): `export` to
// tenant.yaml with AUTH0_INCLUDED_ONLY, edit (a scope, a client grant, a role with a permission, an
// application's callbacks), `import`; the Management API then shows exactly the edit and nothing else
// changed, and a second import changes nothing (the same answers, the same tenant revision).
// The Deploy CLI speaks only https://, so the server runs with --tls and its local CA is trusted the
// documented way, NODE_EXTRA_CA_CERTS (in this process and the a0deploy children). No proxy, no patch.
// The YAML is read and written with js-yaml, the Deploy CLI's own YAML library from the same lock file.
// Usage: node deploy.mjs /path/to/organizer-server
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { Tally, onExit, startServer } from './lib.mjs';

const binary = process.argv[2];
assert.ok(binary, 'usage: node deploy.mjs /path/to/organizer-server');
if (!process.env.ORGANIZER_DEPLOY_DATA_DIR) {
  const dataDir = mkdtempSync(join(tmpdir(), 'organizer-deploy-'));
  const caFile = execFileSync(binary, ['ca', '--path', '--data-dir', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), binary], { stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile, ORGANIZER_DEPLOY_DATA_DIR: dataDir } });
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(run.status ?? 1);
}
const tally = new Tally();
const dataDir = process.env.ORGANIZER_DEPLOY_DATA_DIR;
const work = mkdtempSync(join(tmpdir(), 'organizer-a0deploy-'));
onExit(() => rmSync(work, { recursive: true, force: true }));

const server = await startServer(binary, ['--tls', '--access-log', 'off'], { dataDir });
const base = server.url;
assert.match(base, /^https:\/\/localhost:\d+\/$/);
const a0deploy = join(dirname(fileURLToPath(import.meta.url)), 'node_modules', 'auth0-deploy-cli', 'lib', 'index.js');
const deployEnv = {
  ...process.env,
  AUTH0_DOMAIN: new URL(base).host,
  AUTH0_CLIENT_ID: 'organizer-admin',
  AUTH0_CLIENT_SECRET: 'organizer-admin-secret',
  AUTH0_INCLUDED_ONLY: JSON.stringify(['resourceServers', 'clients', 'clientGrants', 'roles']),
  AUTH0_ALLOW_DELETE: 'false',
};
// Run without blocking this process's event loop, so its own connections to the server stay in order.
function runDeploy(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [a0deploy, ...args], { env: deployEnv, encoding: 'utf8', timeout: 120000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`a0deploy ${args[0]} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
      else resolve(`${stdout}\n${stderr}`);
    });
  });
}

// What the Management API answers, as the comparison's ground truth (plain fetch, the CA trusted by Node).
const adminToken = async () => {
  const answer = await fetch(`${base}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'organizer-admin', client_secret: 'organizer-admin-secret', audience: `${base}api/v2/` }) });
  assert.equal(answer.status, 200);
  return (await answer.json()).access_token;
};
const token = await adminToken();
const get = async (path) => {
  const answer = await fetch(`${base}api/v2/${path}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(answer.status, 200, `GET ${path}: ${answer.status}`);
  return answer.json();
};
async function tenantState() {
  const roles = await get('roles?per_page=100');
  const permissions = {};
  for (const role of roles) permissions[role.name] = (await get(`roles/${encodeURIComponent(role.id)}/permissions?per_page=100`))
    .map((p) => `${p.resource_server_identifier} ${p.permission_name}`).sort();
  return { resourceServers: await get('resource-servers?per_page=100'), clients: await get('clients?per_page=100'),
    clientGrants: await get('client-grants?per_page=100'), roles, permissions };
}
// The tenant's revision as the store has it (`tenant export` says it on standard error).
function tenantRevision() {
  const run = spawnSync(binary, ['tenant', 'export', '--data-dir', dataDir], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stderr.match(/exported the tenant \(revision (\d+)\)/)[1]);
}
const byKey = (list, key) => Object.fromEntries(list.map((item) => [item[key], item]));
// Every path at which `actual` and `expected` differ ("clients.organizer-cli.jwt_configuration.secret_encoded: …"),
// so that a failure names what changed rather than printing two tenants.
function differences(actual, expected, path = '') {
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null)
    return Object.is(actual, expected) ? [] : [`${path}: ${JSON.stringify(actual)} where ${JSON.stringify(expected)} was expected`];
  if (Array.isArray(actual) !== Array.isArray(expected)) return [`${path}: ${JSON.stringify(actual)} where ${JSON.stringify(expected)} was expected`];
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
  return [...keys].flatMap((key) => (key in actual ? (key in expected ? differences(actual[key], expected[key], path ? `${path}.${key}` : key)
    : [`${path ? `${path}.` : ''}${key}: ${JSON.stringify(actual[key])} appeared`]) : [`${path ? `${path}.` : ''}${key}: gone (was ${JSON.stringify(expected[key])})`]));
}
const comparable = (state) => ({ resourceServers: byKey(state.resourceServers, 'identifier'), clients: byKey(state.clients, 'client_id'),
  clientGrants: byKey(state.clientGrants, 'id'), roles: byKey(state.roles, 'name'), permissions: state.permissions });
function assertSameTenant(actual, expected) {
  const found = differences(comparable(actual), comparable(expected));
  assert.equal(found.length, 0, `the tenant differs:\n  ${found.join('\n  ')}`);
}
// The tenant as the server stores it, in organizer-server's own export.
const storedExport = () => execFileSync(binary, ['tenant', 'export', '--data-dir', dataDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

const before = await tenantState();
const revisionBefore = tenantRevision();
const exportDir = join(work, 'export');
let exported;

await tally.check('a0deploy export: tenant.yaml with the four resources, no system API, no client secret; organizer-server tenant import reads it', async () => {
  await runDeploy(['export', '--format', 'yaml', '--output_folder', exportDir]);
  exported = yaml.load(readFileSync(join(exportDir, 'tenant.yaml'), 'utf8'));
  for (const key of ['resourceServers', 'clients', 'clientGrants', 'roles']) assert.ok(Array.isArray(exported[key]), key);
  assert.deepEqual(Object.keys(exported).sort(), ['clientGrants', 'clients', 'resourceServers', 'roles']);
  for (const api of exported.resourceServers) {
    assert.notEqual(api.name, 'Auth0 Management API');
    assert.notEqual(api.is_system, true, api.name);
    assert.ok(!api.identifier.endsWith('/api/v2/'), api.identifier);
  }
  assert.ok(exported.resourceServers.some((api) => api.identifier === 'organize'));
  assert.ok(exported.clients.some((client) => client.name === 'Organizer Desktop'));
  for (const client of exported.clients) assert.equal(client.client_secret, undefined, client.name);
  // organizer-server's own import reads it: the same tenant, nothing to change on a fresh data directory.
  const fresh = mkdtempSync(join(tmpdir(), 'organizer-deploy-fresh-'));
  onExit(() => rmSync(fresh, { recursive: true, force: true }));
  const run = spawnSync(binary, ['tenant', 'import', join(exportDir, 'tenant.yaml'), '--data-dir', fresh], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /nothing changed \(revision 0\)/);
});

// The Deploy CLI's directory format read by organizer-server's own import: an export of the demo tenant,
// imported into a fresh data directory on the same tenant file, is that tenant already.
await tally.check('a0deploy export --format directory, imported by organizer-server tenant import into a fresh data dir: nothing to change', async () => {
  const directory = join(work, 'directory');
  await runDeploy(['export', '--format', 'directory', '--output_folder', directory]);
  const fresh = mkdtempSync(join(tmpdir(), 'organizer-deploy-fresh-'));
  onExit(() => rmSync(fresh, { recursive: true, force: true }));
  const run = spawnSync(binary, ['tenant', 'import', directory, '--data-dir', fresh], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /nothing changed \(revision 0\)/);
});

const edit = (document) => {
  const organize = document.resourceServers.find((api) => api.identifier === 'organize');
  organize.scopes.push({ value: 'read:notes', description: 'Read notes' });
  const grant = document.clientGrants.find((g) => g.client_id === 'Organizer CLI (machine to machine)' && g.audience === 'organize');
  grant.scope.push('read:notes');
  document.roles.push({ name: 'Note readers', description: 'Read notes', permissions: [{ permission_name: 'read:notes', resource_server_identifier: 'organize' }] });
  const desktop = document.clients.find((client) => client.name === 'Organizer Desktop');
  desktop.callbacks.push('https://app.example.com/callback');
};

let afterImport;
await tally.check('a0deploy import of the edit: the tenant shows exactly the edit, nothing else changed', async () => {
  assert.ok(exported, 'the export failed');
  edit(exported);
  writeFileSync(join(exportDir, 'tenant.yaml'), yaml.dump(exported));
  await runDeploy(['import', '--input_file', join(exportDir, 'tenant.yaml')]);
  afterImport = await tenantState();

  const expected = structuredClone(before);
  const organize = expected.resourceServers.find((api) => api.identifier === 'organize');
  organize.scopes.push({ value: 'read:notes', description: 'Read notes' });
  const cli = expected.clients.find((client) => client.name === 'Organizer CLI (machine to machine)');
  expected.clientGrants.find((g) => g.client_id === cli.client_id && g.audience === 'organize').scope.push('read:notes');
  expected.clients.find((client) => client.name === 'Organizer Desktop').callbacks.push('https://app.example.com/callback');
  const role = afterImport.roles.find((r) => r.name === 'Note readers');
  assert.ok(role, 'the role was created');
  expected.roles.push({ id: role.id, name: 'Note readers', description: 'Read notes' });
  expected.permissions['Note readers'] = ['organize read:notes'];

  assertSameTenant(afterImport, expected);
  assert.ok(tenantRevision() > revisionBefore, 'the import was stored');
});

// The Deploy CLI PATCHes every entry it matches and sets a role's permissions by taking them all and
// giving them again, so the tenant's revision moves as it would with Auth0 (which has none to show);
// what must not move is the tenant: the Management API's answers and the stored tenant alike.
await tally.check('a0deploy import again: nothing changes (the same Management API answers, the same stored tenant)', async () => {
  assert.ok(afterImport, 'the first import failed');
  const stored = storedExport();
  const revision = tenantRevision();
  await runDeploy(['import', '--input_file', join(exportDir, 'tenant.yaml')]);
  assertSameTenant(await tenantState(), afterImport);
  assert.equal(storedExport(), stored);
  console.log(`# the second import moved the tenant's revision from ${revision} to ${tenantRevision()} (the Deploy CLI's PATCH of every entry)`);
});

if (tally.failed) console.log(`server log (tail):\n${server.log().split("\n").slice(-25).join("\n")}`);
tally.finish();
