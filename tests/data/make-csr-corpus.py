#!/usr/bin/python3
"""Hand-made CSRs for tests/data/csr/: a small DER writer builds requests
no tool would produce, and Debian's python3-cryptography signs them (so
that each one fails for the one reason it was made for). Also builds RSA
keys with known weaknesses. Prints expected.txt lines on stdout.

Run by tests/data/make-csr-corpus.sh, which passes the output directory.
"""
import random
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

OUT = sys.argv[1]
EXPECT = []


# ---- DER ---------------------------------------------------------------------

def tlv(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def set_(*items):
    return tlv(0x31, b"".join(sorted(items)))


def oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    body = [40 * arcs[0] + arcs[1]] + arcs[2:]
    out = b""
    for a in body:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.insert(0, 0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(chunk)
    return tlv(0x06, out)


def integer(v):
    n = max(1, (v.bit_length() + 8) // 8)
    return tlv(0x02, v.to_bytes(n, "big", signed=True))


def utf8(s):
    return tlv(0x0C, s if isinstance(s, bytes) else s.encode())


def printable(s):
    return tlv(0x13, s.encode())


NULL = b"\x05\x00"
TRUE = b"\x01\x01\xff"

CN = "2.5.4.3"
O = "2.5.4.10"
EXT_REQ = "1.2.840.113549.1.9.14"
SAN = "2.5.29.17"
ECDSA_SHA256 = "1.2.840.10045.4.3.2"
RSA_SHA256 = "1.2.840.113549.1.1.11"
RSA_PSS = "1.2.840.113549.1.1.10"
RSA_ENC = "1.2.840.113549.1.1.1"


def name(*attrs):
    """attrs: (oid, encoded value) pairs, one RDN each."""
    return seq(*[set_(seq(oid(o), v)) for o, v in attrs])


def gn_dns(s):
    return tlv(0x82, s if isinstance(s, bytes) else s.encode())


def gn_ip(b):
    return tlv(0x87, b)


def ext(o, value, critical=False):
    return seq(oid(o), TRUE if critical else b"", tlv(0x04, value))


def ext_req(*exts):
    return seq(oid(EXT_REQ), set_(seq(*exts)))


def san(*names):
    return ext(SAN, seq(*names))


EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(65537, 2048)


def spki_of(key):
    return key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def csr(subject, attrs=(), key=EC_KEY, spki=None, version=0, alg=None,
        sign=None):
    info = seq(integer(version), subject, spki or spki_of(key),
               tlv(0xA0, b"".join(sorted(attrs))))
    if sign is not None:
        sig = sign(info)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        sig = key.sign(info, ec.ECDSA(hashes.SHA256()))
        alg = alg or seq(oid(ECDSA_SHA256))
    else:
        sig = key.sign(info, padding.PKCS1v15(), hashes.SHA256())
        alg = alg or seq(oid(RSA_SHA256), NULL)
    return seq(info, alg, tlv(0x03, b"\x00" + sig))


def write(fname, der, profile, result, message):
    with open(OUT + "/" + fname, "wb") as f:
        f.write(der)
    EXPECT.append("%s %s %s %s" % (fname, profile, result, message))


A = name((CN, utf8("a.example.com")))
A_SAN = ext_req(san(gn_dns("a.example.com")))

# ---- Text with what no name may contain ---------------------------------------
write("hand-nul-in-cn.der",
      csr(name((CN, utf8(b"a.example.com\x00.evil.com"))), [A_SAN]),
      "tls-server", "POLICY", "subject attribute CN contains a NUL byte")
write("hand-control-in-san.der",
      csr(A, [ext_req(san(gn_dns("a.example.com"), gn_dns(b"b\x01.example.com")))]),
      "tls-server", "POLICY", "contains control character 0x01")
write("hand-raw-unicode-dns.der",
      csr(A, [ext_req(san(gn_dns("a.example.com"), gn_dns("münchen.example.com")))]),
      "tls-server", "POLICY", "raw non-ASCII bytes")
write("hand-bidi-cn.der",
      csr(name((CN, utf8("a.example.com\u202e"))), [A_SAN]),
      "tls-server", "POLICY", "invisible formatting character U+202E")
write("hand-invalid-utf8-cn.der",
      csr(name((CN, utf8(b"a\xc3\x28.example.com"))), [A_SAN]),
      "tls-server", "POLICY", "UTF8String at offset")
write("hand-teletex-cn.der",
      csr(name((CN, tlv(0x14, b"a.example.com"))), [A_SAN]),
      "tls-server", "POLICY", "subject attribute CN is a T61STRING")
write("hand-printable-bad.der",
      csr(name((CN, printable("a@example.com"))), [A_SAN]),
      "tls-server", "POLICY", "PrintableString at offset")

# ---- SANs no profile takes -----------------------------------------------------------
write("hand-othername-san.der",
      csr(A, [ext_req(san(gn_dns("a.example.com"),
                          tlv(0xA0, oid("1.3.6.1.4.1.311.20.2.3") +
                              tlv(0xA0, utf8("upn@example.com")))))]),
      "tls-server", "POLICY", "SAN type otherName is not accepted")
write("hand-dirname-san.der",
      csr(A, [ext_req(san(gn_dns("a.example.com"),
                          tlv(0xA4, name((CN, utf8("x"))))))]),
      "tls-server", "POLICY", "SAN type directoryName is not accepted")
write("hand-ip-wrong-length.der",
      csr(A, [ext_req(san(gn_dns("a.example.com"),
                          gn_ip(bytes([198, 51, 100, 0, 255, 255, 255, 0]))))]),
      "tls-server", "POLICY", "is not an IPv4 or IPv6 address")
write("hand-empty-san.der",
      csr(A, [ext_req(ext(SAN, seq()))]),
      "tls-server", "POLICY", "the requested subjectAltName is empty")
write("hand-san-trailing.der",
      csr(A, [ext_req(ext(SAN, seq(gn_dns("a.example.com")) + b"\x00\x00"))]),
      "tls-server", "POLICY", "subjectAltName is not valid DER")

# ---- Extension requests ------------------------------------------------------------------
write("hand-duplicate-san-ext.der",
      csr(A, [ext_req(san(gn_dns("a.example.com")),
                      san(gn_dns("b.example.com")))]),
      "tls-server", "POLICY", "extension subjectAltName is requested twice")
write("hand-ext-req-twice.der",
      csr(A, [A_SAN, ext_req(san(gn_dns("b.example.com")))]),
      "tls-server", "POLICY", "more than one extensionRequest")
write("hand-ms-ext-req.der",
      csr(A, [seq(oid("1.3.6.1.4.1.311.2.1.14"),
                  set_(seq(san(gn_dns("a.example.com")))))]),
      "tls-server", "POLICY", "Microsoft's extension request")
write("hand-bool-not-der.der",
      csr(A, [ext_req(seq(oid(SAN), b"\x01\x01\x01",
                          tlv(0x04, seq(gn_dns("a.example.com")))))]),
      "tls-server", "POLICY", "BOOLEAN at offset")
write("hand-challenge-password.der",
      csr(A, [A_SAN, seq(oid("1.2.840.113549.1.9.7"), set_(utf8("secret")))]),
      "tls-server", "OK", "-")

# ---- Structure and signature --------------------------------------------------------
write("hand-version-2.der", csr(A, [A_SAN], version=1),
      "tls-server", "POLICY", "version is 1")
write("hand-ecdsa-params.der",
      csr(A, [A_SAN], alg=seq(oid(ECDSA_SHA256), NULL)),
      "tls-server", "POLICY", "has parameters (RFC 5758 3.2)")
write("hand-sig-key-mismatch.der",
      csr(A, [A_SAN], key=RSA_KEY, alg=seq(oid(ECDSA_SHA256))),
      "tls-server", "POLICY", "does not fit its RSA key")
write("hand-pss-sha1.der",
      csr(A, [A_SAN], key=RSA_KEY, alg=seq(oid(RSA_PSS), seq()),
          sign=lambda tbs: RSA_KEY.sign(
              tbs, padding.PSS(padding.MGF1(hashes.SHA1()), 20),
              hashes.SHA1())),
      "tls-server", "POLICY", "RSASSA-PSS parameters are not accepted")

# ---- Keys ---------------------------------------------------------------------------------
pub = EC_KEY.public_key().public_bytes(serialization.Encoding.X962,
                                       serialization.PublicFormat.CompressedPoint)
write("hand-ec-compressed.der",
      csr(A, [A_SAN], spki=seq(seq(oid("1.2.840.10045.2.1"),
                                   oid("1.2.840.10045.3.1.7")),
                               tlv(0x03, b"\x00" + pub))),
      "tls-server", "POLICY", "not an uncompressed point")
rsa_pub = RSA_KEY.public_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.PKCS1)
write("hand-rsa-params-absent.der",
      csr(A, [A_SAN], key=RSA_KEY,
          spki=seq(seq(oid(RSA_ENC)), tlv(0x03, b"\x00" + rsa_pub))),
      "tls-server", "POLICY", "algorithm parameters are not NULL")


def is_prime(n, rounds=40):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(random.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits):
    while True:
        p = random.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if (p - 1) % 65537 and is_prime(p):
            return p


def key_from_primes(p, q):
    e = 65537
    n = p * q
    d = pow(e, -1, (p - 1) * (q - 1))
    priv = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n))
    return priv.private_key()


def first_primes(limit):
    return [p for p in range(2, limit + 1) if is_prime(p)]


def roca_prime(bits, m):
    """k * M + (65537^a mod M): the structure of Infineon's primes."""
    g = 65537
    while True:
        a = random.randrange(1, 1 << 20)
        k = random.getrandbits(bits - m.bit_length()) | (1 << (bits - m.bit_length() - 1))
        p = k * m + pow(g, a, m)
        if p.bit_length() == bits and (p - 1) % 65537 and is_prime(p):
            return p


M = 1
for r in first_primes(701):
    M *= r
while True:
    p, q = roca_prime(1024, M), roca_prime(1024, M)
    if (p * q).bit_length() == 2048:
        break
write("hand-rsa-roca.der", csr(A, [A_SAN], key=key_from_primes(p, q)),
      "tls-server", "POLICY", "ROCA fingerprint")

while True:
    p = random_prime(1024)
    q = p + random.getrandbits(400) + 2
    q |= 1
    while (q - 1) % 65537 == 0 or not is_prime(q):
        q += 2
    if (p * q).bit_length() == 2048:
        break
write("hand-rsa-fermat.der", csr(A, [A_SAN], key=key_from_primes(p, q)),
      "tls-server", "POLICY", "Fermat's method factors the modulus")

while True:
    q = random_prime(2046)
    if (3 * q).bit_length() == 2048:
        break
write("hand-rsa-small-factor.der", csr(A, [A_SAN], key=key_from_primes(3, q)),
      "tls-server", "POLICY", "small factor 3")

print("\n".join(EXPECT))
