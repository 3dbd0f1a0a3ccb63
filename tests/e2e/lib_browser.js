// lib_browser.js - drive Debian's headless Chromium over the Chrome DevTools Protocol (no npm packages)
// SPDX-License-Identifier: MIT
//
// usage: node [--experimental-websocket] lib_browser.js URL [--screenshot FILE]
//
// Starts Chromium (CHROMIUM, default /usr/bin/chromium) with a fresh
// --user-data-dir and --remote-debugging-port=0, loads URL in a new tab
// and prints the page's text (document.body.innerText) on stdout: exit 0.
// If the navigation fails (a certificate error, a refused connection) it
// prints the network error code instead, e.g. net::ERR_CERT_AUTHORITY_INVALID,
// and exits 3. Other failures exit 2. Chromium reads HOME's ~/.pki/nssdb,
// so the caller's HOME decides which NSS database is used.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const url = process.argv[2];
let shot = null;
for (let i = 3; i < process.argv.length; i++) {
  if (process.argv[i] === '--screenshot' && i + 1 < process.argv.length) shot = process.argv[++i];
  else { console.error('lib_browser: unknown argument ' + process.argv[i]); process.exit(2); }
}
if (!url) { console.error('usage: lib_browser.js URL [--screenshot FILE]'); process.exit(2); }
if (typeof WebSocket !== 'function') {
  console.error('lib_browser: no global WebSocket (node >= 20.10 with --experimental-websocket, or >= 22)');
  process.exit(2);
}

const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'localacme-chromium-'));
const flags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--no-default-browser-check', '--disable-dev-shm-usage', '--password-store=basic',
  '--window-size=800,600', '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1',
  '--user-data-dir=' + profile, 'about:blank',
];
const child = spawn(chromium, flags, { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => { if (stderr.length < 65536) stderr += d; });
let exited = false;
child.on('exit', () => { exited = true; });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cleanup() {
  if (!exited) { try { child.kill('SIGKILL'); } catch (e) { /* gone */ } }
  try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
}

// Chromium writes "<port>\n<browser ws path>" here once it listens.
async function devtoolsEndpoint() {
  const f = path.join(profile, 'DevToolsActivePort');
  for (let i = 0; i < 600; i++) {
    if (exited) throw new Error('chromium exited: ' + stderr.split('\n').slice(-5).join(' | '));
    try {
      const [port, wsPath] = fs.readFileSync(f, 'utf8').split('\n');
      if (port && wsPath) return 'ws://127.0.0.1:' + port.trim() + wsPath.trim();
    } catch (e) { /* not yet */ }
    await sleep(100);
  }
  throw new Error('chromium did not open its DevTools port');
}

class Cdp {
  constructor(ws) {
    this.ws = ws; this.id = 0; this.pending = new Map(); this.waiters = [];
    ws.addEventListener('message', (ev) => {
      const m = JSON.parse(ev.data);
      if (m.id !== undefined && this.pending.has(m.id)) {
        const { resolve, reject } = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) reject(new Error(m.error.message)); else resolve(m.result);
      } else if (m.method) {
        this.waiters = this.waiters.filter((w) => {
          if (w.method === m.method && w.session === m.sessionId) { w.resolve(m.params); return false; }
          return true;
        });
      }
    });
  }
  send(method, params = {}, sessionId) {
    const id = ++this.id;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    this.ws.send(JSON.stringify(msg));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }
  once(method, sessionId) {
    return new Promise((resolve) => this.waiters.push({ method, session: sessionId, resolve }));
  }
}

function withTimeout(p, ms, what) {
  return Promise.race([p, sleep(ms).then(() => { throw new Error('timeout: ' + what); })]);
}

async function main() {
  const endpoint = await devtoolsEndpoint();
  const ws = new WebSocket(endpoint);
  await withTimeout(new Promise((res, rej) => {
    ws.addEventListener('open', res); ws.addEventListener('error', () => rej(new Error('websocket error')));
  }), 30000, 'devtools websocket');
  const cdp = new Cdp(ws);
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  await cdp.send('Page.enable', {}, sessionId);
  const loaded = cdp.once('Page.loadEventFired', sessionId);
  const nav = await withTimeout(cdp.send('Page.navigate', { url }, sessionId), 60000, 'navigate');
  let code = 0;
  if (nav.errorText) {
    // A certificate error, refused connection...: the code is the answer.
    process.stdout.write(nav.errorText + '\n');
    code = 3;
  } else {
    await withTimeout(loaded, 60000, 'load event');
    const r = await cdp.send('Runtime.evaluate', {
      expression: 'document.body ? document.body.innerText : ""', returnByValue: true,
    }, sessionId);
    process.stdout.write(String(r.result.value) + '\n');
    if (shot) {
      const { data } = await cdp.send('Page.captureScreenshot', { format: 'png' }, sessionId);
      fs.mkdirSync(path.dirname(path.resolve(shot)), { recursive: true });
      fs.writeFileSync(shot, Buffer.from(data, 'base64'));
    }
  }
  try { await withTimeout(cdp.send('Browser.close'), 10000, 'close'); } catch (e) { /* killed below */ }
  for (let i = 0; i < 100 && !exited; i++) await sleep(100);
  ws.close();
  return code;
}

main().then((code) => { cleanup(); process.exit(code); }, (err) => {
  console.error('lib_browser: ' + err.message);
  cleanup();
  process.exit(2);
});
