#!/usr/bin/env python3
"""A small ACME load generator for bench/run-acme-bench.sh.

    acme_load.py DIRECTORY_URL CA_BUNDLE HTTP01_PORT N CLIENTS NAME_FORMAT

CLIENTS threads, each with an account of its own (newAccount once) and one
HTTPS connection kept open (as certbot's does), share
N certificates between them; each certificate is the whole order flow:
newOrder for one DNS name (NAME_FORMAT % (i % 32), e.g. "a%d.example.com"), the
authorization, the http-01 challenge (answered by a web server on
127.0.0.1:HTTP01_PORT run here), finalize with a CSR for a fresh P-256
key, polling the order until it is valid, and the certificate download.
Prints one line: certificates, seconds, certificates per second. Exits 1
if any order fails (with the problem document)."""
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" /
                       "cli"))
from acme_jws import Key, b64, csr_der, http01_server, jws  # noqa: E402

directory_url, bundle = sys.argv[1], sys.argv[2]
http_port, total, clients = int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5])
name_format = sys.argv[6]
ctx = ssl.create_default_context(cafile=bundle)
answers = {}  # http-01 token -> key authorization


class Failed(Exception):
    pass


def request(url, body=None, method=None, conn=None):
    """One request; on conn (an http.client.HTTPSConnection kept open, as
    clients do) when given."""
    if conn is None:
        req = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/jose+json")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
    u = urllib.parse.urlsplit(url)
    headers = {"Content-Type": "application/jose+json"} if body else {}
    conn.request(method or ("POST" if body is not None else "GET"),
                 u.path + ("?" + u.query if u.query else ""), body=body,
                 headers=headers)
    r = conn.getresponse()
    return r.status, r.headers, r.read()


class Client:
    def __init__(self, d):
        self.d = d
        self.key = Key("ec256")
        self.kid = None
        self.nonce = None
        u = urllib.parse.urlsplit(d["newNonce"])
        self.conn = http.client.HTTPSConnection(u.hostname, u.port,
                                                context=ctx, timeout=60)

    def post(self, url, payload, expect=(200, 201)):
        for _ in range(5):
            if self.nonce is None:
                self.nonce = request(self.d["newNonce"], method="HEAD",
                                     conn=self.conn)[1]["Replay-Nonce"]
            body = jws(self.key, url, self.nonce, payload, kid=self.kid)
            st, h, b = request(url, body, conn=self.conn)
            self.nonce = h.get("Replay-Nonce")
            if st == 400 and b"badNonce" in b:
                continue
            if st not in expect:
                raise Failed("%s: HTTP %d %s" % (url, st, b[:300]))
            return h, b
        raise Failed("%s: badNonce five times" % url)

    def register(self):
        h, _ = self.post(self.d["newAccount"],
                         {"termsOfServiceAgreed": True})
        self.kid = h["Location"]

    def poll(self, url, want, fields="status"):
        for _ in range(300):
            _, b = self.post(url, None)
            obj = json.loads(b)
            if obj[fields] in want:
                return obj
            if obj[fields] == "invalid":
                raise Failed("%s is invalid: %s" % (url, b[:300]))
            time.sleep(0.05)
        raise Failed("%s: still %s" % (url, obj[fields]))

    def one(self, name):
        h, b = self.post(self.d["newOrder"],
                         {"identifiers": [{"type": "dns", "value": name}]})
        order_url = h["Location"]
        order = json.loads(b)
        for authz_url in order["authorizations"]:
            _, b = self.post(authz_url, None)
            ch = [c for c in json.loads(b)["challenges"]
                  if c["type"] == "http-01"][0]
            answers[ch["token"]] = ch["token"] + "." + \
                self.key.thumbprint()
            self.post(ch["url"], {})
            self.poll(authz_url, ("valid",))
        der = csr_der(name)
        self.post(order["finalize"], {"csr": b64(der)})
        order = self.poll(order_url, ("valid",))
        _, pem = self.post(order["certificate"], None)
        if b"BEGIN CERTIFICATE" not in pem:
            raise Failed("no certificate for " + name)


def main():
    server = http01_server(http_port, answers)
    d = json.loads(request(directory_url)[2])
    work = list(range(total))
    lock = threading.Lock()
    errors = []
    accounts = [Client(d) for _ in range(clients)]
    for c in accounts:
        c.register()

    def run(c):
        while True:
            with lock:
                if not work or errors:
                    return
                i = work.pop()
            try:
                c.one(name_format % (i % 32))
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(str(e))
                return

    threads = [threading.Thread(target=run, args=(c,)) for c in accounts]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0
    server.shutdown()
    if errors:
        print("acme_load: " + errors[0], file=sys.stderr)
        return 1
    print("%d certificates in %.2f s: %.1f/s" % (total, secs, total / secs))
    return 0


sys.exit(main())
