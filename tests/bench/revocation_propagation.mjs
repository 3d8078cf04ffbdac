// How long a token revoked on one instance is still accepted by another on the same PostgreSQL: run by
// scripts/bench against two running instances. Each try takes a fresh access token from A (client
// credentials), checks that B accepts it, revokes it on A (POST /oauth/revoke, which puts it on the shared
// list and announces it), then asks B's API again and again until it answers 401; the time from A's answer
// to B's first 401 is the try's figure. Then as many records created on A, each timed from A's answer to
// B's first list that shows it. Prints "tries N" and "revocation|record propagation median|max MS".
// No npm packages: Node's own fetch (undici keeps the connections to B open).
//
// Usage: node revocation_propagation.mjs URL_A URL_B PUBLIC_URL [TRIES, default 100]
const [urlA, urlB, publicUrl, triesArgument] = process.argv.slice(2);
if (!urlA || !urlB || !publicUrl) {
  console.error('usage: node revocation_propagation.mjs URL_A URL_B PUBLIC_URL [TRIES]');
  process.exit(2);
}
const tries = Number(triesArgument ?? 100);
const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function token(base, client, secret, parameters) {
  const answer = await fetch(new URL('oauth/token', base), { method: 'POST', headers: { ...form, authorization: basic(client, secret) },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...parameters }) });
  if (answer.status !== 200) throw new Error(`no token from ${base} for ${client}: ${answer.status} ${await answer.text()}`);
  return (await answer.json()).access_token;
}

// A token carries no unique id (Auth0's profile has no jti), so the same client and scope within one second
// give the same bytes, revoked already. The demo client may ask for two scopes only; the Management API
// grants it every scope of the API first, so each try asks for its own subset (with read:contacts, for B's list).
const admin = await token(urlA, 'organizer-admin', 'organizer-admin-secret', { audience: `${publicUrl}api/v2/` });
const management = (path, init = {}) => fetch(new URL(`api/v2/${path}`, urlA),
  { ...init, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' } }).then(async (answer) => {
  if (!answer.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${answer.status} ${await answer.text()}`);
  return answer.json();
});
const organize = (await management('resource-servers')).find((server) => server.identifier === 'organize');
const allScopes = organize.scopes.map((scope) => scope.value);
const grant = (await management('client-grants')).find((g) => g.client_id === 'organizer-cli' && g.audience === 'organize');
await management(`client-grants/${grant.id}`, { method: 'PATCH', body: JSON.stringify({ scope: allScopes }) });
const others = allScopes.filter((scope) => scope !== 'read:contacts');
// The last subset (every scope) is kept for the writer below: never revoked.
if (2 ** others.length - 1 < tries) throw new Error(`only ${2 ** others.length - 1} distinct scope sets for ${tries} tries`);
const scopeSet = (i) => ['read:contacts', ...others.filter((_, bit) => i & (1 << bit))].join(' ');

const callB = (accessToken) => fetch(new URL('api/contacts', urlB), { headers: { authorization: `Bearer ${accessToken}` } }).then(async (answer) => {
  await answer.arrayBuffer();
  return answer.status;
});
const latencies = [];
for (let i = 0; i < tries; i++) {
  const accessToken = await token(urlA, 'organizer-cli', 'organizer-cli-secret', { audience: 'organize', scope: scopeSet(i) });
  const before = await callB(accessToken);
  if (before !== 200) throw new Error(`B refused a fresh token (${before}) on try ${i}`);
  const revoked = await fetch(new URL('oauth/revoke', urlA), { method: 'POST', headers: { ...form, authorization: basic('organizer-cli', 'organizer-cli-secret') },
    body: new URLSearchParams({ token: accessToken, token_type_hint: 'access_token' }) });
  if (revoked.status !== 200) throw new Error(`A did not revoke: ${revoked.status} ${await revoked.text()}`);
  const started = performance.now();
  let status = 200;
  while (status === 200 && performance.now() - started < 5000) status = await callB(accessToken);
  if (status !== 401) throw new Error(`B still answered ${status} 5 s after the revocation on A`);
  latencies.push(performance.now() - started);
}

// The same for records: a contact created on A, and B's cached list until it shows it (B learns of the
// write from A's announcement; until then it serves the list it cached).
const writer = await token(urlA, 'organizer-cli', 'organizer-cli-secret', { audience: 'organize', scope: scopeSet(2 ** others.length - 1) });
const listB = () => fetch(new URL('api/contacts', urlB), { headers: { authorization: `Bearer ${writer}` } }).then((answer) => answer.json());
const recordLatencies = [];
for (let i = 0; i < tries; i++) {
  await listB(); // cached on the B worker this connection reaches
  const created = await fetch(new URL('api/contacts', urlA), { method: 'POST', headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `Propagation ${i}`, email: `propagation${i}@example.org` }) });
  if (created.status !== 201) throw new Error(`A did not create: ${created.status} ${await created.text()}`);
  const { id } = await created.json();
  const started = performance.now();
  while (!(await listB()).contacts.some((contact) => contact.id === id)) {
    if (performance.now() - started > 5000) throw new Error('B did not list a record created on A within 5 s');
  }
  recordLatencies.push(performance.now() - started);
}

const report = (what, values) => {
  values.sort((x, y) => x - y);
  const middle = values.length % 2 ? values[(values.length - 1) / 2] : (values[values.length / 2 - 1] + values[values.length / 2]) / 2;
  console.log(`${what} median ${middle.toFixed(2)}`);
  console.log(`${what} max ${values.at(-1).toFixed(2)}`);
};
console.log(`tries ${latencies.length}`);
report('revocation propagation', latencies);
report('record propagation', recordLatencies);
