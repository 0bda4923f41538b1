"""Crafting ACME JWS requests (RFC 8555 6.2) for signet's tests, with
python3-cryptography: well-formed ones, and hostile ones by changing what
the caller asks for."""
import base64
import hashlib
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(size, "big"))


class Key:
    def __init__(self, kind="ec256"):
        self.kind = kind
        if kind == "rsa":
            self.priv = rsa.generate_private_key(65537, 2048)
        else:
            curve = {"ec256": ec.SECP256R1(), "ec384": ec.SECP384R1(),
                     "ec521": ec.SECP521R1()}[kind]
            self.priv = ec.generate_private_key(curve)

    def jwk(self):
        pub = self.priv.public_key().public_numbers()
        if self.kind == "rsa":
            return {"e": _int(pub.e), "kty": "RSA", "n": _int(pub.n)}
        size = (self.priv.curve.key_size + 7) // 8
        crv = {256: "P-256", 384: "P-384", 521: "P-521"}[
            self.priv.curve.key_size]
        return {"crv": crv, "kty": "EC", "x": _int(pub.x, size),
                "y": _int(pub.y, size)}

    def alg(self):
        return {"rsa": "RS256", "ec256": "ES256", "ec384": "ES384",
                "ec521": "ES512"}[self.kind]

    def thumbprint(self):
        text = json.dumps(self.jwk(), sort_keys=True, separators=(",", ":"))
        return b64(hashlib.sha256(text.encode()).digest())

    def sign(self, data):
        if self.kind == "rsa":
            return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())
        h = {"ec256": hashes.SHA256(), "ec384": hashes.SHA384(),
             "ec521": hashes.SHA512()}[self.kind]
        r, s = decode_dss_signature(self.priv.sign(data, ec.ECDSA(h)))
        size = (self.priv.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def spki_der(self):
        return self.priv.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)


def jws(key, url, nonce, payload, kid=None, header=None):
    """payload None: POST-as-GET. header: members to add or override
    (a value None removes the member)."""
    prot = {"alg": key.alg(), "nonce": nonce, "url": url}
    if kid is not None:
        prot["kid"] = kid
    else:
        prot["jwk"] = key.jwk()
    for k, v in (header or {}).items():
        if v is None:
            prot.pop(k, None)
        else:
            prot[k] = v
    p = b64(json.dumps(prot))
    pl = "" if payload is None else b64(json.dumps(payload))
    sig = key.sign((p + "." + pl).encode())
    return json.dumps({"protected": p, "payload": pl,
                       "signature": b64(sig)}).encode()


def https_request(ctx, url, body=None, method=None):
    """(status, headers, body) of one request over TLS with the SSL context
    ctx; a JWS body goes as application/jose+json; HTTP errors are
    answers too."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/jose+json")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def http01_server(port, answers):
    """A web server on 127.0.0.1:port answering http-01 challenges from
    answers (token -> key authorization; 404 for others), in a thread of
    its own; call shutdown() on what it returns."""
    import http.server
    import threading

    class Http01(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = answers.get(self.path.rsplit("/", 1)[-1], "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Http01)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def csr_der(*names):
    """A CSR (DER) for DNS names, the first also the CN, on a fresh P-256
    key."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    k = ec.generate_private_key(ec.SECP256R1())
    return x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    ).add_extension(x509.SubjectAlternativeName(
        [x509.DNSName(n) for n in names]), critical=False).sign(
        k, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
