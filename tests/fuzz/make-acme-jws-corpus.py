#!/usr/bin/env python3
"""Seeds for fuzz_acme_jws: well-formed requests of each algorithm, and
the hostile shapes the parser must refuse. Run from the source tree:
python3 tests/fuzz/make-acme-jws-corpus.py"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from acme_jws import Key, b64, jws  # noqa: E402

out = os.path.join(os.path.dirname(__file__), "corpus", "acme_jws")
url = "https://127.0.0.1:8443/acme/tls-server/new-account"
nonce = "0123456789abcdef0123456789abcdef"
kid = "https://127.0.0.1:8443/acme/tls-server/acct/" + "ab" * 16
seeds = {}
for kind in ("ec256", "ec384", "ec521", "rsa"):
    k = Key(kind)
    seeds["new-account-" + kind] = jws(k, url, nonce,
                                       {"termsOfServiceAgreed": True})
    seeds["post-as-get-" + kind] = jws(k, url, nonce, None, kid=kid)
k = Key("ec256")
seeds["crit"] = jws(k, url, nonce, {}, header={"crit": ["b64"]})
seeds["jwk-and-kid"] = jws(k, url, nonce, {}, header={"kid": kid})
seeds["alg-none"] = jws(k, url, nonce, {}, header={"alg": "none"})
seeds["alg-hs256"] = jws(k, url, nonce, {}, header={"alg": "HS256"})
seeds["no-nonce"] = jws(k, url, nonce, {}, header={"nonce": None})
seeds["no-url"] = jws(k, url, nonce, {}, header={"url": None})
seeds["es384-on-p256"] = jws(k, url, nonce, {}, header={"alg": "ES384"})
body = json.loads(jws(k, url, nonce, {}))
body["payload"] = b64("[1,2]")
seeds["payload-array"] = json.dumps(body).encode()
body = json.loads(jws(k, url, nonce, {}))
body["header"] = {"kid": kid}
seeds["unprotected-header"] = json.dumps(body).encode()
body = json.loads(jws(k, url, nonce, {}))
body["signature"] += "="
seeds["padded-signature"] = json.dumps(body).encode()
seeds["duplicate-members"] = (b'{"protected":"e30","payload":"",'
                              b'"payload":"","signature":"AA"}')
seeds["not-json"] = b"protected.payload.signature"
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
