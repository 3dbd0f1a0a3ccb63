#!/usr/bin/env python3
# loopback_limits.py - issue #12 item 13: one local process holding many connections must not lock other local clients out
# SPDX-License-Identifier: MIT
#
#   loopback_limits.py hold PORT N STATUS
#       Hold N idle TCP connections to 127.0.0.1:PORT (no TLS, no byte sent),
#       reopening every one the server closes, as a leaking test suite or a
#       hostile local process would. Writes "open reopened most-open" to
#       STATUS.
#   loopback_limits.py trickle PORT N PATH STATUS
#       N TLS connections that each send a POST's headers promising a 100 kB
#       body, then one byte a second (slow body); closed ones are reopened.
#   loopback_limits.py issue DIR_URL ROOT N MAXSECS
#       N issuances from 127.0.0.1, one fresh client (account, connection)
#       each; exit 1 unless every one succeeds within MAXSECS.
import asyncio
import os
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))


class Stats:
    def __init__(self, path):
        self.path = path
        self.open = 0
        self.most = 0
        self.reopened = 0

    def opened(self):
        self.open += 1
        self.most = max(self.most, self.open)

    def write(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %d %d\n" % (self.open, self.reopened, self.most))
        os.replace(tmp, self.path)


async def report(st):
    while True:
        st.write()
        await asyncio.sleep(0.2)


async def holder(port, st, first):
    """One idle connection, reopened whenever the server closes it."""
    while True:
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port,
                                                 local_addr=("127.0.0.1", 0))
        except OSError:
            await asyncio.sleep(0.05)
            continue
        st.opened()
        if not first:
            st.reopened += 1
        first = False
        try:
            await r.read(1 << 16)	# returns b"" (or raises) once closed
        except OSError:
            pass
        st.open -= 1
        w.close()
        await asyncio.sleep(0.01)	# no busy loop when refused at once


async def trickler(port, path, st, ctx, first):
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            "Content-Type: application/jose+json\r\n"
            "Content-Length: 100000\r\n\r\n" % (path, port)).encode()
    while True:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(
                "127.0.0.1", port, ssl=ctx, server_hostname="localhost",
                local_addr=("127.0.0.1", 0)), 20)
            w.write(head)
            await w.drain()
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            await asyncio.sleep(0.05)
            continue
        st.opened()
        if not first:
            st.reopened += 1
        first = False
        try:
            while not r.at_eof():
                w.write(b"{")
                await w.drain()
                try:
                    if await asyncio.wait_for(r.read(4096), 1.0) == b"":
                        break
                except asyncio.TimeoutError:
                    pass
        except (OSError, ssl.SSLError):
            pass
        st.open -= 1
        w.close()
        await asyncio.sleep(0.01)


async def attack(mode, argv):
    port, n = int(argv[0]), int(argv[1])
    st = Stats(argv[-1])
    tasks = [asyncio.create_task(report(st))]
    if mode == "hold":
        for i in range(n):
            tasks.append(asyncio.create_task(holder(port, st, True)))
            if i % 100 == 99:
                await asyncio.sleep(0)
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for i in range(n):
            tasks.append(asyncio.create_task(
                trickler(port, argv[2], st, ctx, True)))
            await asyncio.sleep(0.005)	# ramp up, then hold
    await asyncio.gather(*tasks)


def issue(dir_url, root, n, maxsecs):
    from acme_client import Client
    worst, failed = 0.0, 0
    for i in range(n):
        t0 = time.monotonic()
        c = Client(dir_url, root, source="127.0.0.1", timeout=maxsecs)
        try:
            c.issue(["honest%d-%d.test" % (i, os.getpid())])
            ok = True
        except Exception as e:		# reported, counted
            ok = False
            print(("issuance %d failed after %.1fs: %r" %
                   (i, time.monotonic() - t0, e))[:300], flush=True)
        finally:
            c.close()
        dt = time.monotonic() - t0
        worst = max(worst, dt)
        if ok and dt > maxsecs:
            ok = False
            print("issuance %d took %.1fs (> %ds)" % (i, dt, maxsecs))
        failed += 0 if ok else 1
    print("issued %d/%d, slowest %.2fs" % (n - failed, n, worst), flush=True)
    return 0 if failed == 0 else 1


def main():
    mode = sys.argv[1]
    if mode in ("hold", "trickle"):
        try:
            asyncio.run(attack(mode, sys.argv[2:]))
        except KeyboardInterrupt:
            pass
        return 0
    return issue(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                 int(sys.argv[5]))


if __name__ == "__main__":
    sys.exit(main())
