// An independent OpenID provider for the interop tests: panva/oidc-provider (OpenID Certified),
// configured like an Auth0 tenant for this mission — API "organize" with RS256 JWT access tokens and
// the eight scopes, the demo tenant's users with their permissions (RBAC: a token holds requested ∩
// permitted scopes), Universal-Login-style identifier-first pages at /u/login, a public client for
// the desktop app (implicit and code + PKCE) and a confidential client for client credentials.
// Nobody here wrote the protocol side; the pages below are deliberately not Organizer's own, so the
// app's login automation has to recognise them the generic way.
//
// Usage: node provider.mjs [tenant.json]   prints "listening on http://127.0.0.1:PORT" and serves
// until killed. Also importable: startProvider({ tenantFile }) -> { issuer, close }.
import { createServer } from 'node:http';
import { pbkdf2Sync, timingSafeEqual, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const here = dirname(fileURLToPath(import.meta.url));
export const RESOURCE = 'urn:organizer:organize'; // the RFC 8707 indicator; tokens carry aud "organize"

function verifyPassword(password, encoded) {
  const [scheme, iterations, salt, hash] = String(encoded).split('$');
  if (scheme !== 'pbkdf2-sha256') return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = pbkdf2Sync(password, Buffer.from(salt, 'base64url'), Number(iterations), expected.length, 'sha256');
  return timingSafeEqual(actual, expected);
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} | Test Tenant</title>
<style>body{font-family:sans-serif;max-width:26rem;margin:3rem auto}label,input,button{display:block;width:100%;margin:.4rem 0;padding:.5rem}</style>
</head><body><main class="ulp-box"><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`);
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

export async function startProvider({ tenantFile = join(here, '..', '..', 'resources', 'tenant.json'), port = 0 } = {}) {
  const tenant = JSON.parse(readFileSync(tenantFile, 'utf8'));
  const api = tenant.apis.find((candidate) => candidate.identifier === 'organize');
  const apiScopes = api.scopes.map((scope) => scope.value);
  const users = new Map(tenant.users.map((user) => [user.email.toLowerCase(), user]));
  const bySubject = new Map(tenant.users.map((user) => [`auth0|${user.user_id}`, user]));
  const m2m = tenant.clients.find((client) => client.client_id === 'organizer-cli');
  const m2mScopes = m2m.client_grants.find((grant) => grant.audience === 'organize').scopes;

  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: `test-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' };

  const server = createServer();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'organizer-desktop', application_type: 'native', token_endpoint_auth_method: 'none',
        grant_types: ['implicit', 'authorization_code', 'refresh_token'], response_types: ['id_token token', 'code'],
        redirect_uris: ['http://localhost:3000/callback'] },
      { client_id: 'organizer-cli', client_secret: 'organizer-cli-secret', grant_types: ['client_credentials'],
        response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' },
    ],
    jwks: { keys: [signingKey] },
    responseTypes: ['code', 'id_token token', 'id_token'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: { openid: ['sub'], profile: ['name', 'nickname'], email: ['email', 'email_verified'] },
    extraParams: ['audience'], // Auth0's parameter; the API is chosen by resource (or the default)
    pkce: { methods: ['S256'], required: () => true },
    cookies: { keys: ['organizer-interop-provider-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, indicator, client) => {
          if (indicator !== RESOURCE) throw new Provider.errors.InvalidTarget(`unknown resource ${indicator}`);
          return {
            audience: 'organize',
            scope: (client?.clientId === 'organizer-cli' ? m2mScopes : apiScopes).join(' '),
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    findAccount: (ctx, id) => {
      const user = bySubject.get(id);
      if (!user) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, name: user.name, nickname: user.email.split('@')[0], email: user.email, email_verified: true }),
      };
    },
    // Like Auth0: /authorize sends the browser to /u/…, which shows /u/login or /u/consent. The
    // interaction cookie is scoped to this path, so every page below it sees it.
    interactions: { url: (ctx, interaction) => `/u/?state=${interaction.uid}` },
    ttl: { AccessToken: 3600, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, RefreshToken: 86400 },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Error</title><h1>${escapeHtml(out.error)}</h1><p role="alert">${escapeHtml(out.error_description ?? '')}</p>`;
    },
  });

  const loginIds = new Map(); // interaction uid -> the identifier typed on the first page

  async function interaction(req, res, url) {
    const details = await provider.interactionDetails(req, res);
    const uid = details.uid;
    const action = (path) => `${path}?state=${encodeURIComponent(uid)}`;
    if (url.pathname === '/u/') {
      res.writeHead(302, { location: action(details.prompt.name === 'consent' ? '/u/consent' : '/u/login') });
      return res.end();
    }
    if (url.pathname === '/u/login' && req.method === 'GET') {
      return page(res, 200, 'Welcome', `<p>Log in to continue to Organizer Desktop.</p>
<form method="post" action="${action('/u/login')}"><label for="username">Email address</label>
<input id="username" name="username" type="text" inputmode="email" autocomplete="email" autofocus required>
<button type="submit" name="action" value="default">Continue</button></form>`);
    }
    if (url.pathname === '/u/login' && req.method === 'POST') {
      loginIds.set(uid, (await readForm(req)).get('username') ?? '');
      res.writeHead(302, { location: action('/u/login/password') });
      return res.end();
    }
    if (url.pathname === '/u/login/password') {
      const login = loginIds.get(uid) ?? '';
      const passwordPage = (status, error) => page(res, status, 'Enter your password', `<p>${escapeHtml(login)}</p>
${error ? `<div class="ulp-input-error-message" role="alert">${escapeHtml(error)}</div>` : ''}
<form method="post" action="${action('/u/login/password')}"><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" name="action" value="default">Continue</button></form>`);
      if (req.method === 'GET') return passwordPage(200);
      const password = (await readForm(req)).get('password') ?? '';
      const user = users.get(login.toLowerCase());
      if (!user || !verifyPassword(password, user.password_hash)) return passwordPage(400, 'Wrong email or password');
      loginIds.delete(uid);
      return provider.interactionFinished(req, res, { login: { accountId: `auth0|${user.user_id}` } }, { mergeWithLastSubmission: false });
    }
    if (url.pathname === '/u/consent' && req.method === 'GET') {
      const missing = details.prompt.details.missingResourceScopes?.[RESOURCE] ?? [];
      return page(res, 200, 'Authorize App', `<p>Organizer Desktop is requesting access to your account:</p>
<ul>${missing.map((scope) => `<li>${escapeHtml(scope)}</li>`).join('')}</ul>
<form method="post" action="${action('/u/consent')}">
<button type="submit" name="action" value="deny">Decline</button>
<button type="submit" name="action" value="accept">Accept</button></form>`);
    }
    if (url.pathname === '/u/consent' && req.method === 'POST') {
      if ((await readForm(req)).get('action') !== 'accept')
        return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'User did not authorize the request' }, { mergeWithLastSubmission: false });
      const { accountId } = details.session;
      const user = bySubject.get(accountId);
      const permitted = new Set(user.permissions?.organize ?? []);
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: details.params.client_id });
      const missingOidc = details.prompt.details.missingOIDCScope ?? [];
      if (missingOidc.length) grant.addOIDCScope(missingOidc.join(' '));
      // RBAC as Auth0 does it: requested ∩ the user's permissions; the rest is refused, not asked again.
      const requested = details.prompt.details.missingResourceScopes?.[RESOURCE] ?? [];
      const allowed = requested.filter((scope) => permitted.has(scope));
      const refused = requested.filter((scope) => !permitted.has(scope));
      if (allowed.length) grant.addResourceScope(RESOURCE, allowed.join(' '));
      if (refused.length) grant.rejectResourceScope(RESOURCE, refused.join(' '));
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('not found');
  }

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    try {
      if (url.pathname.startsWith('/u/')) return await interaction(req, res, url);
      return callback(req, res);
    } catch (error) {
      page(res, 400, 'Something went wrong', `<p role="alert">${escapeHtml(error.message)}</p>`);
    }
  });
  return { issuer, provider, close: () => new Promise((resolve) => server.close(resolve)) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { issuer } = await startProvider({ tenantFile: process.argv[2] });
  console.log(`listening on ${issuer}`);
}
