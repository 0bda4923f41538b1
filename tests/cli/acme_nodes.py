#!/usr/bin/env python3
"""One ACME service from two signet serve nodes on one database, as behind
a load balancer that keeps the Host header: every request names node A's
address (Host, and the JWS url), and is sent to node A or node B. A nonce
from one node is spent on the other (and then refused on both), an order
made on one is validated and finalized on the other, and its certificate
downloaded from either.

Usage: acme_nodes.py PORT_A PORT_B CA_BUNDLE HTTP01_PORT NAME
Prints ok:/FAIL: lines; exits 1 on any failure."""
import http.client
import json
import ssl
import sys


from acme_jws import Key, b64, csr_der, http01_server, jws

port_a, port_b = int(sys.argv[1]), int(sys.argv[2])
bundle, http_port, name = sys.argv[3], int(sys.argv[4]), sys.argv[5]
host = "127.0.0.1:%d" % port_a  # the one address clients know
base = "https://" + host + "/acme/tls-server/"
ctx = ssl.create_default_context(cafile=bundle)
fails = 0
answers = {}


def check(what, cond, detail=""):
    global fails
    if cond:
        print("ok: " + what)
    else:
        print("FAIL: %s %s" % (what, detail), file=sys.stderr)
        fails += 1


def send(node, method, url, body=None):
    """To node "A" or "B", with node A's Host."""
    conn = http.client.HTTPSConnection(
        "127.0.0.1", port_a if node == "A" else port_b, context=ctx,
        timeout=30)
    headers = {"Host": host}
    if body is not None:
        headers["Content-Type"] = "application/jose+json"
    conn.request(method, url[len("https://" + host):], body=body,
                 headers=headers)
    r = conn.getresponse()
    out = r.status, r.headers, r.read()
    conn.close()
    return out


key = Key("ec256")
kid = None


def post(node, url, payload, nonce):
    st, h, b = send(node, "POST", url, jws(key, url, nonce, payload, kid=kid))
    return st, h, b


def fresh(node):
    return send(node, "HEAD", base + "new-nonce")[1]["Replay-Nonce"]


def main():
    global kid
    server = http01_server(http_port, answers)
    st, _, b = send("B", "GET", base + "directory")
    d = json.loads(b)
    check("node B's directory names the shared address",
          st == 200 and d["newOrder"].startswith(base), b[:200])

    n = fresh("A")
    st, h, b = post("B", d["newAccount"], {"termsOfServiceAgreed": True}, n)
    check("a nonce from node A is good on node B (newAccount 201)",
          st == 201, b[:300])
    kid = h["Location"]
    st, _, b = post("A", kid, None, n)
    check("the spent nonce is refused on node A (badNonce)",
          st == 400 and b"badNonce" in b, b[:300])
    st, _, b = post("B", kid, None, n)
    check("and on node B", st == 400 and b"badNonce" in b, b[:300])

    st, h, b = post("A", d["newOrder"],
                    {"identifiers": [{"type": "dns", "value": name}]},
                    fresh("B"))
    check("newOrder on node A", st == 201, b[:300])
    order_url, order = h["Location"], json.loads(b)
    st, _, b = post("B", order["authorizations"][0], None, fresh("B"))
    check("its authorization read on node B", st == 200, b[:300])
    ch = [c for c in json.loads(b)["challenges"] if c["type"] == "http-01"][0]
    answers[ch["token"]] = ch["token"] + "." + key.thumbprint()
    st, _, b = post("B", ch["url"], {}, fresh("A"))
    check("http-01 validated by node B", st == 200 and
          json.loads(b).get("status") == "valid", b[:300])

    der = csr_der(name)
    st, _, b = post("B", order["finalize"], {"csr": b64(der)}, fresh("B"))
    check("the order made on node A is finalized on node B", st == 200, b[:300])
    st, _, b = post("A", order_url, None, fresh("A"))
    order = json.loads(b)
    check("node A sees the order valid", order.get("status") == "valid",
          b[:300])
    for node in ("A", "B"):
        st, _, pem = post(node, order["certificate"], None, fresh(node))
        check("the certificate downloads from node " + node,
              st == 200 and b"BEGIN CERTIFICATE" in pem, pem[:200])
    sys.stdout.flush()
    with open("acme-nodes.pem", "wb") as f:
        f.write(pem)
    server.shutdown()
    return 1 if fails else 0


sys.exit(main())
