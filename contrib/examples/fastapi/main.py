"""main.py - the seed app: FastAPI answering "Hello, World!" over HTTPS with a localacme certificate.

Run:  python3 main.py --certfile cert.pem --keyfile key.pem [--host H] [--port P]
  or  SSL_CERTFILE=cert.pem SSL_KEYFILE=key.pem python3 main.py
  or  uvicorn main:app --ssl-certfile cert.pem --ssl-keyfile key.pem --port 8443
"""
# SPDX-License-Identifier: MIT
import argparse
import os
import socket
import sys

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/", response_class=PlainTextResponse)
def hello() -> str:
    return "Hello, World!"


def parse_args(argv):
    p = argparse.ArgumentParser(description="Hello, World! over HTTPS")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                   help="address to listen on (env HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8443")),
                   help="port (env PORT, default 8443; 0 = any free port)")
    p.add_argument("--certfile", default=os.environ.get("SSL_CERTFILE"),
                   help="certificate chain, PEM (env SSL_CERTFILE)")
    p.add_argument("--keyfile", default=os.environ.get("SSL_KEYFILE"),
                   help="private key, PEM (env SSL_KEYFILE)")
    p.add_argument("--port-file", default=os.environ.get("PORT_FILE"),
                   help="write the port actually bound here (for --port 0)")
    a = p.parse_args(argv)
    if not a.certfile or not a.keyfile:
        p.error("--certfile and --keyfile (or SSL_CERTFILE and SSL_KEYFILE) are required")
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    # Bind here so --port 0 works and the real port can be reported
    # before uvicorn starts serving on the socket.
    family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((a.host, a.port))
    sock.listen(128)
    port = sock.getsockname()[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    print("serving https://%s:%d/" % (a.host if family == socket.AF_INET else "[%s]" % a.host, port),
          flush=True)
    uvicorn.run(app, fd=sock.fileno(), ssl_certfile=a.certfile, ssl_keyfile=a.keyfile,
                log_level="warning")


if __name__ == "__main__":
    main()
