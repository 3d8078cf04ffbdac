// Shared by the interoperability tests: start organizer-server on a free port, a cookie-keeping
// fetch that does not follow redirects (so each hop can be inspected), and a TAP-style tally whose
// last line is "N passed, N failed".
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cleanups = [];
export function onExit(cleanup) { cleanups.push(cleanup); }
export function cleanUp() { while (cleanups.length) { try { cleanups.pop()(); } catch { /* best effort */ } } }

export function startServer(binary, args = [], { dataDir } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'organizer-interop-'));
  const child = spawn(binary, ['--port', '0', '--data-dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  onExit(() => { child.kill('SIGTERM'); if (!dataDir) rmSync(dir, { recursive: true, force: true }); });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no readiness line; log: ${log}`)), 20000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (\S+)/);
      if (match) { clearTimeout(timer); resolve({ url: match[1], dataDir: dir, child, log: () => log }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`organizer-server exited with ${code}: ${log}`)); });
  });
}

// A port nobody listens on now (the kernel's pick), for a server that must keep its port across restarts.
export function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

// A new key-encryption key file (organizer-server secrets init): every instance on one PostgreSQL database
// is given the same one, as the signing keys in the database are sealed under it.
export function makeSecretsFile(binary, path) {
  execFileSync(binary, ['secrets', 'init', '--secrets-file', path], { stdio: ['ignore', 'ignore', 'inherit'] });
  return path;
}

// The options that name a cluster's database and key, for `organizer-server token` and `keys rotate` too.
export function storageArgs({ dataDir, databaseUrl, passwordFile, secretsFile }) {
  return ['--data-dir', dataDir, '--database', databaseUrl, '--database-password-file', passwordFile, '--secrets-file', secretsFile];
}

// One instance of a cluster: a data directory of its own, the shared PostgreSQL database (which holds
// the signing keys) and secrets file, the balancer's public URL, `port` 0 for any. Resolves with
// { name, url, port, child, log } once it announces readiness.
export function startInstance(binary, { name, port = 0, dataDir, databaseUrl, passwordFile, secretsFile, publicUrl, args = [] }) {
  const child = spawn(binary, ['--port', String(port), ...storageArgs({ dataDir, databaseUrl, passwordFile, secretsFile }),
    '--public-url', publicUrl, '--access-log', 'off', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  onExit(() => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name}: no readiness line; log: ${log}`)), 30000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (\S+)/);
      if (match) { clearTimeout(timer); resolve({ name, url: match[1], port: Number(new URL(match[1]).port), child, log: () => log }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}: ${log}`)); });
  });
}

// A minimal browser: keeps cookies per origin, never follows redirects.
export class FormBrowser {
  constructor(base) { this.base = base; this.cookies = new Map(); }
  async get(url, options = {}) {
    const headers = { ...(options.headers ?? {}) };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(new URL(url, this.base), { ...options, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      if (at > 0) this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return { status: response.status, headers: response.headers, location: response.headers.get('location'), body: await response.text() };
  }
  post(url, fields) {
    return this.get(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }
  // From an /authorize URL through the hosted login and consent pages to the redirect back to the client.
  async login(authorizeUrl, username, password = 'organizer', decision = 'accept') {
    let step = await this.get(authorizeUrl);
    for (let hops = 0; hops < 8; hops++) {
      if (step.status === 302 && step.location && !step.location.startsWith('/')) return step;
      if (step.status === 302) { step = await this.get(step.location); continue; }
      const transaction = hidden(step.body, 'transaction');
      const csrf = hidden(step.body, 'csrf');
      if (step.body.includes('name="password"')) step = await this.post('/login', { transaction, csrf, username, password });
      else if (step.body.includes('name="decision"')) step = await this.post('/consent', { transaction, csrf, decision });
      else throw new Error(`unexpected page ${step.status}: ${step.body.slice(0, 300)}`);
    }
    throw new Error('too many hops');
  }
}

export function hidden(html, name) {
  const match = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!match) throw new Error(`no hidden field ${name} in: ${html.slice(0, 300)}`);
  return match[1].replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');
}

// The redirect's parameters, read the way a browser reads a form-encoded string.
export function redirectParameters(location) {
  const url = new URL(location);
  return new URLSearchParams(url.hash ? url.hash.slice(1) : url.search.slice(1));
}

export class Tally {
  constructor() { this.passed = 0; this.failed = 0; }
  async check(name, body) {
    try {
      await body();
      this.passed++;
      console.log(`ok - ${name}`);
    } catch (error) {
      this.failed++;
      console.log(`not ok - ${name}\n  ${String(error?.stack ?? error).replaceAll('\n', '\n  ')}`);
    }
  }
  finish() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    cleanUp();
    process.exit(this.failed === 0 && this.passed > 0 ? 0 : 1);
  }
}
