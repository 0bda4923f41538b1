#!/usr/bin/python3
"""Judge signet's output with Debian's python3-cryptography.

  x509_judge.py cert FILE.der ISSUER.der
  x509_judge.py crl FILE.der ISSUER.der
  x509_judge.py csr FILE.der

Parses strictly (the Rust DER parser behind load_der_*), reads every field
and every extension value, and verifies the signature with the issuer's
key. Exits non-zero with a traceback on anything it does not accept.
"""
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

PSS = "1.2.840.113549.1.1.10"


def verify(pub, sig, data, obj):
    if obj.signature_algorithm_oid.dotted_string == PSS:
        # signet's RSASSA-PSS: SHA-256, MGF1-SHA-256, 32-byte salt.
        pub.verify(sig, data,
                   padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                               salt_length=32), hashes.SHA256())
    elif isinstance(pub, rsa.RSAPublicKey):
        pub.verify(sig, data, padding.PKCS1v15(),
                   obj.signature_hash_algorithm)
    else:
        pub.verify(sig, data, ec.ECDSA(obj.signature_hash_algorithm))


def touch(exts):
    n = 0
    for e in exts:
        repr(e.value)
        n += 1
    return n


def load(path, kind):
    with open(path, "rb") as f:
        data = f.read()
    return getattr(x509, "load_der_x509_" + kind)(data)


def cert(path, issuer_path):
    c = load(path, "certificate")
    issuer = load(issuer_path, "certificate")
    assert c.version == x509.Version.v3
    assert c.serial_number > 0 and c.serial_number.bit_length() <= 159
    c.subject.rfc4514_string()
    assert c.issuer == issuer.subject, "issuer is not the CA's subject"
    assert c.not_valid_before < c.not_valid_after
    c.public_key()
    n = touch(c.extensions)
    verify(issuer.public_key(), c.signature, c.tbs_certificate_bytes, c)
    print("ok certificate %s: %d extensions" % (path, n))


def crl(path, issuer_path):
    lst = load(path, "crl")
    issuer = load(issuer_path, "certificate")
    assert lst.issuer == issuer.subject
    assert lst.next_update is not None and lst.next_update > lst.last_update
    n = touch(lst.extensions)
    entries = 0
    for r in lst:
        assert r.serial_number > 0
        r.revocation_date
        touch(r.extensions)
        entries += 1
    verify(issuer.public_key(), lst.signature, lst.tbs_certlist_bytes, lst)
    print("ok crl %s: %d extensions, %d entries" % (path, n, entries))


def csr(path):
    r = load(path, "csr")
    r.subject.rfc4514_string()
    touch(r.extensions)
    assert r.is_signature_valid
    print("ok csr %s" % path)


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "cert":
        cert(sys.argv[2], sys.argv[3])
    elif kind == "crl":
        crl(sys.argv[2], sys.argv[3])
    elif kind == "csr":
        csr(sys.argv[2])
    else:
        sys.exit("unknown kind " + kind)
