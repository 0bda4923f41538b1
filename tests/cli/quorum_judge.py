#!/usr/bin/python3
"""Open signet quorum share files and rebuild the PIN, independently of
signet: scrypt from hashlib, AES-256-GCM from python3-cryptography, and
Lagrange interpolation in GF(2^8) (libgfshare's field, x^8+x^4+x^3+x^2+1).

    quorum_judge.py SHARE PASSFILE [SHARE PASSFILE...]

Prints the PIN on standard output (for the test to search for it
elsewhere) after checking it against the split's check value; exits 1 if
anything does not hold.
"""
import hashlib
import json
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

EXP = [0] * 510
LOG = [0] * 256
x = 1
for i in range(255):
    EXP[i] = x
    LOG[x] = i
    x <<= 1
    if x & 0x100:
        x ^= 0x11D
for i in range(255, 510):
    EXP[i] = EXP[i - 255]


def gmul(a, b):
    if a == 0 or b == 0:
        return 0
    return EXP[LOG[a] + LOG[b]]


def gdiv(a, b):
    if a == 0:
        return 0
    return EXP[(LOG[a] - LOG[b]) % 255]


def canonical(obj):
    return (json.dumps(obj, indent=2, ensure_ascii=True) + "\n").encode()


def open_share(path, passfile):
    with open(path, encoding="ascii") as f:
        doc = json.load(f)
    with open(passfile, encoding="utf-8") as f:
        passphrase = f.readline().rstrip("\n").encode()
    header = {k: v for k, v in doc.items() if k not in ("ciphertext", "tag")}
    enc = doc["encryption"]
    key = hashlib.scrypt(passphrase, salt=bytes.fromhex(enc["salt"]),
                         n=enc["n"], r=enc["r"], p=enc["p"],
                         maxmem=2 ** 31 - 1, dklen=32)
    value = AESGCM(key).decrypt(bytes.fromhex(enc["nonce"]),
                                bytes.fromhex(doc["ciphertext"] + doc["tag"]),
                                canonical(header))
    return doc, value


def main():
    args = sys.argv[1:]
    if len(args) < 4 or len(args) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    shares = [open_share(args[i], args[i + 1]) for i in range(0, len(args), 2)]
    split = shares[0][0]["split"]
    xs = [d["share_id"] for d, _ in shares]
    pin = bytearray(len(shares[0][1]))
    for i, (_, y) in enumerate(shares):
        li = 1
        for j, xj in enumerate(xs):
            if j != i:
                li = gmul(li, gdiv(xj, xs[i] ^ xj))
        for k, yk in enumerate(y):
            pin[k] ^= gmul(li, yk)
    check = hashlib.sha256(("signet-quorum-pin/1\n%s\n" % split["id"]).encode()
                           + bytes(pin)).hexdigest()
    if check != split["pin_check"]:
        print("quorum_judge: the rebuilt PIN does not match the split's "
              "check value", file=sys.stderr)
        return 1
    sys.stdout.write(pin.decode("ascii") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
