#!/usr/bin/env python3
# load.py - load and slow-client measurements for tests/bench/load.sh (HARDENING X24, X26, X27)
# SPDX-License-Identifier: MIT
#
#   load.py connections DIR_URL ROOT PID --conns N --issues M --secs S
#       X24: N keep-alive TLS connections (spread over 127.0.1.x source
#       addresses, 30 each, under the per-address cap) cycling GET
#       directory, HEAD newNonce and POST-as-GET of an account, while M
#       full issuances run from 127.0.0.2. Samples the server's memory.
#   load.py probe DIR_URL ROOT PID --issues M --secs S --source IP
#       During an attack: M issuances from IP (each must succeed) and
#       newNonce latency (keep-alive and new-connection probes).
# Prints one JSON object: latency percentiles per endpoint (ms), status
# counts, issuances ok/failed, peak RSS (VmHWM, kB), fds. Correctness
# (exit 1): a failed honest issuance, or a 5xx other than 503.
import argparse
import asyncio
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from acme_client import Client, jws  # noqa: E402


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return round(v[min(len(v) - 1, int(len(v) * p / 100))] * 1000, 2)


def summary(lat):
    return {k: {"n": len(v), "p50": pct(v, 50), "p99": pct(v, 99),
                "max": pct(v, 100)} for k, v in lat.items()}


class Mem(threading.Thread):
    """Samples the server's VmRSS; VmHWM and fd count at the end."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = 0
        self.peak_fds = 0
        self.stop = threading.Event()

    def field(self, name):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith(name + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def fds(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.pid))
        except OSError:
            return 0

    def run(self):
        while not self.stop.wait(0.2):
            self.peak_rss = max(self.peak_rss, self.field("VmRSS"))
            self.peak_fds = max(self.peak_fds, self.fds())

    def result(self):
        return {"rss_peak_kB": self.peak_rss, "vmhwm_kB": self.field("VmHWM"),
                "fds_peak": self.peak_fds, "fds_now": self.fds()}


def issue_many(dir_url, root, n, source, workers=5):
    ok, failed, errors = 0, 0, []

    def one(i):
        c = Client(dir_url, root, source=source, timeout=120)
        try:
            c.issue(["load%d-%d.test" % (i, os.getpid())])
            return None
        except Exception as e:		# counted, reported
            return repr(e)[:200]
        finally:
            c.close()
    t0 = time.monotonic()
    with ThreadPoolExecutor(workers) as ex:
        for r in ex.map(one, range(n)):
            if r is None:
                ok += 1
            else:
                failed += 1
                errors.append(r)
    return {"issued": ok, "issue_failed": failed, "issue_errors": errors[:5],
            "issue_secs": round(time.monotonic() - t0, 2)}


async def http(reader, writer, method, path, host, body=None, ctype=None):
    req = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, host)
    if body is not None:
        req += "Content-Type: %s\r\nContent-Length: %d\r\n" % (ctype, len(body))
    writer.write(req.encode() + b"\r\n" + (body or b""))
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    if method != "HEAD" and n:
        await reader.readexactly(n)
    return status, hdrs


async def connections(a):
    c = Client(a.dir, a.ca)
    d = c.directory()
    accts = []
    for _ in range(8):
        k = Client(a.dir, a.ca)
        k.new_account()
        accts.append((k.key, k.kid))
        k.close()
    u = urllib.parse.urlsplit(a.dir)
    host = u.netloc
    ctx = ssl.create_default_context(cafile=a.ca)
    lat = {"directory": [], "newNonce": [], "post-as-get": []}
    status = {}
    conn_failed = [0]
    connected = [0]
    sem = asyncio.Semaphore(64)		# handshakes in flight
    all_up = asyncio.Event()
    paths = {k: urllib.parse.urlsplit(d[k]).path for k in ("newNonce",)}

    async def worker(i):
        src = "127.0.1.%d" % (i // 30 + 1)
        try:
            async with sem:
                r, w = await asyncio.wait_for(asyncio.open_connection(
                    "127.0.0.1", u.port, ssl=ctx, server_hostname="localhost",
                    local_addr=(src, 0)), 60)
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            conn_failed[0] += 1
            return
        connected[0] += 1
        if connected[0] + conn_failed[0] >= a.conns:
            all_up.set()
        await all_up.wait()
        key, kid = accts[i % len(accts)]
        nonce = None
        end = time.monotonic() + a.secs
        k = i
        try:
            while time.monotonic() < end:
                kind = ("directory", "newNonce", "post-as-get")[k % 3]
                k += 1
                t0 = time.monotonic()
                if kind == "directory":
                    st, h = await http(r, w, "GET", u.path, host)
                elif kind == "newNonce":
                    st, h = await http(r, w, "HEAD", paths["newNonce"], host)
                else:
                    if nonce is None:
                        k -= 1
                        kind = "newNonce"
                        st, h = await http(r, w, "HEAD", paths["newNonce"],
                                           host)
                    else:
                        body = json.dumps(jws(key, kid, None, nonce, kid))
                        st, h = await http(r, w, "POST",
                                           urllib.parse.urlsplit(kid).path,
                                           host, body.encode(),
                                           "application/jose+json")
                lat[kind].append(time.monotonic() - t0)
                nonce = h.get("replay-nonce", None)
                status[(kind, st)] = status.get((kind, st), 0) + 1
                if h.get("connection", "").lower() == "close":
                    break
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError,
                ValueError) as e:
            status[("conn-error", type(e).__name__)] = status.get(
                ("conn-error", type(e).__name__), 0) + 1
        finally:
            w.close()

    mem = Mem(a.pid)
    mem.start()
    base_fds = mem.fds()
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    iss = loop.run_in_executor(None, issue_many, a.dir, a.ca, a.issues,
                               "127.0.0.2")
    await asyncio.gather(*(worker(i) for i in range(a.conns)))
    wall = time.monotonic() - t0
    isr = await iss
    await asyncio.sleep(1)
    mem.stop.set()
    res = {"test": "X24 connections", "conns": a.conns,
           "connected": connected[0], "connect_failed": conn_failed[0],
           "secs": round(wall, 1), "latency_ms": summary(lat),
           "requests": sum(len(v) for v in lat.values()),
           "status": {"%s %s" % k: v for k, v in sorted(status.items(),
                                                        key=str)},
           "fds_before": base_fds}
    res.update(isr)
    res.update(mem.result())
    bad5xx = sum(v for (kind, st), v in status.items()
                 if isinstance(st, int) and st >= 500 and st != 503)
    res["bad_5xx"] = bad5xx
    return res, bad5xx == 0 and isr["issue_failed"] == 0


def probe(a):
    mem = Mem(a.pid)
    mem.start()
    lat = {"newNonce keep-alive": [], "newNonce new-conn": [],
           "directory new-conn": []}
    errs = {}
    stop = threading.Event()

    def prober():
        c = Client(a.dir, a.ca, source=a.source, timeout=60)
        c.directory()
        n = 0
        while not stop.is_set():
            kind = ("newNonce keep-alive", "newNonce new-conn",
                    "directory new-conn")[n % 3]
            n += 1
            t0 = time.monotonic()
            try:
                if kind.endswith("new-conn"):
                    c.close()
                if kind.startswith("newNonce"):
                    c.new_nonce()
                else:
                    c.dir = None
                    c.directory()
                lat[kind].append(time.monotonic() - t0)
            except Exception as e:		# counted
                errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
            time.sleep(0.02)
    t = threading.Thread(target=prober, daemon=True)
    t.start()
    t0 = time.monotonic()
    isr = issue_many(a.dir, a.ca, a.issues, a.source, workers=2)
    while time.monotonic() - t0 < a.secs:
        time.sleep(0.2)
    stop.set()
    t.join()
    mem.stop.set()
    res = {"test": a.label or "probe", "latency_ms": summary(lat),
           "probe_errors": errs}
    res.update(isr)
    res.update(mem.result())
    return res, isr["issue_failed"] == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("connections", "probe"))
    ap.add_argument("dir")
    ap.add_argument("ca")
    ap.add_argument("pid", type=int)
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--issues", type=int, default=50)
    ap.add_argument("--secs", type=float, default=20)
    ap.add_argument("--source", default="127.0.0.2")
    ap.add_argument("--label")
    a = ap.parse_args()
    if a.cmd == "connections":
        res, ok = asyncio.run(connections(a))
    else:
        res, ok = probe(a)
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
