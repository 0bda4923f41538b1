#!/usr/bin/env python3
"""Hostile ACME requests against signet serve: each must be refused with
the right RFC 8555 problem type and HTTP status, and leave the service
working. Usage: acme_hostile.py DIRECTORY_URL CA_BUNDLE HTTP01_PORT"""
import json
import ssl
import sys
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from acme_jws import Key, b64, http01_server, jws

directory_url, bundle, http_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=bundle)
fails = 0
answers = {}  # http-01 token -> key authorization


server = http01_server(http_port, answers)


def request(url, body=None, ctype="application/jose+json", method=None):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def check(what, cond, detail=""):
    global fails
    if cond:
        print("ok: " + what)
    else:
        print("FAIL: %s %s" % (what, detail), file=sys.stderr)
        fails += 1


d = json.loads(request(directory_url)[2])
nonces = []


def nonce():
    if nonces:
        return nonces.pop()
    return request(d["newNonce"], method="HEAD")[1]["Replay-Nonce"]


def post(url, key, payload, kid=None, header=None, n=None, raw=None,
         ctype="application/jose+json"):
    body = raw if raw is not None else jws(key, url, n or nonce(), payload,
                                           kid=kid, header=header)
    st, h, b = request(url, body, ctype)
    if "Replay-Nonce" in h:
        nonces.append(h["Replay-Nonce"])
    return st, h, b


def problem(what, resp, status, type_):
    st, h, b = resp
    try:
        p = json.loads(b)
    except ValueError:
        p = {}
    check("%s: %d %s" % (what, status, type_),
          st == status and h.get("Content-Type") == "application/problem+json"
          and p.get("type") == "urn:ietf:params:acme:error:" + type_
          and p.get("status") == status,
          "(got %d %s)" % (st, b[:300]))


key = Key("ec256")
st, h, b = post(d["newAccount"], key, {"termsOfServiceAgreed": True})
check("newAccount: 201", st == 201, b)
kid = h["Location"]

# The JWS itself.
problem("a body that is not JSON",
        post(d["newOrder"], key, None, raw=b"not json"), 400, "malformed")
problem("Content-Type application/json",
        post(d["newOrder"], key, {}, kid=kid, ctype="application/json"),
        400, "malformed")
problem("alg none", post(d["newOrder"], key, {}, kid=kid,
                         header={"alg": "none"}), 400,
        "badSignatureAlgorithm")
problem("crit in the header", post(d["newOrder"], key, {}, kid=kid,
                                   header={"crit": ["b64"]}), 400,
        "malformed")
problem("jwk and kid", post(d["newOrder"], key, {}, kid=kid,
                            header={"jwk": key.jwk()}), 400, "malformed")
problem("a url header that is not the request's",
        post(d["newOrder"], key, {}, kid=kid,
             header={"url": d["newAccount"]}), 403, "unauthorized")
body = json.loads(jws(key, d["newOrder"], nonce(), {"identifiers": []},
                      kid=kid))
body["signature"] = b64(b"\x00" * 64)
problem("a signature that does not verify",
        post(d["newOrder"], key, None, raw=json.dumps(body).encode()), 400,
        "malformed")
n = nonce()
ids = {"identifiers": [{"type": "dns", "value": "www.example.com"}]}
st, h, b = post(d["newOrder"], key, ids, kid=kid, n=n)
check("newOrder: 201", st == 201, b)
order_url, order = h["Location"], json.loads(b)
problem("a replayed nonce", post(d["newOrder"], key, ids, kid=kid, n=n),
        400, "badNonce")
problem("a made-up nonce", post(d["newOrder"], key, ids, kid=kid,
                                n="0123456789abcdef0123456789abcdef"),
        400, "badNonce")
problem("an unknown kid", post(d["newOrder"], key, ids,
                               kid=kid.rsplit("/", 1)[0] + "/" + "ab" * 16),
        400, "accountDoesNotExist")
problem("a kid signed with another key",
        post(d["newOrder"], Key("ec256"), ids, kid=kid), 400, "malformed")
problem("a wildcard that is not a whole label",
        post(d["newOrder"], key, {"identifiers": [
            {"type": "dns", "value": "*w.example.com"}]}, kid=kid), 400,
        "rejectedIdentifier")
problem("an email identifier", post(d["newOrder"], key, {"identifiers": [
    {"type": "email", "value": "a@example.com"}]}, kid=kid), 400,
    "unsupportedIdentifier")
st, _, _ = request(directory_url.replace("/tls-server/", "/nosuch/"))
check("a directory for a profile not exposed: 404", st == 404)


def csr(names, k=None):
    k = k or Key("ec256")
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    b = b.add_extension(x509.SubjectAlternativeName(
        [x509.DNSName(n) for n in names]), critical=False)
    return b64(b.sign(k.priv, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER))


problem("finalize before the order is ready",
        post(order["finalize"], key, {"csr": csr(["www.example.com"])},
             kid=kid), 403, "orderNotReady")

# Another account may not read or finalize this order.
other = Key("ec384")
st, h, b = post(d["newAccount"], other, {"termsOfServiceAgreed": True})
other_kid = h["Location"]
problem("another account reads the order",
        post(order_url, other, None, kid=other_kid), 403, "unauthorized")

# http-01, answered by this script's server.
authz = json.loads(post(order["authorizations"][0], key, None, kid=kid)[2])
ch = [c for c in authz["challenges"] if c["type"] == "http-01"][0]
answers[ch["token"]] = ch["token"] + "." + key.thumbprint()
st, h, b = post(ch["url"], key, {}, kid=kid)
check("http-01 answered: valid", st == 200 and
      json.loads(b).get("status") == "valid", b)
order = json.loads(post(order_url, key, None, kid=kid)[2])
check("the order is ready", order["status"] == "ready", order)
problem("a CSR with a name not in the order",
        post(order["finalize"], key,
             {"csr": csr(["www.example.com", "other.example.com"])},
             kid=kid), 400, "badCSR")
problem("a CSR with the account key",
        post(order["finalize"], key,
             {"csr": csr(["www.example.com"], key)}, kid=kid), 400, "badCSR")
problem("a CSR that is not DER",
        post(order["finalize"], key, {"csr": b64(b"\x30\x00")}, kid=kid),
        400, "badCSR")
st, h, b = post(order["finalize"], key, {"csr": csr(["www.example.com"])},
                kid=kid)
check("finalize after the refusals: valid", st == 200 and
      json.loads(b).get("status") == "valid", b)
cert_url = json.loads(b)["certificate"]
st, h, b = post(cert_url, key, None, kid=kid)
check("certificate download: application/pem-certificate-chain",
      st == 200 and h.get("Content-Type") ==
      "application/pem-certificate-chain" and b.count(b"BEGIN CERT") >= 1)
problem("another account downloads it",
        post(cert_url, other, None, kid=other_kid), 403, "unauthorized")
der = x509.load_pem_x509_certificate(b).public_bytes(
    serialization.Encoding.DER)
problem("another account revokes it",
        post(d["revokeCert"], other, {"certificate": b64(der)},
             kid=other_kid), 403, "unauthorized")
problem("another account reads this account",
        post(kid, other, None, kid=other_kid), 403, "unauthorized")
problem("an account update of something else than contact or status",
        post(other_kid, other, {"orders": "x"}, kid=other_kid), 400,
        "malformed")
st, h, b = post(other_kid, other, {"status": "deactivated"}, kid=other_kid)
check("deactivating an account", st == 200 and
      json.loads(b).get("status") == "deactivated", b)
problem("a deactivated account orders",
        post(d["newOrder"], other, ids, kid=other_kid), 403, "unauthorized")
problem("revocation reason 2 (cACompromise)",
        post(d["revokeCert"], key, {"certificate": b64(der), "reason": 2},
             kid=kid), 400, "badRevocationReason")



def challenge_fails(name, needle):
    """A new order for name: its http-01 challenge comes back invalid,
    with needle in the error, and the authorization is invalid."""
    st, h, b = post(d["newOrder"], key, {"identifiers": [
        {"type": "dns", "value": name}]}, kid=kid)
    o = json.loads(b)
    z = json.loads(post(o["authorizations"][0], key, None, kid=kid)[2])
    ch = [c for c in z["challenges"] if c["type"] == "http-01"][0]
    answers[ch["token"]] = ch["token"] + "." + key.thumbprint()
    st, h, b = post(ch["url"], key, {}, kid=kid)
    c = json.loads(b)
    check("%s: the challenge is invalid (%s)" % (name, needle),
          c.get("status") == "invalid" and
          needle in c.get("error", {}).get("detail", ""), b)
    z = json.loads(post(o["authorizations"][0], key, None, kid=kid)[2])
    check("%s: ... and its authorization" % name,
          z.get("status") == "invalid", z)


# The address guard, with the address from serve.acme.resolve and from
# DNS; a name DNS does not know.
challenge_fails("blocked.example.com", "not one validation may connect to")
challenge_fails("private.example.com", "not one validation may connect to")
challenge_fails("nx.example.com", "cannot resolve nx.example.com")
# A name DNS knows, on an allowed address: valid.
st, h, b = post(d["newOrder"], key, {"identifiers": [
    {"type": "dns", "value": "dns.example.com"}]}, kid=kid)
z = json.loads(post(json.loads(b)["authorizations"][0], key, None,
                    kid=kid)[2])
ch = [c for c in z["challenges"] if c["type"] == "http-01"][0]
answers[ch["token"]] = ch["token"] + "." + key.thumbprint()
st, h, b = post(ch["url"], key, {}, kid=kid)
check("dns.example.com through DNS: valid",
      json.loads(b).get("status") == "valid", b)
check("... and the answer carries a fresh nonce",
      len(h.get("Replay-Nonce", "")) == 32, h)
server.shutdown()
sys.exit(1 if fails else 0)
