"""A small local OIDC token issuer for `make up` and the tests: never for production.

Why: the services accept only bearer JWTs verified against an issuer's published keys
(shared/auth.py). Locally there is no identity provider, so this one stands in for it with
the same wire format: ES256 tokens with `iss`, `aud`, `sub`, `exp`, `roles` and `programs`,
and a JWKS at /.well-known/jwks.json. Its signing keys are generated on first use and kept
under the git-ignored `.local/run/data/auth/` (mode 0600); none is ever committed.

HTTP (bound to 127.0.0.1):
    GET  /.well-known/jwks.json               the public keys (every key kept, newest first)
    GET  /.well-known/openid-configuration    issuer and jwks_uri
    GET  /token?role=operator&sub=op-1&programs=*     a dev token (JSON: access_token, ...)
    POST /token  {"sub", "roles": [...], "programs": [...], "ttl_seconds"?}   the same
    GET  /healthz

Commands (`python -m deploy.local.token_issuer <command>`):
    serve   --port 8090 (ILTEO_AUTH_PORT) [--dir D] [--issuer URL] [--audience ilteo]
    token   --role citizen|operator|partner|auditor (repeatable) --sub ID
            [--programs 'youth-job-academy,companion-jobs' or '*'] [--ttl 3600]
            prints a token signed with the newest key of --dir (made if missing)
    rotate  add a new signing key (the old ones stay published, so tokens already
            handed out stay valid; the services fetch the new key on its first use)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

DEFAULT_PORT = 8090
DEFAULT_AUDIENCE = "ilteo"
DEFAULT_TTL_SECONDS = 3600
ROLES = ("citizen", "operator", "partner", "auditor")
ALGORITHM = "ES256"


def default_keys_dir() -> Path:
    raw = os.environ.get("ILTEO_RUN_DIR", "").strip()
    run_dir = Path(raw).resolve() if raw else Path(__file__).resolve().parents[2] / ".local/run"
    return run_dir / "data" / "auth"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: the key's id is the hash of its required members, in lexical order."""
    required = {k: jwk[k] for k in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


class SigningKey:
    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self.private_key = private_key
        self.public_jwk: dict[str, Any] = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        self.kid = _thumbprint(self.public_jwk)
        self.public_jwk |= {"kid": self.kid, "use": "sig", "alg": ALGORITHM}

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


class LocalIssuer:
    """Keys in `keys_dir` (one PEM per key; the newest signs), tokens for `issuer`."""

    def __init__(self, keys_dir: Path, issuer: str = "", audience: str = DEFAULT_AUDIENCE) -> None:
        self.keys_dir = keys_dir
        self.issuer = issuer or f"http://127.0.0.1:{DEFAULT_PORT}"
        self.audience = audience
        self._lock = threading.Lock()
        self.keys: list[SigningKey] = self._load()  # newest first
        if not self.keys:
            self.rotate()

    def _load(self) -> list[SigningKey]:
        if not self.keys_dir.is_dir():
            return []
        keys = []
        for path in sorted(self.keys_dir.glob("key-*.pem"), reverse=True):
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if isinstance(loaded, ec.EllipticCurvePrivateKey):
                keys.append(SigningKey(loaded))
        return keys

    def reload(self) -> None:
        """Take up keys another process added (`rotate` while `serve` runs)."""
        keys = self._load()
        if keys:
            with self._lock:
                self.keys = keys

    def rotate(self) -> str:
        """A new signing key, newest first; the older ones stay published. Its id."""
        key = SigningKey(ec.generate_private_key(ec.SECP256R1()))
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        path = self.keys_dir / f"key-{time.time_ns():020d}.pem"
        # Created private (0600) before anything is written to it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(key.pem())
        with self._lock:
            self.keys.insert(0, key)
        return key.kid

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [k.public_jwk for k in self.keys]}

    def mint(
        self,
        sub: str,
        roles: Iterable[str],
        programs: Iterable[str] = (),
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        **claims: Any,
    ) -> str:
        with self._lock:
            key = self.keys[0]
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": sub,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "roles": sorted(set(roles)),
            "programs": sorted(set(programs)),
        } | claims
        return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    # -- HTTP --------------------------------------------------------------------------------
    def server(self, port: int = 0, host: str = "127.0.0.1") -> ThreadingHTTPServer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return  # tokens are in query strings: not logged

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("cache-control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def _token(self, request: dict[str, Any]) -> None:
                roles = request.get("roles") or []
                if not isinstance(roles, list) or not all(r in ROLES for r in roles) or not roles:
                    self._answer(400, {"error": f"roles: one or more of {', '.join(ROLES)}"})
                    return
                sub = request.get("sub")
                if not isinstance(sub, str) or not sub:
                    self._answer(400, {"error": "sub: the subject (a citizen's applicant_id)"})
                    return
                programs = request.get("programs") or []
                try:
                    ttl = int(request.get("ttl_seconds") or DEFAULT_TTL_SECONDS)
                except (TypeError, ValueError):
                    self._answer(400, {"error": "ttl_seconds: a whole number of seconds"})
                    return
                token = issuer.mint(sub, roles, programs, ttl_seconds=ttl)
                self._answer(
                    200, {"access_token": token, "token_type": "Bearer", "expires_in": ttl}
                )

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                issuer.reload()
                if url.path == "/.well-known/jwks.json":
                    self._answer(200, issuer.jwks())
                elif url.path == "/.well-known/openid-configuration":
                    self._answer(
                        200,
                        {
                            "issuer": issuer.issuer,
                            "jwks_uri": f"{issuer.issuer}/.well-known/jwks.json",
                            "token_endpoint": f"{issuer.issuer}/token",
                            "id_token_signing_alg_values_supported": [ALGORITHM],
                        },
                    )
                elif url.path == "/token":
                    query = parse_qs(url.query)
                    programs = [p for raw in query.get("programs", []) for p in raw.split(",")]
                    self._token(
                        {
                            "sub": (query.get("sub") or [""])[0],
                            "roles": query.get("role", []) + query.get("roles", []),
                            "programs": [p for p in programs if p],
                            "ttl_seconds": (query.get("ttl_seconds") or [""])[0],
                        }
                    )
                elif url.path == "/healthz":
                    self._answer(200, {"status": "ok"})
                else:
                    self._answer(404, {"error": "not found"})

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/token":
                    self._answer(404, {"error": "not found"})
                    return
                issuer.reload()
                length = int(self.headers.get("content-length") or 0)
                try:
                    request = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._answer(400, {"error": "body: JSON expected"})
                    return
                if not isinstance(request, dict):
                    self._answer(400, {"error": "body: a JSON object expected"})
                    return
                self._token(request)

        return ThreadingHTTPServer((host, port), Handler)

    def serve_in_thread(self, port: int = 0) -> ThreadingHTTPServer:
        """Serve in a daemon thread (the tests); `.shutdown()` stops it."""
        server = self.server(port)
        threading.Thread(target=server.serve_forever, name="token-issuer", daemon=True).start()
        return server


def _issuer_url(port: int) -> str:
    return os.environ.get("AUTH_ISSUER", "").strip() or f"http://127.0.0.1:{port}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.token_issuer")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "token", "rotate"):
        command = commands.add_parser(name)
        command.add_argument("--dir", type=Path, default=default_keys_dir())
        command.add_argument(
            "--port", type=int, default=int(os.environ.get("ILTEO_AUTH_PORT") or DEFAULT_PORT)
        )
        command.add_argument("--issuer", default="")
        command.add_argument("--host", default="127.0.0.1", help="serve: the address to bind")
        command.add_argument(
            "--audience", default=os.environ.get("AUTH_AUDIENCE", "") or DEFAULT_AUDIENCE
        )
        if name == "token":
            command.add_argument("--role", action="append", choices=ROLES, required=True)
            command.add_argument("--sub", required=True, help="a citizen's applicant_id")
            command.add_argument("--programs", default="", help="program ids, comma separated")
            command.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS)
    args = parser.parse_args(argv)
    issuer = LocalIssuer(args.dir, args.issuer or _issuer_url(args.port), args.audience)
    if args.command == "token":
        programs = [p.strip() for p in args.programs.split(",") if p.strip()]
        print(issuer.mint(args.sub, args.role, programs, ttl_seconds=args.ttl))
    elif args.command == "rotate":
        print(issuer.rotate())
    else:
        server = issuer.server(args.port, args.host)
        print(f"token issuer {issuer.issuer} serving on {args.host}:{args.port}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


if __name__ == "__main__":
    main()
