#!/usr/bin/python3
"""An independent reader and writer of signet's audit log (docs/audit.md).

The tests use it as a judge: it is written from the format description,
with Python's standard library and python3-cryptography only, and shares no
code with signet.

  audit_judge.py verify AUDIT-PUB.pem FILE...   exit 0 if the chain and
                                                every checkpoint verify
  audit_judge.py write AUDIT-KEY.pem OUT N      write a log of N records
"""
import base64
import datetime
import hashlib
import json
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

ZERO = "0" * 64
SIG = re.compile(rb'"sig":"[^"]*"')
ALGS = {
    "ecdsa-with-SHA256": ("ec", hashes.SHA256),
    "ecdsa-with-SHA384": ("ec", hashes.SHA384),
    "ecdsa-with-SHA512": ("ec", hashes.SHA512),
    "sha256WithRSAEncryption": ("rsa", hashes.SHA256),
}


class Bad(Exception):
    pass


def key_id(pub):
    der = pub.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def check_signature(pub, rec, line):
    d = rec["details"]
    if d["key"] != key_id(pub):
        raise Bad("checkpoint signed by another key")
    kind, md = ALGS[d["alg"]]
    tbs = SIG.sub(b'"sig":""', line)
    sig = base64.b64decode(d["sig"], validate=True)
    try:
        if kind == "ec":
            pub.verify(sig, tbs, ec.ECDSA(md()))
        else:
            pub.verify(sig, tbs, padding.PKCS1v15(), md())
    except InvalidSignature:
        raise Bad("checkpoint signature does not verify")


def verify(pub_path, files):
    with open(pub_path, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    head = None  # (seq, sha256 of the previous line, retired)
    last_event = None
    for index, path in enumerate(files):
        with open(path, "rb") as f:
            data = f.read()
        if not data.endswith(b"\n"):
            raise Bad(f"{path}: does not end with a newline")
        for n, line in enumerate(data[:-1].split(b"\n"), 1):
            where = f"{path}:{n}"
            rec = json.loads(line)
            if rec["v"] != 1:
                raise Bad(f"{where}: version")
            if head is None:
                if not (rec["seq"] == 1 and rec["prev"] == ZERO
                        and rec["event"] == "audit.create"):
                    raise Bad(f"{where}: the chain does not start here")
            else:
                if rec["seq"] != head[0] + 1:
                    raise Bad(f"{where}: seq {rec['seq']} after {head[0]}")
                if rec["prev"] != head[1]:
                    raise Bad(f"{where}: prev is not the previous line's")
                first = n == 1 and index > 0
                if first != (rec["event"] == "audit.rotate"):
                    raise Bad(f"{where}: audit.rotate out of place")
                if first != head[2]:
                    raise Bad(f"{where}: file boundary without rotation")
            retired = False
            if rec["event"] == "audit.checkpoint":
                try:
                    check_signature(pub, rec, line)
                except Bad as e:
                    raise Bad(f"{where}: {e}")
                retired = rec["details"]["reason"] == "rotate"
            head = (rec["seq"], hashlib.sha256(line + b"\n").hexdigest(),
                    retired)
            last_event = rec["event"]
    if last_event != "audit.checkpoint":
        raise Bad("the last record is not a checkpoint")


def now():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write(key_path, out, count):
    with open(key_path, "rb") as f:
        priv = serialization.load_pem_private_key(f.read(), None)
    kid = key_id(priv.public_key())
    actor = {"host": "judge", "pid": os.getpid(), "uid": os.getuid(),
             "user": "judge"}
    head = {"seq": 0, "prev": ZERO}
    lines = []

    def emit(event, outcome, details):
        rec = {"v": 1, "seq": head["seq"] + 1, "prev": head["prev"],
               "time": now(), "event": event, "outcome": outcome,
               "actor": actor, "details": details}
        if event == "audit.checkpoint":
            tbs = json.dumps(rec, sort_keys=True, separators=(",", ":"),
                             ensure_ascii=True).encode()
            sig = priv.sign(tbs, ec.ECDSA(hashes.SHA256()))
            details["sig"] = base64.b64encode(sig).decode()
        line = json.dumps(rec, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True).encode()
        lines.append(line + b"\n")
        head["seq"] = rec["seq"]
        head["prev"] = hashlib.sha256(line + b"\n").hexdigest()

    def checkpoint(reason):
        emit("audit.checkpoint", "success",
             {"alg": "ecdsa-with-SHA256", "key": kid, "reason": reason,
              "sig": ""})

    emit("audit.create", "success",
         {"alg": "ecdsa-with-SHA256", "key": kid, "version": "judge"})
    serials = ["0a11", "0b22", "0c33"]
    for i in range(count):
        event = ["cert.request", "cert.issue.intent", "cert.issue"][i % 3]
        outcome = {"cert.request": "success", "cert.issue.intent": "intent",
                   "cert.issue": "success"}[event]
        emit(event, outcome, {"serial": serials[(i // 3) % 3],
                              "profile": "tls-server", "n": i})
        if (i + 1) % 5 == 0:
            checkpoint("interval")
    # As signet does: no closing checkpoint right after another one.
    if b'"event":"audit.checkpoint"' not in lines[-1]:
        checkpoint("close")
    with open(out, "wb") as f:
        f.writelines(lines)


def main(argv):
    try:
        if len(argv) >= 4 and argv[1] == "verify":
            verify(argv[2], argv[3:])
        elif len(argv) == 5 and argv[1] == "write":
            write(argv[2], argv[3], int(argv[4]))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (Bad, KeyError, TypeError, ValueError) as e:
        print(f"audit_judge: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
