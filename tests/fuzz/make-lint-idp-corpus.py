#!/usr/bin/env python3
"""CRLs with an issuingDistributionPoint onlySomeReasons, valid and hostile,
for the lint fuzz corpus: tests/fuzz/corpus/lint/full.crl with its IDP
value replaced (the signature is left as it was: lints do not check it).

    python3 tests/fuzz/make-lint-idp-corpus.py tests/fuzz/corpus/lint
"""
import os
import sys

IDP_OID = bytes.fromhex("0603551d1c")

# The full name of full.crl's IDP, then onlySomeReasons ([3] IMPLICIT
# BIT STRING) as each file has it.
FULL_NAME = "a020a01e861c687474703a2f2f63726c2e6578616d706c652e636f6d2f782e63726c"
REASONS = {
    "idp-reasons-key.crl": "83020640",      # keyCompromise: valid
    "idp-reasons-all.crl": "8303077f80",    # reasons 1 to 8: valid
    "idp-reasons-c8.crl": "8302c840",       # 200 unused bits
    "idp-reasons-08.crl": "83020840",       # 8 unused bits
    "idp-reasons-pad-empty.crl": "830107",  # unused bits, no octets
    "idp-reasons-none.crl": "8300",         # no unused-bits octet
    "idp-reasons-long.crl": "830700ffffffffffff",  # over 32 bits
    "idp-reasons-zero-tail.crl": "8302ff00",  # 255 unused, zero octet
}


def length(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def parse(d):
    """A list of (tag, body-or-children) with constructed tags opened."""
    out, i = [], 0
    while i < len(d):
        tag, n = d[i], d[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(d[i:i + k], "big")
            i += k
        body = d[i:i + n]
        i += n
        out.append((tag, parse(body) if tag & 0x20 else body))
    return out


def encode(tree):
    out = b""
    for tag, v in tree:
        body = encode(v) if isinstance(v, list) else v
        out += bytes([tag]) + length(len(body)) + body
    return out


def replace_idp(tree, value):
    """Swap the OCTET STRING after the IDP OID; True when found."""
    for k, (tag, v) in enumerate(tree):
        if not isinstance(v, list):
            continue
        for j, (t2, v2) in enumerate(v):
            if t2 == 0x06 and bytes([t2, len(v2)]) + v2 == IDP_OID:
                last = len(v) - 1
                assert v[last][0] == 0x04
                v[last] = (0x04, value)
                return True
        if replace_idp(v, value):
            return True
    return False


def main():
    out = sys.argv[1]
    with open(os.path.join(out, "full.crl"), "rb") as f:
        crl = f.read()
    for name, reasons in REASONS.items():
        seq = bytes.fromhex(FULL_NAME + reasons)
        value = b"\x30" + length(len(seq)) + seq
        tree = parse(crl)
        assert replace_idp(tree, value)
        with open(os.path.join(out, name), "wb") as f:
            f.write(encode(tree))


if __name__ == "__main__":
    main()
