#!/usr/bin/python3
"""Writes the hostile corpus of tests/cli/hostile.sh.

  make-hostile.py            (re)write der/, yaml/ and audit/ here
  make-hostile.py --big DIR  write the large inputs (over every size cap)
                             into DIR; the test makes them at run time so
                             that they are not committed

der/    malformed DER and PEM for signet lint and for CSR input: truncated,
        trailing bytes, BER (long-form and indefinite lengths), deep
        nesting, huge and overflowing lengths, broken PEM armour, bytes
        patched into an otherwise good certificate (a BER boolean, invalid
        UTF-8, a garbled time).
yaml/   hostile YAML for the policy, signet.yaml and ceremony loaders:
        alias and anchor bombs, merge keys, deep nesting, wrong types at
        the top and inside, numbers out of range, tags, several documents,
        NUL bytes, invalid UTF-8, tabs, duplicate and complex keys.
audit/  hostile audit logs for signet audit verify (against key.pem, the
        public half of tests/fuzz's corpus key): oversized numbers, deep
        JSON, NUL and non-ASCII bytes, CRLF, duplicate members, a torn
        last line, garbage.

The certificate, CRL and CSR the DER cases start from are made here with
python3-cryptography (a fresh key each time: rerunning changes the bytes,
not what each case is). tests/data/hostile/expected.txt says what signet
must answer to each file.
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)


def pem(label, der):
    import base64
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n"
            % (label, "\n".join(lines), label))


def base_objects():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         "hostile.example.com")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(0x1234567890abcdef)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("hostile.example.com")]), critical=False)
            .sign(key, hashes.SHA256()))
    crl = (x509.CertificateRevocationListBuilder()
           .issuer_name(name).last_update(now)
           .next_update(now + datetime.timedelta(days=7))
           .add_extension(x509.CRLNumber(1), critical=False)
           .sign(key, hashes.SHA256()))
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(name)
           .add_extension(x509.SubjectAlternativeName(
               [x509.DNSName("hostile.example.com")]), critical=False)
           .sign(key, hashes.SHA256()))
    enc = serialization.Encoding.DER
    return (cert.public_bytes(enc), crl.public_bytes(enc),
            csr.public_bytes(enc))


def outer(der):
    """The outer element's tag and content."""
    n = der[1]
    if n < 0x80:
        return der[0], der[2:2 + n]
    k = n & 0x7f
    length = int.from_bytes(der[2:2 + k], "big")
    return der[0], der[2 + k:2 + k + length]


def long_form(der):
    """The outer length in four bytes, longer than DER allows."""
    tag, content = outer(der)
    return bytes([tag, 0x84]) + len(content).to_bytes(4, "big") + content


def indefinite(der):
    """The outer element with an indefinite length (BER only)."""
    tag, content = outer(der)
    return bytes([tag, 0x80]) + content + b"\x00\x00"


def patch(der, old, new):
    assert len(old) == len(new) and der.count(old) >= 1, old
    return der.replace(old, new)


def write_der(cert, crl, csr):
    d = os.path.join(HERE, "der")
    cases = {
        "cert-truncated.der": cert[:len(cert) // 2],
        "cert-trailing.der": cert + b"\x00\x01trailing",
        "cert-long-form-length.der": long_form(cert),
        "cert-indefinite-length.der": indefinite(cert),
        "cert-set-not-sequence.der": b"\x31" + cert[1:],
        # BasicConstraints cA TRUE written 01 (BER) instead of ff (DER).
        "cert-ber-boolean.der": patch(cert, b"\x30\x03\x01\x01\xff",
                                       b"\x30\x03\x01\x01\x01"),
        "cert-bad-utf8.der": patch(cert, b"\x0c\x13hostile.example.com",
                                   b"\x0c\x13hostile\xff\xfexample.com"),
        "cert-bad-time.der": patch(cert, b"260101000000Z", b"26o1O1ooOOOOZ"),
        "crl-truncated.der": crl[:len(crl) - 10],
        "crl-trailing.der": crl + b"\x30\x00",
        "crl-indefinite-length.der": indefinite(crl),
        "csr-truncated.der": csr[:len(csr) // 2],
        "csr-trailing.der": csr + b"\x00",
        "csr-long-form-length.der": long_form(csr),
        "csr-indefinite-length.der": indefinite(csr),
        # Nested SEQUENCEs, definite and indefinite: no recursion may
        # follow them to the bottom.
        "nest-definite-4000.der": nest_definite(4000),
        "length-2gib.der": b"\x30\x84\x7f\xff\xff\xff" + b"\x02\x01\x00",
        "length-8-bytes.der": b"\x30\x88" + b"\xff" * 8 + b"\x02\x01\x00",
        "length-9-bytes.der": b"\x30\x89" + b"\x01" * 9 + b"\x02\x01\x00",
        "length-indefinite-primitive.der": b"\x02\x80\x01\x00\x00",
        "empty.der": b"",
        "one-byte.der": b"\x30",
        "tag-high-number.der": b"\x1f\xff\xff\xff\xff\xff\xff\x7f\x00",
        "pem-bad-base64.pem": pem("CERTIFICATE", cert).replace("M", "!", 3),
        "pem-no-end.pem": pem("CERTIFICATE", cert).split("-----END")[0],
        "pem-label-mismatch.pem": pem("X509 CRL", cert),
        "pem-csr-label-cert.pem": pem("CERTIFICATE REQUEST", cert),
        "pem-empty-body.pem": "-----BEGIN CERTIFICATE-----\n"
        "-----END CERTIFICATE-----\n",
        "pem-nested-begin.pem": "-----BEGIN CERTIFICATE-----\n"
        + pem("CERTIFICATE", cert) + "-----END CERTIFICATE-----\n",
        "pem-header-only.pem": "-----BEGIN CERTIFICATE-----\n",
        "pem-nul-in-body.pem": pem("CERTIFICATE", cert).replace("\n", "\n\0",
                                                                 2),
        "pem-cert-trailing-garbage.pem": pem("CERTIFICATE",
                                             cert + b"\x05\x00"),
    }
    for name, data in cases.items():
        write(os.path.join(d, name), data)


def nest_definite(depth):
    inner = b"\x05\x00"
    for _ in range(depth):
        n = len(inner)
        if n < 0x80:
            inner = bytes([0x30, n]) + inner
        elif n < 0x100:
            inner = bytes([0x30, 0x81, n]) + inner
        elif n < 0x10000:
            inner = bytes([0x30, 0x82, n >> 8, n & 0xff]) + inner
        else:
            inner = bytes([0x30, 0x83, n >> 16, (n >> 8) & 0xff,
                           n & 0xff]) + inner
    return inner


def alias_bomb():
    """Nine levels of nine aliases each: 9^9 strings if expanded."""
    out = ["a: &a [" + ", ".join(["lol"] * 9) + "]"]
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        out.append("%s: &%s [%s]" % (cur, cur, ", ".join(["*" + prev] * 9)))
    return "\n".join(out) + "\n"


# Hostile YAML for every loader: name and text.
GENERIC_YAML = {
    "alias-bomb.yaml": alias_bomb(),
    "anchor-merge.yaml": "base: &b {version: 1}\nversion: 1\n<<: *b\n",
    "deep-flow.yaml": "version: 1\nx: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-block.yaml": "version: 1\n"
    + "".join("  " * i + "k%d:\n" % i for i in range(60)) + "  " * 60
    + "v: 1\n",
    "top-list.yaml": "- version: 1\n- profiles: []\n",
    "top-scalar.yaml": "just a string\n",
    "top-null.yaml": "~\n",
    "version-huge.yaml": "version: 99999999999999999999999999999\n",
    "version-negative.yaml": "version: -1\n",
    "version-float.yaml": "version: 1.5e308\n",
    "version-string.yaml": "version: \"one\"\n",
    "version-map.yaml": "version: {major: 1}\n",
    "tag-binary.yaml": "version: !!binary AQID\n",
    "tag-custom.yaml": "version: !python/object:os.system 1\n",
    "two-docs.yaml": "version: 1\n---\nversion: 2\n",
    "nul-byte.yaml": "version: 1\n\0profiles: []\n",
    "bad-utf8.yaml": "version: 1\nname: \xff\xfe\n",
    "tab-indent.yaml": "version: 1\nprofiles:\n\t- name: x\n",
    "duplicate-key.yaml": "version: 1\nversion: 1\n",
    "complex-key.yaml": "? [version]\n: 1\n",
    "unclosed-quote.yaml": "version: \"1\n",
    "empty.yaml": "",
    "comments-only.yaml": "# nothing\n# at all\n",
}

# A policy that loads, for the cases that break one value of it.
EE_POLICY = """version: 1
profiles:
  - name: tls-server
    keys: [ec-p256]
    names:
      max: 1
      dns:
        allow: [.example.com]
    common-name: optional
    subject:
      from-csr: [CN]
    validity:
      max: 90d
    key-usage: [digitalSignature]
    extended-key-usage: [serverAuth]
"""

POLICY_YAML = {
    "policy-valid.yaml": EE_POLICY,
    "policy-profiles-string.yaml": "version: 1\nprofiles: \"all\"\n",
    "policy-profile-list-of-lists.yaml": "version: 1\nprofiles:\n  - [a, b]\n",
    "policy-keys-map.yaml": "version: 1\nprofiles:\n  - name: p\n"
    "    keys: {ec-p256: yes}\n",
    "policy-max-sans-huge.yaml": EE_POLICY.replace("max: 1\n",
                                                   "max: 18446744073709551617\n"),
    "policy-validity-overflow.yaml": EE_POLICY.replace(
        "max: 90d", "max: 99999999999999999999d"),
    "policy-sans-negative.yaml": EE_POLICY.replace("max: 1\n", "max: -5\n"),
}

CONFIG_YAML = {
    "config-token-list.yaml": "version: 1\ntoken: [a, b]\n",
    "config-sessions-huge.yaml": "version: 1\ntoken:\n"
    "  key: \"pkcs11:token=ca;object=k\"\n  sessions: 4294967296\n",
    "config-database-map.yaml": "version: 1\ndatabase: {url: x}\n",
    "config-audit-log-null.yaml": "version: 1\naudit:\n  log: ~\n",
    "config-pin-value.yaml": "version: 1\ntoken:\n"
    "  key: \"pkcs11:token=ca;object=k?pin-value=1234\"\n",
}

CEREMONY_YAML = {
    "ceremony-type-map.yaml": "ceremony: {root: key}\n",
    "ceremony-operators-map.yaml": "ceremony: root-key\noperators: {a: b}\n",
    "ceremony-key-id-huge.yaml": "ceremony: root-key\ndescription: x\n"
    "operators: [a]\ntoken:\n  uri: \"pkcs11:token=root\"\n"
    "  pin-source: file:pin\nkey:\n  type: ec-p384\n  label: k\n  id: \""
    + "ab" * 5000 + "\"\noutputs:\n  public-key: k.pem\n",
    "ceremony-pin-in-file.yaml": "ceremony: root-key\ndescription: x\n"
    "operators: [a]\ntoken:\n  uri: \"pkcs11:token=root?pin-value=1234\"\n"
    "key:\n  type: ec-p384\n  label: k\n  id: \"01\"\n"
    "outputs:\n  public-key: k.pem\n",
    "ceremony-output-traversal.yaml": "ceremony: root-key\ndescription: x\n"
    "operators: [a]\ntoken:\n  uri: \"pkcs11:token=root\"\n"
    "  pin-source: file:pin\nkey:\n  type: ec-p384\n  label: k\n  id: \"01\"\n"
    "outputs:\n  public-key: /dev/full\n",
}


def write_yaml():
    d = os.path.join(HERE, "yaml")
    for table in (GENERIC_YAML, POLICY_YAML, CONFIG_YAML, CEREMONY_YAML):
        for name, text in table.items():
            write(os.path.join(d, name), text.encode("latin-1"))


def write_audit():
    import json
    d = os.path.join(HERE, "audit")
    src = os.path.join(SOURCE, "tests", "fuzz", "corpus", "audit")
    clean = open(os.path.join(src, "ok-clean"), "rb").read()
    lines = clean.splitlines(keepends=True)
    first = lines[0]
    rec = json.loads(first)
    cases = {
        "seq-huge.log": first.replace(b'"seq":1,',
                                      b'"seq":18446744073709551616,'),
        "seq-negative.log": first.replace(b'"seq":1,', b'"seq":-1,'),
        "seq-float.log": first.replace(b'"seq":1,', b'"seq":1.0,'),
        "deep-json.log": first.replace(
            b'"details":{', b'"details":{"x":' + b"[" * 2000 + b"]" * 2000
            + b","),
        "nul-byte.log": first[:40] + b"\0" + first[41:],
        "non-ascii.log": first.replace(b'"root"', b'"r\xc3\xb6t"', 1),
        "crlf.log": b"".join(line.replace(b"\n", b"\r\n") for line in lines),
        "duplicate-member.log": first.replace(b'"v":1}', b'"v":1,"v":1}'),
        "torn-first-line.log": first[:len(first) // 2],
        "no-newline.log": first.rstrip(b"\n"),
        "garbage.log": bytes(range(256)) * 4,
        "blank-lines.log": b"\n\n\n",
        "not-an-object.log": b"[1,2,3]\n",
        "prev-short.log": first.replace(b'"prev":"' + b"0" * 64,
                                        b'"prev":"' + b"0" * 63),
        "time-garbage.log": first.replace(
            rec["time"].encode(), b"2026-13-45T99:99:99.999999Z"),
        "string-escape-surrogate.log": first.replace(
            b'"root"', b'"\\ud800"', 1),
    }
    for name, data in cases.items():
        write(os.path.join(d, name), data)
    key = open(os.path.join(SOURCE, "tests", "fuzz",
                            "fuzz_audit_verify.c")).read()
    body = key.split('corpus_key_pem[] =')[1].split(";")[0]
    pem_text = "".join(part.split('"')[1].replace("\\n", "\n")
                       for part in body.strip().splitlines())
    write(os.path.join(d, "key.pem"), pem_text)


def write_big(d):
    """Large inputs, made at test time: over the size caps, or just big."""
    clean = open(os.path.join(SOURCE, "tests", "fuzz", "corpus", "audit",
                              "ok-clean"), "rb").read()
    first = clean.splitlines(keepends=True)[0]
    cases = {
        "huge.yaml": b"version: 1\n" + b"# padding line of a huge file\n"
        * 80000,
        "huge-scalar.yaml": b"version: 1\ndescription: \""
        + b"x" * (2 * 1024 * 1024) + b"\"\n",
        "long-key.yaml": b"k" * 70000 + b": 1\n",
        "policy-many-profiles.yaml": b"version: 1\nprofiles:\n"
        + b"".join(b"  - name: p%d\n    keys: [ec-p256]\n" % i
                   for i in range(5000)),
        "huge.der": b"\x30\x84\x00\x20\x00\x00" + b"\x00" * (2 * 1024 * 1024),
        "nest-indefinite-100000.der": b"\x30\x80" * 100000
        + b"\x00\x00" * 100000,
        "huge-line.log": b'{"v":1,"x":"' + b"a" * (1024 * 1024 + 16)
        + b'"}\n',
        "many-fields.log": first.replace(
            b'"details":{', b'"details":{'
            + b"".join(b'"f%d":1,' % i for i in range(20000))),
    }
    for name, data in cases.items():
        write(os.path.join(d, name), data)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--big":
        write_big(sys.argv[2])
        return 0
    if len(sys.argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    cert, crl, csr = base_objects()
    write_der(cert, crl, csr)
    write_yaml()
    write_audit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
