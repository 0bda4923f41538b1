#!/usr/bin/python3
"""After any number of crashes of an online CA: does everything the token
signed, and everything written out, agree with the database and the
audit log? Used by tests/cli/ca_crash_loop.sh.

  crash_judge.py DB AUDIT_LOG P11_LOG OUTPUT_DIR...

Checks, each printed as "FAIL: ..." (exit 1) when broken:
  - signatures: every C_Sign the CA key made (p11fault's call log) was
    announced by an intent record first (certificate or CRL), and the
    database holds no more signed objects than the token made;
  - every certificate and CRL file under the output directories is in the
    database, byte for byte (by SHA-256 of its DER), as issued or revoked;
  - every issued or revoked row has its cert.issue.intent in the log, and
    where the log holds the outcome, the same certificate hash;
  - every signed CRL row has its crl.generate.intent in the log;
  - every cert.issue / crl.generate success in the log is in the database
    with the same hash.
Prints one summary line of the counts.
"""
import hashlib
import json
import os
import sqlite3
import sys

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding


def fail(msg):
    print("FAIL: " + msg)
    fail.count += 1


fail.count = 0


def der_of(path):
    data = open(path, "rb").read()
    if path.endswith(".crt") or data.startswith(b"-----BEGIN CERT"):
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
    if data.startswith(b"-----BEGIN X509 CRL"):
        return x509.load_pem_x509_crl(data).public_bytes(Encoding.DER)
    return data


def main():
    db_path, log_path, p11_path = sys.argv[1:4]
    outdirs = sys.argv[4:]
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    certs = {}
    for serial, status, sha in db.execute(
            "SELECT serial, status, cert_sha256 FROM certificates"):
        certs[serial] = (status, sha)
    crls = {}
    for number, sha in db.execute("SELECT crl_number, der_sha256 FROM crls"):
        crls[number] = sha
    cert_hashes = {sha: serial for serial, (status, sha) in certs.items()
                   if status in ("issued", "revoked")}
    crl_hashes = {sha for sha in crls.values() if sha is not None}

    intents, outcomes, crl_intents, crl_outcomes = set(), {}, set(), {}
    for line in open(log_path, "rb"):
        rec = json.loads(line)
        ev, d = rec["event"], rec["details"]
        if ev == "cert.issue.intent":
            intents.add(d["serial"])
        elif ev == "cert.issue" and rec["outcome"] == "success":
            outcomes[d["serial"]] = d["cert_sha256"]
        elif ev == "crl.generate.intent":
            crl_intents.add(d["crl_number"])
        elif ev == "crl.generate" and rec["outcome"] == "success":
            crl_outcomes[d["crl_number"]] = True

    signatures = 0
    for line in open(p11_path):
        f = line.split()
        if f and f[0] == "C_Sign" and f[-1] == "CKR_OK":
            signatures += 1
    announced = len(intents) + len(crl_intents)
    recorded = len(cert_hashes) + len(crl_hashes)
    if signatures > announced:
        fail("the token made %d signatures, the log announced %d"
             % (signatures, announced))
    if recorded > signatures:
        fail("the database holds %d signed objects, the token made only %d "
             "signatures" % (recorded, signatures))

    files = 0
    for top in outdirs:
        for root, _, names in os.walk(top):
            for name in names:
                if ".tmp." in name:
                    continue
                path = os.path.join(root, name)
                files += 1
                try:
                    sha = hashlib.sha256(der_of(path)).hexdigest()
                except ValueError as e:
                    fail("%s is not a whole certificate or CRL: %s"
                         % (path, e))
                    continue
                if name.endswith(".crt"):
                    if sha not in cert_hashes:
                        fail("%s holds a certificate the database does not "
                             "record as issued" % path)
                elif sha not in crl_hashes:
                    fail("%s holds a CRL the database does not record"
                         % path)

    for serial, (status, sha) in certs.items():
        if status not in ("issued", "revoked"):
            continue
        if serial not in intents:
            fail("certificate %s is %s without a cert.issue.intent record"
                 % (serial, status))
        if serial in outcomes and outcomes[serial] != sha:
            fail("certificate %s: the log's cert_sha256 differs from the "
                 "database's" % serial)
    for serial, sha in outcomes.items():
        if serial not in certs or certs[serial][1] != sha:
            fail("the log's cert.issue success for %s is not in the "
                 "database" % serial)
    for number, sha in crls.items():
        if sha is not None and number not in crl_intents:
            fail("CRL %d is signed without a crl.generate.intent record"
                 % number)
    for number in crl_outcomes:
        if crls.get(number) is None:
            fail("the log's crl.generate success for CRL %d is not in the "
                 "database" % number)

    statuses = {}
    for status, _ in certs.values():
        statuses[status] = statuses.get(status, 0) + 1
    print("judge: %d signatures, %d intents (%d certificate, %d CRL), "
          "%d signed objects recorded, %d files, rows %s"
          % (signatures, announced, len(intents), len(crl_intents), recorded,
             files, json.dumps(statuses, sort_keys=True)))
    return 1 if fail.count else 0


if __name__ == "__main__":
    sys.exit(main())
