// lib_browser.js - drive Debian's headless Chromium over the Chrome DevTools Protocol (no npm packages)
// SPDX-License-Identifier: MIT
//
// usage: node lib_browser.js URL [--screenshot FILE] [--eval EXPR] [--size WxH]
//
// Starts Chromium (CHROMIUM, default /usr/bin/chromium) with a fresh
// --user-data-dir and --remote-debugging-pipe (CDP as NUL-terminated JSON
// on the child's fds 3 and 4: no WebSocket, so any Node version works,
// Debian 12's Node 18 included), loads URL in a new tab
// and prints the page's text (document.body.innerText) on stdout: exit 0.
// If the navigation fails (a certificate error, a refused connection) it
// prints the network error code instead, e.g. net::ERR_CERT_AUTHORITY_INVALID,
// and exits 3. Other failures exit 2. With --eval it prints the JSON of
// EXPR's value (evaluated in the page) instead of the text (DOM checks). Chromium reads HOME's ~/.pki/nssdb,
// so the caller's HOME decides which NSS database is used.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const url = process.argv[2];
let shot = null;
let evalExpr = null;
let size = '800,600';
for (let i = 3; i < process.argv.length; i++) {
  if (process.argv[i] === '--screenshot' && i + 1 < process.argv.length) shot = process.argv[++i];
  else if (process.argv[i] === '--eval' && i + 1 < process.argv.length) evalExpr = process.argv[++i];
  else if (process.argv[i] === '--size' && i + 1 < process.argv.length) size = process.argv[++i].replace('x', ',');
  else { console.error('lib_browser: unknown argument ' + process.argv[i]); process.exit(2); }
}
if (!url) { console.error('usage: lib_browser.js URL [--screenshot FILE]'); process.exit(2); }

const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'localacme-chromium-'));
const flags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--no-default-browser-check', '--disable-dev-shm-usage', '--password-store=basic',
  '--window-size=' + size, '--remote-debugging-pipe',
  '--user-data-dir=' + profile, 'about:blank',
];
// fd 3: our commands to Chromium; fd 4: its answers and events.
const child = spawn(chromium, flags, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
child.stderr.on('data', (d) => { if (stderr.length < 65536) stderr += d; });
let exited = false;
child.on('exit', () => { exited = true; });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cleanup() {
  if (!exited) { try { child.kill('SIGKILL'); } catch (e) { /* gone */ } }
  try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
}

class Cdp {
  constructor(out, inp) {
    this.out = out; this.id = 0; this.pending = new Map(); this.waiters = []; this.buf = '';
    inp.setEncoding('utf8');
    inp.on('data', (chunk) => {
      this.buf += chunk;
      let z;
      while ((z = this.buf.indexOf('\0')) >= 0) {
        const text = this.buf.slice(0, z);
        this.buf = this.buf.slice(z + 1);
        this.dispatch(JSON.parse(text));
      }
    });
  }
  dispatch(m) {
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
  }
  send(method, params = {}, sessionId) {
    const id = ++this.id;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    this.out.write(JSON.stringify(msg) + '\0');
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
  const cdp = new Cdp(child.stdio[3], child.stdio[4]);
  const exitedEarly = new Promise((res, rej) => child.on('exit', () =>
    rej(new Error('chromium exited: ' + stderr.split('\n').slice(-5).join(' | ')))));
  const { targetId } = await withTimeout(Promise.race([
    cdp.send('Target.createTarget', { url: 'about:blank' }), exitedEarly]), 60000, 'chromium start');
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
      expression: evalExpr !== null ? 'JSON.stringify(' + evalExpr + ')' :
        'document.body ? document.body.innerText : ""', returnByValue: true,
    }, sessionId);
    if (r.exceptionDetails) throw new Error('eval: ' + JSON.stringify(r.exceptionDetails));
    process.stdout.write(String(r.result.value) + '\n');
    if (shot) {
      const { data } = await cdp.send('Page.captureScreenshot', { format: 'png' }, sessionId);
      fs.mkdirSync(path.dirname(path.resolve(shot)), { recursive: true });
      fs.writeFileSync(shot, Buffer.from(data, 'base64'));
    }
  }
  try { await withTimeout(cdp.send('Browser.close'), 10000, 'close'); } catch (e) { /* killed below */ }
  for (let i = 0; i < 100 && !exited; i++) await sleep(100);
  return code;
}

main().then((code) => { cleanup(); process.exit(code); }, (err) => {
  console.error('lib_browser: ' + err.message);
  cleanup();
  process.exit(2);
});
