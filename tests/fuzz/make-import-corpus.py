#!/usr/bin/python3
"""Seeds for fuzz_store_import, written from docs/store-export.md alone.

The valid seeds carry a content hash computed here, independently of the
C code, so importing them also checks that the documented format and the
implementation agree (test_store: test_import_documented_format).

    make-import-corpus.py DIR
"""
import base64
import hashlib
import json
import os
import struct
import sys

TABLES = [
    ("meta", [("name", "S"), ("value", "S")]),
    ("issuers", [("issuer_key", "S"), ("crl_number", "I"),
                 ("revocation_seq", "I"), ("created_at", "I")]),
    ("certificates", [("issuer", "S"), ("serial", "S"), ("status", "S"),
                      ("subject", "S"), ("sans", "S"), ("spki_sha256", "S"),
                      ("not_before", "I"), ("not_after", "I"),
                      ("profile", "S"), ("requester", "S"),
                      ("created_at", "I"), ("updated_at", "I"),
                      ("issued_at", "I"), ("der", "B"),
                      ("cert_sha256", "S"), ("failure", "S"),
                      ("revoked_at", "I"), ("revocation_reason", "I"),
                      ("revocation_seq", "I")]),
    ("crls", [("issuer", "S"), ("crl_number", "I"), ("kind", "S"),
              ("base_number", "I"), ("this_update", "I"),
              ("next_update", "I"), ("revocation_seq", "I"), ("der", "B"),
              ("der_sha256", "S")]),
    ("blocked_keys", [("spki_sha256", "S"), ("blocked_at", "I"),
                      ("reason", "S"), ("cert_issuer", "S"),
                      ("cert_serial", "S")]),
    ("supersessions", [("issuer", "S"), ("serial", "S"),
                       ("successor_issuer", "S"), ("successor_serial", "S"),
                       ("superseded_at", "I")]),
    ("est_tokens", [("token_id", "S"), ("secret_sha256", "S"),
                    ("profile", "S"), ("names", "S"), ("created_at", "I"),
                    ("expires_at", "I"), ("used_at", "I"),
                    ("revoked_at", "I")]),
    ("ocsp_responses", [("issuer", "S"), ("serial", "S"),
                        ("this_update", "I"), ("next_update", "I"),
                        ("der", "B")]),
    ("acme_eab_keys", [("kid", "S"), ("hmac_key", "S"), ("profile", "S"),
                       ("comment", "S"), ("created_at", "I"),
                       ("account_id", "S"), ("bound_at", "I"),
                       ("revoked_at", "I")]),
    ("acme_renew_early", [("issuer", "S"), ("serial", "S"),
                          ("requested_at", "I")]),
]


def content_hash(rows):
    h = hashlib.sha256()
    counts = []
    for name, cols in TABLES:
        h.update(b"T" + name.encode() + b"\0")
        n = 0
        for row in rows.get(name, []):
            h.update(b"R")
            for col, kind in cols:
                v = row[col]
                if v is None:
                    h.update(b"N")
                elif kind == "I":
                    h.update(b"I" + struct.pack(">q", v))
                else:
                    data = base64.b64decode(v) if kind == "B" else v.encode()
                    h.update(kind.encode() + struct.pack(">Q", len(data)) + data)
            n += 1
        counts.append(n)
    h.update(b"E" + b"".join(struct.pack(">Q", c) for c in counts))
    return h.hexdigest(), dict(zip([t for t, _ in TABLES], counts))


def export(rows):
    lines = [json.dumps({"format": "signet-store-export", "version": 1,
                         "schema_version": 8, "source": "python",
                         "exported_at": 1767225600})]
    for name, cols in TABLES:
        for row in rows.get(name, []):
            obj = {"t": name}
            obj.update({c: row[c] for c, _ in cols})
            lines.append(json.dumps(obj, separators=(",", ":")))
    digest, counts = content_hash(rows)
    lines.append(json.dumps({"t": "end", "rows": counts, "sha256": digest}))
    return "".join(line + "\n" for line in lines)


def main():
    out = sys.argv[1]
    issuer = hashlib.sha256(b"issuer").hexdigest()
    spki = hashlib.sha256(b"subject key").hexdigest()
    der = b"\x30\x03\x02\x01\x07"
    cert = {"issuer": issuer, "subject": "CN=a.example", "sans": "DNS:a.example",
            "spki_sha256": spki, "not_before": 1767225600,
            "not_after": 1775001600, "profile": "tls-server",
            "requester": "alice", "created_at": 1767225600,
            "updated_at": 1767225600, "issued_at": None, "der": None,
            "cert_sha256": None, "failure": None, "revoked_at": None,
            "revocation_reason": None, "revocation_seq": None}
    issued = dict(cert, serial="%040x" % 0x0a, status="revoked",
                  issued_at=1767225600, der=base64.b64encode(der).decode(),
                  cert_sha256=hashlib.sha256(der).hexdigest(),
                  revoked_at=1767312000, revocation_reason=1,
                  revocation_seq=1, updated_at=1767312000)
    rows = {
        "meta": [{"name": "ca_note", "value": "written by python"}],
        "issuers": [{"issuer_key": issuer, "crl_number": 1,
                     "revocation_seq": 1, "created_at": 1767225600}],
        "certificates": [
            dict(cert, serial="%040x" % 0x0b, status="pending"),
            issued,
            dict(cert, serial="%040x" % 0x0c, status="failed",
                 failure="lint: \u00e9chec \"quoted\"\n"),
        ],
        "crls": [{"issuer": issuer, "crl_number": 1, "kind": "full",
                  "base_number": None, "this_update": 1767312000,
                  "next_update": 1767916800, "revocation_seq": 1,
                  "der": None, "der_sha256": None}],
        "blocked_keys": [{"spki_sha256": spki, "blocked_at": 1767312000,
                          "reason": "keyCompromise", "cert_issuer": issuer,
                          "cert_serial": "%040x" % 0x0a}],
        "ocsp_responses": [{"issuer": issuer, "serial": "%040x" % 0x0a,
                            "this_update": 1767312000,
                            "next_update": 1767657600,
                            "der": base64.b64encode(
                                b"\x30\x03\x0a\x01\x00").decode()}],
        "acme_eab_keys": [{"kid": "ab" * 16, "hmac_key": "A" * 43,
                           "profile": "tls-server", "comment": "team a",
                           "created_at": 1767225600,
                           "account_id": "cd" * 16,
                           "bound_at": 1767312000, "revoked_at": None}],
        "acme_renew_early": [{"issuer": issuer, "serial": "%040x" % 0x0a,
                              "requested_at": 1767312000}],
    }
    seeds = {
        "valid-full.jsonl": export(rows),
        "valid-empty.jsonl": export({}),
        "valid-issuers-only.jsonl": export({"issuers": rows["issuers"]}),
    }
    full = seeds["valid-full.jsonl"]
    seeds["altered-reason.jsonl"] = full.replace('"revocation_reason":1',
                                                 '"revocation_reason":4')
    seeds["cut-short.jsonl"] = full[:full.rindex('{"t": "end"')]
    seeds["no-newline.jsonl"] = full.rstrip("\n")
    seeds["tables-out-of-order.jsonl"] = "\n".join(
        [full.splitlines()[0]] + full.splitlines()[1:][::-1]) + "\n"
    seeds["bad-base64.jsonl"] = full.replace(
        base64.b64encode(der).decode(), "!!!!")
    os.makedirs(out, exist_ok=True)
    for name, text in seeds.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
