#!/usr/bin/env python3
"""ACME renewal information (RFC 9773), profiles and rate limits against
signet serve (tests/cli/acme_hostile.sh, as cli_acme_ari, sets the limits: 150 orders an hour,
400 pending authorizations, 2 certificates per name a week; profiles
tls-server and tls-client exposed).
Usage: acme_ari.py DIRECTORY_URL CA_BUNDLE HTTP01_PORT SIGNET HTTP_BASE"""
import datetime
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from acme_jws import Key, b64, http01_server, jws

directory_url, bundle, http_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
signet, http_base = sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=bundle)
fails = 0
answers = {}


server = http01_server(http_port, answers)


def request(url, body=None, method=None, context=ctx):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/jose+json")
    try:
        with urllib.request.urlopen(req, context=context, timeout=30) as r:
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
    return h, p


st, _, b = request(directory_url)
d = json.loads(b)
nonces = []


def nonce():
    if nonces:
        return nonces.pop()
    return request(d["newNonce"], method="HEAD")[1]["Replay-Nonce"]


def post(url, key, payload, kid=None):
    st, h, b = request(url, jws(key, url, nonce(), payload, kid=kid))
    if "Replay-Nonce" in h:
        nonces.append(h["Replay-Nonce"])
    return st, h, b


def account(kind="ec256"):
    key = Key(kind)
    st, h, b = post(d["newAccount"], key, {"termsOfServiceAgreed": True})
    check("newAccount: 201", st == 201, b)
    return key, h["Location"]


def order(key, kid, names, **extra):
    payload = {"identifiers": [{"type": "dns", "value": n} for n in names]}
    payload.update(extra)
    return post(d["newOrder"], key, payload, kid=kid)


def complete(key, kid, resp, names):
    """Validate and finalize the order in resp: the certificate."""
    st, h, b = resp
    check("newOrder %s: 201" % names[0], st == 201, b)
    o = json.loads(b)
    for z_url in o["authorizations"]:
        z = json.loads(post(z_url, key, None, kid=kid)[2])
        ch = [c for c in z["challenges"] if c["type"] == "http-01"][0]
        answers[ch["token"]] = ch["token"] + "." + key.thumbprint()
        post(ch["url"], key, {}, kid=kid)
    ck = Key("ec256")
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    ).add_extension(x509.SubjectAlternativeName(
        [x509.DNSName(n) for n in names]), critical=False).sign(
        ck.priv, hashes.SHA256())
    st, h, b = post(o["finalize"], key, {"csr": b64(csr.public_bytes(
        serialization.Encoding.DER))}, kid=kid)
    check("finalize %s: valid" % names[0], st == 200 and
          json.loads(b).get("status") == "valid", b)
    st, h, b = post(json.loads(b)["certificate"], key, None, kid=kid)
    return x509.load_pem_x509_certificate(b)


def cert_id(cert):
    aki = cert.extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier
    n = cert.serial_number
    return b64(aki) + "." + b64(n.to_bytes(n.bit_length() // 8 + 1, "big"))


def when(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def renewal_info(cert):
    return request(d["renewalInfo"] + "/" + cert_id(cert))


def utc(cert, name):
    """not_valid_before/after as a timestamp, on old and new
    python3-cryptography (the *_utc properties came in 42)."""
    t = getattr(cert, name + "_utc", None)
    if t is None:
        t = getattr(cert, name).replace(tzinfo=datetime.timezone.utc)
    return t.timestamp()


def nb(cert):
    return utc(cert, "not_valid_before")


def na(cert):
    return utc(cert, "not_valid_after")


# ---- the directory ---------------------------------------------------------
check("directory: renewalInfo",
      d.get("renewalInfo", "").endswith("/acme/tls-server/renewal-info"), d)
check("directory: meta.profiles lists the exposed profiles",
      sorted(d.get("meta", {}).get("profiles", {})) ==
      ["tls-client", "tls-server"] and
      d["meta"]["profiles"]["tls-server"] ==
      "TLS server certificates for example.com", d)

# ---- renewalInfo -----------------------------------------------------------
key, kid = account()
names = ["www.example.com"]
cert1 = complete(key, kid, order(key, kid, names), names)
st, h, b = renewal_info(cert1)
w = json.loads(b).get("suggestedWindow", {}) if st == 200 else {}
life = na(cert1) - nb(cert1)
check("renewalInfo: 200 with a suggestedWindow and Retry-After",
      st == 200 and "start" in w and "end" in w and
      int(h.get("Retry-After", "0")) > 0, (st, h, b))
check("renewalInfo: the window lies in the last third of the validity",
      w and nb(cert1) + life * 2 / 3 - 2 <= when(w["start"]) <
      when(w["end"]) <= na(cert1), (w, nb(cert1), na(cert1)))
aki, ser = cert_id(cert1).split(".")
problem("a certID without a dot", request(d["renewalInfo"] + "/" + aki),
        400, "malformed")
problem("a certID with padding",
        request(d["renewalInfo"] + "/" + aki + "." + ser + "="), 400,
        "malformed")
problem("a certID with a negative serial",
        request(d["renewalInfo"] + "/" + aki + "." + b64(b"\x80\x01")), 400,
        "malformed")
problem("a certID with a serial not in DER",
        request(d["renewalInfo"] + "/" + aki + "." + b64(b"\x00\x01")), 400,
        "malformed")
problem("an unknown serial",
        request(d["renewalInfo"] + "/" + aki + "." + b64(b"\x01" * 16)),
        404, "malformed")
problem("another CA's key identifier",
        request(d["renewalInfo"] + "/" + b64(b"\x02" * 20) + "." + ser),
        404, "malformed")

# renew-early: the window has begun.
serial_hex = "%x" % cert1.serial_number
r = subprocess.run([signet, "acme", "renew-early", "--serial", serial_hex],
                   capture_output=True, text=True)
check("signet acme renew-early --serial", r.returncode == 0,
      r.stdout + r.stderr)
audit = open("ca/audit.log").read() if os.path.exists("ca/audit.log") else ""
check("renew-early is audited (acme.renew-early)",
      '"event":"acme.renew-early"' in audit and serial_hex in audit)
for args in (["--all", "--serial", serial_hex], [], ["--serial", serial_hex,
                                                    "--profile", "x"]):
    r = subprocess.run([signet, "acme", "renew-early"] + args,
                       capture_output=True, text=True)
    check("renew-early %s: exit 2" % " ".join(args), r.returncode == 2,
          r.stdout + r.stderr)
r = subprocess.run([signet, "acme", "renew-early", "--serial", "99" * 16],
                   capture_output=True, text=True)
check("renew-early of an unknown serial: exit 41", r.returncode == 41,
      r.stdout + r.stderr)
st, h, b = renewal_info(cert1)
w = json.loads(b).get("suggestedWindow", {}) if st == 200 else {}
check("after renew-early the window has begun",
      w and when(w["start"]) <= time.time() + 1 and
      when(w["end"]) <= time.time() + 61, (st, b))

# ---- replaces --------------------------------------------------------------
repl = order(key, kid, names, replaces=cert_id(cert1))
other = order(key, kid, names, replaces=cert_id(cert1))
problem("a second order replacing the same certificate", other, 409,
        "alreadyReplaced")
cert2 = complete(key, kid, repl, names)
check("the replacement is a new certificate",
      cert2.serial_number != cert1.serial_number)
problem("replacing a certificate already replaced",
        order(key, kid, names, replaces=cert_id(cert1)), 409,
        "alreadyReplaced")
problem("replaces with a malformed certID",
        order(key, kid, names, replaces="nodot"), 400, "malformed")
okey, okid = account()
problem("replaces naming another account's certificate",
        order(okey, okid, names, replaces=cert_id(cert2)), 403,
        "unauthorized")
problem("replaces with no identifier in common",
        order(key, kid, ["api.example.com"], replaces=cert_id(cert2)), 400,
        "malformed")
out = os.path.join(os.getcwd(), "export.jsonl")
r = subprocess.run([signet, "db", "export", out], capture_output=True,
                   text=True)
rows = [json.loads(l) for l in open(out)] if r.returncode == 0 else []
sup = [x for x in rows if x.get("t") == "supersessions"]
check("the store links the new certificate to the one it replaces",
      any(int(x["serial"], 16) == cert1.serial_number and
          int(x["successor_serial"], 16) == cert2.serial_number
          for x in sup), (r.stderr, sup))
check("db export carries the renew-early mark",
      any(x.get("t") == "acme_renew_early" and
          int(x["serial"], 16) == cert1.serial_number for x in rows), rows)

# ---- profiles --------------------------------------------------------------
problem("an unknown profile", order(okey, okid, ["dns.example.com"],
                                    profile="nosuch"), 400, "invalidProfile")
problem("a profile of the policy not exposed over ACME",
        order(okey, okid, ["dns.example.com"], profile="mtls"), 400,
        "invalidProfile")
problem("a profile that is not a string",
        order(okey, okid, ["dns.example.com"], profile=7), 400, "malformed")
resp = order(okey, okid, ["dns.example.com"], profile="tls-client")
check("the order shows its profile",
      resp[0] == 201 and json.loads(resp[2]).get("profile") == "tls-client",
      resp[2])
cert3 = complete(okey, okid, resp, ["dns.example.com"])
listed = json.loads(subprocess.run([signet, "list", "--json"],
                                   capture_output=True, text=True).stdout)
check("newOrder's profile chose the profile of the certificate",
      any(int(x["serial"], 16) == cert3.serial_number and
          x["profile"] == "tls-client" for x in listed))

# ---- rate limits -----------------------------------------------------------
# Certificates per name: www.example.com twice this week for this account.
h, p = problem("a third certificate for one name in a week",
               order(key, kid, names), 429, "rateLimited")
check("... with Retry-After", int(h.get("Retry-After", "0")) > 0, h)
st, h, b = order(key, kid, names, replaces=cert_id(cert2))
check("... but a renewal naming what it replaces is not limited",
      st == 201, b)

# Orders per hour: a bounded loop of up to a thousand pending orders.
lkey, lkid = account()
t0 = time.time()
hit = None
for i in range(1000):
    st, h, b = order(lkey, lkid, ["o%d.example.com" % i])
    if st != 201:
        hit = (i, st, h, b)
        break
check("a thousand pending orders meet the limit (orders-per-hour 150)",
      hit is not None and hit[0] == 150 and hit[1] == 429 and
      json.loads(hit[3]).get("type") ==
      "urn:ietf:params:acme:error:rateLimited" and
      int(hit[2].get("Retry-After", "0")) > 0, hit)
print("  %d orders in %.1f s" % (hit[0] if hit else 1000, time.time() - t0))

# Pending authorizations: 20 per order, 400 at most.
pkey, pkid = account()
hit = None
for i in range(100):
    st, h, b = order(pkey, pkid, ["p%d-%d.example.com" % (i, j)
                                  for j in range(20)])
    if st != 201:
        hit = (i, st, h, b)
        break
check("pending authorizations meet the limit (400)",
      hit is not None and hit[0] == 20 and hit[1] == 429 and
      "pending authorizations" in json.loads(hit[3]).get("detail", ""), hit)

# Others are still served.
fkey, fkid = account()
st, h, b = order(fkey, fkid, ["fresh.example.com"])
check("another account is still served", st == 201, b)
st, h, b = request(http_base + "/metrics", context=None)
text = b.decode()
for limit in ("orders-per-hour", "pending-authorizations",
              "certificates-per-name-per-week"):
    line = [l for l in text.splitlines() if l.startswith(
        'signet_acme_rate_limited_total{limit="%s"}' % limit)]
    check("/metrics counts %s" % limit,
          line and int(line[0].split()[-1]) >= 1, text[-600:])

server.shutdown()
sys.exit(1 if fails else 0)
