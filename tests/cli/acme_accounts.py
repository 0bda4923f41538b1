#!/usr/bin/env python3
"""ACME accounts against signet serve (docs/acme.md): external account
binding (good and hostile: wrong MAC, revoked key, a key for another
profile, a key bound already, a wrong url or payload), account updates,
keyChange (good and hostile), orders lists, authorization deactivation,
rejectedIdentifier, and revocation by another account's authorizations,
by the certificate's key (and the key then blocked), and refused with an
unrelated key. Usage:
  acme_accounts.py DIR_EAB DIR_OPEN CA_BUNDLE HTTP01_PORT K1 K2 K3 K4
with DIR_EAB a directory that requires EAB; K1, K4 its keys (KID:KEY),
K2 one revoked, K3 one for DIR_OPEN's profile."""
import base64
import hashlib
import hmac
import json
import ssl
import sys
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from acme_jws import Key, b64, http01_server, jws

dir_eab, dir_open, bundle = sys.argv[1], sys.argv[2], sys.argv[3]
http_port = int(sys.argv[4])
k1, k2, k3, k4 = [tuple(a.split(":", 1)) for a in sys.argv[5:9]]
ctx = ssl.create_default_context(cafile=bundle)
fails = 0
answers = {}


server = http01_server(http_port, answers)


def headers(h):
    """Every Link header, not only the last."""
    d = dict(h)
    d["Link"] = ", ".join(h.get_all("Link") or [])
    return d


def request(url, body=None, method=None):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/jose+json")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, headers(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, headers(e.headers), e.read()


def check(what, cond, detail=""):
    global fails
    if cond:
        print("ok: " + what)
    else:
        print("FAIL: %s %s" % (what, detail), file=sys.stderr)
        fails += 1


D = json.loads(request(dir_eab)[2])
O = json.loads(request(dir_open)[2])


def nonce(d):
    return request(d["newNonce"], method="HEAD")[1]["Replay-Nonce"]


def post(d, url, key, payload, kid=None, header=None):
    return request(url, jws(key, url, nonce(d), payload, kid=kid,
                            header=header))


def problem(what, resp, status, type_):
    st, h, b = resp
    try:
        p = json.loads(b)
    except ValueError:
        p = {}
    check("%s: %d %s" % (what, status, type_),
          st == status and h.get("Content-Type") == "application/problem+json"
          and p.get("type") == "urn:ietf:params:acme:error:" + type_,
          "(got %d %s)" % (st, b[:300]))


def eab(k, url, jwk, alg="HS256", key=None, kid=None):
    prot = b64(json.dumps({"alg": alg, "kid": kid or k[0], "url": url}))
    pl = b64(json.dumps(jwk))
    raw = base64.urlsafe_b64decode((key or k[1]) + "=")
    md = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
          "HS512": hashlib.sha512}.get(alg, hashlib.sha256)
    mac = hmac.new(raw, (prot + "." + pl).encode(), md).digest()
    return {"protected": prot, "payload": pl, "signature": b64(mac)}


def register(d, key, binding=None, extra=None):
    payload = {"termsOfServiceAgreed": True}
    if binding is not None:
        payload["externalAccountBinding"] = binding
    payload.update(extra or {})
    return post(d, d["newAccount"], key, payload)


# ---- external account binding -------------------------------------------
check("the EAB directory says externalAccountRequired",
      D.get("meta", {}).get("externalAccountRequired") is True, D)
check("the other one does not",
      O.get("meta", {}).get("externalAccountRequired") is False, O)
check("the directory has keyChange", "keyChange" in D, D)
a = Key("ec256")
url = D["newAccount"]
problem("newAccount without EAB", register(D, a), 400,
        "externalAccountRequired")
wrong = b64(b"\x01" * 32)
problem("EAB with a wrong MAC", register(D, a, eab(k1, url, a.jwk(),
                                                   key=wrong)),
        403, "unauthorized")
problem("EAB with a revoked key", register(D, a, eab(k2, url, a.jwk())),
        403, "unauthorized")
problem("EAB with a key for another profile",
        register(D, a, eab(k3, url, a.jwk())), 403, "unauthorized")
problem("EAB with an unknown kid",
        register(D, a, eab(k1, url, a.jwk(), kid="ab" * 16)), 403,
        "unauthorized")
problem("EAB for another url",
        register(D, a, eab(k1, D["newOrder"], a.jwk())), 403,
        "unauthorized")
problem("EAB whose payload is another key",
        register(D, a, eab(k1, url, Key("ec256").jwk())), 400, "malformed")
problem("EAB signed with RS256",
        register(D, a, eab(k1, url, a.jwk(), alg="RS256")), 400,
        "badSignatureAlgorithm")
bad = eab(k1, url, a.jwk())
bad["nonce"] = "x"
problem("EAB with a fourth member", register(D, a, bad), 400, "malformed")
st, h, b = register(D, a, eab(k1, url, a.jwk(), alg="HS256"))
check("newAccount with EAB: 201", st == 201, b)
kid_a = h.get("Location", "")
st, h, b = register(D, a, eab(k1, url, a.jwk()))
check("the same key and EAB again: 200, the same account",
      st == 200 and h.get("Location") == kid_a, b)
other = Key("ec384")
problem("an EAB key bound already",
        register(D, other, eab(k1, url, other.jwk())), 403, "unauthorized")
b_key = Key("ec256")
st, h, b = register(D, b_key, eab(k4, url, b_key.jwk(), alg="HS512"))
check("a second account with its own key (HS512): 201", st == 201, b)
kid_b = h.get("Location", "")

# An account of the open directory has no binding for the EAB one.
c = Key("ec256")
st, h, b = register(O, c)
check("an account in the directory without EAB: 201", st == 201, b)
kid_c_open = h.get("Location", "")
kid_c = kid_c_open.replace(dir_open.rsplit("/", 1)[0],
                           dir_eab.rsplit("/", 1)[0])
ids = {"identifiers": [{"type": "dns", "value": "www.example.com"}]}
problem("that account orders in the EAB directory",
        post(D, D["newOrder"], c, ids, kid=kid_c), 403, "unauthorized")

# ---- newOrder and the policy ---------------------------------------------
problem("an identifier the profile denies",
        post(D, D["newOrder"], a, {"identifiers": [
            {"type": "dns", "value": "www.example.org"}]}, kid=kid_a),
        400, "rejectedIdentifier")
problem("an IP address the profile does not allow",
        post(D, D["newOrder"], a, {"identifiers": [
            {"type": "ip", "value": "192.0.2.1"}]}, kid=kid_a),
        400, "rejectedIdentifier")

# ---- account update --------------------------------------------------------
st, h, b = post(D, kid_a, a, {"contact": ["mailto:ops@example.com"]},
                kid=kid_a)
check("contact update: 200 with the contact", st == 200 and
      json.loads(b).get("contact") == ["mailto:ops@example.com"], b)
problem("a tel: contact", post(D, kid_a, a, {"contact": ["tel:+1555"]},
                                kid=kid_a), 400, "unsupportedContact")
problem("another account's update", post(D, kid_a, b_key, {
    "contact": []}, kid=kid_b), 403, "unauthorized")

# ---- orders list, authorization deactivation -------------------------------
orders_url = json.loads(post(D, kid_a, a, None, kid=kid_a)[2])["orders"]
first = None
for i in range(51):
    st, h, b = post(D, D["newOrder"], a, ids, kid=kid_a)
    first = first or h.get("Location")
st, h, b = post(D, orders_url, a, None, kid=kid_a)
page = json.loads(b).get("orders", [])
check("orders list: a first page of 50 with Link rel=next",
      st == 200 and len(page) == 50 and first in page and
      'rel="next"' in h.get("Link", ""), (st, h.get("Link"), len(page)))
nxt = [p.split(">")[0].strip(" <") for p in h.get("Link", "").split(",")
       if 'rel="next"' in p][0] if 'rel="next"' in h.get("Link", "") else D[
           "newNonce"]
st, h, b = post(D, nxt, a, None, kid=kid_a)
check("... and a second page with the rest",
      st == 200 and len(json.loads(b).get("orders", [])) >= 1 and
      'rel="next"' not in h.get("Link", ""), b)
problem("another account's orders list",
        post(D, orders_url, b_key, None, kid=kid_b), 403, "unauthorized")
o = json.loads(post(D, first, a, None, kid=kid_a)[2])
z_url = o["authorizations"][0]
problem("another account deactivates the authorization",
        post(D, z_url, b_key, {"status": "deactivated"}, kid=kid_b), 403,
        "unauthorized")
st, h, b = post(D, z_url, a, {"status": "deactivated"}, kid=kid_a)
check("authorization deactivation: 200 deactivated",
      st == 200 and json.loads(b).get("status") == "deactivated", b)
check("... and its order is invalid",
      json.loads(post(D, first, a, None, kid=kid_a)[2])["status"] ==
      "invalid")
problem("deactivating it again", post(D, z_url, a, {"status": "deactivated"},
                                      kid=kid_a), 400, "malformed")


# ---- issuance, then revocation three ways ---------------------------------
def order_valid(key, kid, name):
    st, h, b = post(D, D["newOrder"], key, {"identifiers": [
        {"type": "dns", "value": name}]}, kid=kid)
    o, loc = json.loads(b), h["Location"]
    z = json.loads(post(D, o["authorizations"][0], key, None, kid=kid)[2])
    ch = [c for c in z["challenges"] if c["type"] == "http-01"][0]
    answers[ch["token"]] = ch["token"] + "." + key.thumbprint()
    post(D, ch["url"], key, {}, kid=kid)
    return json.loads(post(D, loc, key, None, kid=kid)[2]), loc


def issue(key, kid, name, cert_key=None):
    cert_key = cert_key or Key("ec256")
    o, loc = order_valid(key, kid, name)
    req = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
    req = req.add_extension(x509.SubjectAlternativeName(
        [x509.DNSName(name)]), critical=False)
    der = req.sign(cert_key.priv, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)
    st, h, b = post(D, o["finalize"], key, {"csr": b64(der)}, kid=kid)
    if st != 200:
        return None, cert_key, (st, b)
    pem = post(D, json.loads(b)["certificate"], key, None, kid=kid)[2]
    return (x509.load_pem_x509_certificate(pem).public_bytes(
        serialization.Encoding.DER), cert_key, None)


der1, _, err = issue(a, kid_a, "www.example.com")
check("a certificate for www.example.com", der1 is not None, err)
problem("revocation signed with an unrelated key",
        post(D, D["revokeCert"], Key("ec256"), {"certificate": b64(der1)}),
        403, "unauthorized")
problem("revocation by an account without authorizations for its names",
        post(D, D["revokeCert"], b_key, {"certificate": b64(der1)},
             kid=kid_b), 403, "unauthorized")
forged = bytearray(der1)
forged[-1] ^= 1
problem("revocation of a certificate that is not the stored one",
        post(D, D["revokeCert"], b_key, {"certificate": b64(bytes(forged))},
             kid=kid_b), 400, "malformed")
ob, _ = order_valid(b_key, kid_b, "www.example.com")
check("the second account validates www.example.com",
      ob.get("status") == "ready", ob)
st, h, b = post(D, D["revokeCert"], b_key, {"certificate": b64(der1),
                                            "reason": 4}, kid=kid_b)
check("revocation by an account holding authorizations for its names: 200",
      st == 200, b)

der2, ck, err = issue(a, kid_a, "www.example.com")
check("a second certificate", der2 is not None, err)
st, h, b = post(D, D["revokeCert"], ck, {"certificate": b64(der2)})
check("revocation signed with the certificate's own key: 200", st == 200, b)
der3, _, err = issue(a, kid_a, "www.example.com", cert_key=ck)
check("a CSR with that key is refused now (badCSR: blocked)",
      der3 is None and err and err[0] == 400 and b"badCSR" in err[1], err)

der4, ck4, err = issue(a, kid_a, "www.example.com")
check("a third certificate", der4 is not None, err)
problem("revocation by its key through another profile's directory",
        post(O, O["revokeCert"], ck4, {"certificate": b64(der4)}), 403,
        "unauthorized")

# ---- keyChange --------------------------------------------------------------
kc = D["keyChange"]


def key_change(old, kid, new, inner_url=None, inner_key=None, old_jwk=None,
               account=None):
    inner = json.loads(jws(inner_key or new, inner_url or kc, "x",
                           {"account": account or kid,
                            "oldKey": old_jwk or old.jwk()},
                           header={"nonce": None, "jwk": new.jwk()}))
    return post(D, kc, old, inner, kid=kid)


new_a = Key("ec384")
problem("keyChange: inner url is not the outer one",
        key_change(a, kid_a, new_a, inner_url=D["newOrder"]), 400,
        "malformed")
problem("keyChange: inner JWS not signed by its jwk",
        key_change(a, kid_a, new_a, inner_key=Key("ec384")), 400,
        "malformed")
problem("keyChange: oldKey is not the account's key",
        key_change(a, kid_a, new_a, old_jwk=Key("ec256").jwk()), 400,
        "malformed")
problem("keyChange: account is another one",
        key_change(a, kid_a, new_a, account=kid_b), 400, "malformed")
st, h, b = key_change(a, kid_a, b_key)
check("keyChange to another account's key: 409 with its Location",
      st == 409 and h.get("Location") == kid_b, (st, h.get("Location"), b))
st, h, b = key_change(a, kid_a, new_a)
check("keyChange: 200", st == 200, b)
# The front end still holds the old key for kid_a (it verified the
# keyChange request with it); the signer refuses it, the front end looks
# the key up again and the signature does not verify with the new one.
def refused(what, kid, key, status, type_):
    """Reading the account and ordering, both refused."""
    problem(what + ": reads the account", post(D, kid, key, None, kid=kid),
            status, type_)
    problem(what + ": orders",
            post(D, D["newOrder"], key,
                 {"identifiers": [{"type": "dns", "value": "x.example.com"}]},
                 kid=kid), status, type_)


# The first request with the old key reaches the signer (the front end
# verified it with the key it holds), which refuses the key before
# spending the nonce: the same nonce then serves a request with the new
# key.
n_stale = nonce(D)
problem("the old key, still held by the front end, is refused",
        request(kid_a, jws(a, kid_a, n_stale, None, kid=kid_a)), 400,
        "malformed")
st, h, b = request(kid_a, jws(new_a, kid_a, n_stale, None, kid=kid_a))
check("... without spending the request's nonce", st == 200, (st, b))
refused("the old key no longer signs for the account", kid_a, a, 400,
        "malformed")
st, h, b = post(D, kid_a, new_a, None, kid=kid_a)
check("the new key does", st == 200, b)
st, h, b = register(D, new_a, eab(k1, url, new_a.jwk()))
check("newAccount with the new key finds the account",
      st == 200 and h.get("Location") == kid_a, b)

st, h, b = post(D, kid_b, b_key, {"status": "deactivated"}, kid=kid_b)
check("the second account deactivates itself", st == 200, b)
# Its key is still the one the front end holds; the signer refuses.
refused("a deactivated account", kid_b, b_key, 403, "unauthorized")
problem("a deactivated account presents its EAB key again",
        register(D, b_key, eab(k4, url, b_key.jwk())), 403, "unauthorized")

server.shutdown()
sys.exit(1 if fails else 0)
