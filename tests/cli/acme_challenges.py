#!/usr/bin/env python3
"""dns-01, tls-alpn-01 and wildcard names against signet serve, good and
hostile. TXT records go into the zone file of the nsd the shell test
started (then SIGHUP); tls-alpn-01 is answered by a TLS server here with
certificates made by python3-cryptography.
Usage: acme_challenges.py DIRECTORY_URL CA_BUNDLE ALPN_PORT DNS_PORT
ZONE_FILE NSD_PID"""
import datetime
import hashlib
import json
import os
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from acme_jws import Key, b64, jws

(directory_url, bundle, alpn_port, dns_port, zone_file,
 nsd_pid) = (sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
             sys.argv[5], int(sys.argv[6]))
ctx = ssl.create_default_context(cafile=bundle)
fails = 0
tmp = tempfile.mkdtemp()


def check(what, cond, detail=""):
    global fails
    if cond:
        print("ok: " + what)
    else:
        print("FAIL: %s %s" % (what, detail), file=sys.stderr)
        fails += 1


def request(url, body=None, method=None):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/jose+json")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


d = json.loads(request(directory_url)[2])
nonces = []


def post(url, key, payload, kid=None, directory=None):
    if nonces:
        n = nonces.pop()
    else:
        n = request((directory or d)["newNonce"], method="HEAD")[1][
            "Replay-Nonce"]
    st, h, b = request(url, jws(key, url, n, payload, kid=kid))
    if "Replay-Nonce" in h:
        nonces.append(h["Replay-Nonce"])
    return st, h, b


key = Key("ec256")
st, h, b = post(d["newAccount"], key, {"termsOfServiceAgreed": True})
check("newAccount: 201", st == 201, b)
kid = h["Location"]


def digest(token):
    return hashlib.sha256((token + "." + key.thumbprint()).encode()).digest()


# ---- DNS: TXT records into the zone, nsd told to read it again --------

def dns_query(name, qtype=16):
    """The raw answer of nsd for name (UDP), or b""."""
    q = struct.pack(">HHHHHH", 0x5151, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", qtype, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    try:
        s.sendto(q, ("127.0.0.1", dns_port))
        return s.recv(4096)
    except OSError:
        return b""
    finally:
        s.close()


def zone_add(lines, wait_name, wait_for):
    """Append records, reload nsd, wait (10 s at most) until wait_name's
    TXT answer holds wait_for."""
    with open(zone_file, "a") as f:
        f.write("".join(line + "\n" for line in lines))
    os.kill(nsd_pid, signal.SIGHUP)
    for _ in range(50):
        if wait_for.encode() in dns_query(wait_name):
            return
        time.sleep(0.2)
    check("nsd serves the new records of %s" % wait_name, False)


def order(names, k=None, k_kid=None, directory=None):
    """An order for names; one with an address is for profile acme-lab
    (the profiles extension), whose policy takes loopback addresses."""
    k, k_kid, directory = k or key, k_kid or kid, directory or d
    ids = [{"type": "ip" if n[0].isdigit() or ":" in n else "dns",
            "value": n} for n in names]
    payload = {"identifiers": ids}
    if any(i["type"] == "ip" for i in ids):
        payload["profile"] = "acme-lab"
    st, h, b = post(directory["newOrder"], k, payload, kid=k_kid,
                    directory=directory)
    return st, h, b


def authzs(o):
    return [json.loads(post(u, key, None, kid=kid)[2])
            for u in o["authorizations"]]


def respond(z, typ):
    ch = [c for c in z["challenges"] if c["type"] == typ][0]
    st, h, b = post(ch["url"], key, {}, kid=kid)
    return json.loads(b)


def csr(names):
    k = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in names]
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
    b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return b64(b.sign(k, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER))


def finalize(o_url, names):
    o = json.loads(post(o_url, key, None, kid=kid)[2])
    st, h, b = post(o["finalize"], key, {"csr": csr(names)}, kid=kid)
    o = json.loads(b)
    if o.get("status") != "valid":
        return None, b
    st, h, pem = post(o["certificate"], key, None, kid=kid)
    return x509.load_pem_x509_certificate(pem), pem


# dns-01 for a name: offered beside http-01 and tls-alpn-01.
st, h, b = order(["dns01.example.com"])
check("newOrder dns01.example.com: 201", st == 201, b)
o_url, o = h["Location"], json.loads(b)
z = authzs(o)[0]
check("a name's authorization offers http-01, dns-01 and tls-alpn-01",
      sorted(c["type"] for c in z["challenges"]) ==
      ["dns-01", "http-01", "tls-alpn-01"], z)
tok = [c for c in z["challenges"] if c["type"] == "dns-01"][0]["token"]
value = b64(digest(tok))
zone_add(['_acme-challenge.dns01 IN TXT "unrelated"',
          '_acme-challenge.dns01 IN TXT "%s"' % value],
         "_acme-challenge.dns01.example.com", value)
c = respond(z, "dns-01")
check("dns-01 with the TXT record among others: valid",
      c.get("status") == "valid", c)
cert, pem = finalize(o_url, ["dns01.example.com"])
check("dns01.example.com: issued", cert is not None, pem)

# dns-01 through a CNAME the answer covers (in the zone).
st, h, b = order(["alias.example.com"])
z = authzs(json.loads(b))[0]
tok = [c for c in z["challenges"] if c["type"] == "dns-01"][0]["token"]
value = b64(digest(tok))
zone_add(['alias-target IN TXT "%s"' % value],
         "alias-target.example.com", value)
c = respond(z, "dns-01")
check("dns-01 through a CNAME: valid", c.get("status") == "valid", c)


def dns01_fails(name, needle):
    st, h, b = order([name])
    z = authzs(json.loads(b))[0]
    c = respond(z, "dns-01")
    check("dns-01 for %s is invalid (%s)" % (name, needle),
          c.get("status") == "invalid" and
          needle in c.get("error", {}).get("detail", ""), c)
    z = authzs(json.loads(b))[0]
    check("... and its authorization", z.get("status") == "invalid", z)


# Hostile DNS: an answer over the bound (TCP after a truncated UDP one),
# a CNAME loop, the wrong value, no record at all.
dns01_fails("big.example.com", "more than 4096")
dns01_fails("loop.example.com", "CNAMEs")
dns01_fails("wrong.example.com", "none of its 1 TXT records")
dns01_fails("nx.example.com", "no TXT record for _acme-challenge.nx")

# A wildcard: the authorization is for the base name, dns-01 only.
st, h, b = order(["*.wild.example.com", "wild.example.com"])
check("newOrder *.wild.example.com: 201", st == 201, b)
o_url, o = h["Location"], json.loads(b)
check("the order lists the wildcard",
      {"type": "dns", "value": "*.wild.example.com"} in o["identifiers"],
      o)
zs = authzs(o)
wz = [z for z in zs if z.get("wildcard")]
check("one authorization is marked wildcard, for wild.example.com",
      len(wz) == 1 and wz[0]["identifier"] ==
      {"type": "dns", "value": "wild.example.com"}, zs)
check("... offering dns-01 only",
      [c["type"] for c in wz[0]["challenges"]] == ["dns-01"], wz)
values = []
for z in zs:
    tok = [c for c in z["challenges"] if c["type"] == "dns-01"][0]["token"]
    values.append(b64(digest(tok)))
zone_add(['_acme-challenge.wild IN TXT "%s"' % v for v in values],
         "_acme-challenge.wild.example.com", values[-1])
for z in zs:
    c = respond(z, "dns-01")
    check("dns-01 for %s%s: valid" % (
        "*." if z.get("wildcard") else "", z["identifier"]["value"]),
        c.get("status") == "valid", c)
st, h, b = post(o["finalize"], key, {"csr": csr(["other.example.com"])},
                kid=kid)
check("a CSR for a name the wildcard order does not hold: badCSR",
      st == 400 and b"badCSR" in b, b)
cert, pem = finalize(o_url, ["*.wild.example.com", "wild.example.com"])
check("the wildcard certificate is issued", cert is not None, pem)
if cert is not None:
    names = cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    check("... for *.wild.example.com and wild.example.com",
          sorted(names) == ["*.wild.example.com", "wild.example.com"], names)
    with open(os.path.join(os.path.dirname(zone_file), "..",
                           "wildcard.pem"), "wb") as f:
        f.write(pem)

# A wildcard longer than 253 characters in all.
long_base = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 48, "example.com"])
st, h, b = order(["*." + long_base])
check("a wildcard of %d characters: 400 rejectedIdentifier" %
      (len(long_base) + 2), st == 400 and b"rejectedIdentifier" in b, b)

# A profile without wildcards refuses them at newOrder.
mtls = json.loads(request(directory_url.replace("/tls-server/",
                                                "/mtls/"))[2])
mkey = Key("ec256")
st, h, b = post(mtls["newAccount"], mkey, {"termsOfServiceAgreed": True},
                directory=mtls)
st, h, b = order(["*.example.com"], mkey, h.get("Location"), mtls)
p = json.loads(b)
check("a wildcard where the profile has wildcards: false: "
      "400 rejectedIdentifier", st == 400 and p.get("type") ==
      "urn:ietf:params:acme:error:rejectedIdentifier", b)

# ---- tls-alpn-01 ------------------------------------------------------

ACME_ID = ObjectIdentifier("1.3.6.1.5.5.7.1.31")


def alpn_cert(san, ext_value, critical=True, extra_san=None):
    k = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.utcnow()
    names = [san] + ([extra_san] if extra_san else [])
    b = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(
             NameOID.COMMON_NAME, "acme")]))
         .issuer_name(x509.Name([x509.NameAttribute(
             NameOID.COMMON_NAME, "acme")]))
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(minutes=5))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.SubjectAlternativeName(names), critical=False))
    if ext_value is not None:
        b = b.add_extension(x509.UnrecognizedExtension(ACME_ID, ext_value),
                            critical=critical)
    c = b.sign(k, hashes.SHA256())
    cf, kf = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    with open(cf, "wb") as f:
        f.write(c.public_bytes(serialization.Encoding.PEM))
    with open(kf, "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    return cf, kf


class AlpnServer(threading.Thread):
    """Answers TLS on 127.0.0.1:ALPN_PORT with the context set last."""

    def __init__(self, family=socket.AF_INET, addr="127.0.0.1"):
        super().__init__(daemon=True)
        self.sock = socket.socket(family)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, alpn_port))
        self.sock.listen(8)
        self.ctx = None
        self.snis = []

    def use(self, cert_key, protocols=("acme-tls/1",)):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        c.load_cert_chain(*cert_key)
        c.set_alpn_protocols(list(protocols))
        c.sni_callback = lambda s, name, c2: self.snis.append(name)
        self.ctx = c

    def run(self):
        while True:
            conn, _ = self.sock.accept()
            try:
                s = self.ctx.wrap_socket(conn, server_side=True)
                s.close()
            except (OSError, ssl.SSLError):
                conn.close()


srv = AlpnServer()
srv.start()
srv6 = AlpnServer(socket.AF_INET6, "::1")
srv6.start()


def alpn(name, make, protocols=("acme-tls/1",)):
    """An order for name, its tls-alpn-01 answered with make(digest)."""
    st, h, b = order([name])
    z = authzs(json.loads(b))[0]
    tok = [c for c in z["challenges"]
           if c["type"] == "tls-alpn-01"][0]["token"]
    (srv6 if ":" in name else srv).use(make(digest(tok)), protocols)
    return respond(z, "tls-alpn-01")


def good(san):
    return lambda dg: alpn_cert(san, b"\x04\x20" + dg)


c = alpn("tls.example.com", good(x509.DNSName("tls.example.com")))
check("tls-alpn-01 for a name: valid", c.get("status") == "valid", c)
check("... with the name as SNI", "tls.example.com" in srv.snis, srv.snis)
c = alpn("127.0.0.1", good(x509.IPAddress(
    __import__("ipaddress").ip_address("127.0.0.1"))))
check("tls-alpn-01 for 127.0.0.1: valid", c.get("status") == "valid", c)
check("... with the reverse name as SNI (RFC 8738)",
      "1.0.0.127.in-addr.arpa" in srv.snis, srv.snis)
c = alpn("::1", good(x509.IPAddress(
    __import__("ipaddress").ip_address("::1"))))
check("tls-alpn-01 for ::1: valid", c.get("status") == "valid", c)
check("... with the ip6.arpa reverse name as SNI", "1." + "0." * 31 +
      "ip6.arpa" in srv6.snis, srv6.snis)


def alpn_fails(what, name, make, needle, protocols=("acme-tls/1",)):
    c = alpn(name, make, protocols)
    check("tls-alpn-01 %s: invalid (%s)" % (what, needle),
          c.get("status") == "invalid" and
          needle in c.get("error", {}).get("detail", ""), c)


dn = x509.DNSName("tls.example.com")
alpn_fails("with the wrong digest", "tls.example.com",
           lambda dg: alpn_cert(dn, b"\x04\x20" + bytes(32)),
           "not the SHA-256")
alpn_fails("with a non-critical acmeIdentifier", "tls.example.com",
           lambda dg: alpn_cert(dn, b"\x04\x20" + dg, critical=False),
           "not critical")
alpn_fails("without acmeIdentifier", "tls.example.com",
           lambda dg: alpn_cert(dn, None), "one acmeIdentifier")
alpn_fails("with a second name", "tls.example.com",
           lambda dg: alpn_cert(dn, b"\x04\x20" + dg,
                                extra_san=x509.DNSName("x.example.com")),
           "not exactly tls.example.com")
alpn_fails("for another name", "tls.example.com",
           lambda dg: alpn_cert(x509.DNSName("x.example.com"),
                                b"\x04\x20" + dg),
           "not exactly tls.example.com")
alpn_fails("without acme-tls/1 selected", "tls.example.com",
           good(dn), "did not select", protocols=("http/1.1",))
alpn_fails("to an address the guard refuses", "private.example.com",
           good(x509.DNSName("private.example.com")),
           "not one validation may connect to")
sys.exit(1 if fails else 0)
