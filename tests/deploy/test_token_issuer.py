"""The local token issuer `make up` starts: its JWKS, its dev-token endpoint and its command
line give tokens the services accept, and a rotation made by another process is published."""

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from deploy.local.token_issuer import LocalIssuer
from shared.auth import Authenticator, Role
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[LocalIssuer]:
    issuer = LocalIssuer(tmp_path / "keys")
    server = issuer.serve_in_thread()
    issuer.issuer = f"http://127.0.0.1:{server.server_port}"
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()


def authenticator(issuer: LocalIssuer) -> Authenticator:
    return Authenticator(
        ServiceSettings(
            auth_issuer=issuer.issuer,
            auth_audience=issuer.audience,
            auth_jwks_url=f"{issuer.issuer}/.well-known/jwks.json",
            auth_jwks_refetch_cooldown_seconds=0,
        )
    )


def command(*args: str) -> str:
    """What `python -m deploy.local.token_issuer <args>` prints."""
    argv = [sys.executable, "-m", "deploy.local.token_issuer", *args]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def get(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


async def test_a_dev_token_from_the_http_endpoint_is_accepted_with_its_roles_and_programs(
    issuer: LocalIssuer,
) -> None:
    status, answer = get(f"{issuer.issuer}/token?role=operator&sub=op-1&programs=a,b")
    assert status == 200 and answer["token_type"] == "Bearer"
    principal = await authenticator(issuer).verify(answer["access_token"])
    assert (principal.subject, principal.roles, principal.programs) == (
        "op-1",
        frozenset({Role.OPERATOR}),
        frozenset({"a", "b"}),
    )
    status, answer = get(f"{issuer.issuer}/token", {"sub": "A-1", "roles": ["citizen"]})
    assert status == 200
    assert (await authenticator(issuer).verify(answer["access_token"])).subject == "A-1"


def test_the_endpoint_refuses_unknown_roles_and_a_missing_subject(issuer: LocalIssuer) -> None:
    assert get(f"{issuer.issuer}/token?role=admin&sub=x")[0] == 400
    assert get(f"{issuer.issuer}/token?role=citizen")[0] == 400
    assert (
        get(f"{issuer.issuer}/token", {"sub": "x", "roles": ["citizen"], "ttl_seconds": "y"})[0]
        == 400
    )


async def test_a_key_added_by_another_process_is_published_and_signs_from_then_on(
    issuer: LocalIssuer,
) -> None:
    service = authenticator(issuer)
    before = issuer.mint("op-1", ["operator"], ["*"])
    await service.verify(before)
    new_kid = await asyncio.to_thread(command, "rotate", "--dir", str(issuer.keys_dir))
    status, jwks = get(f"{issuer.issuer}/.well-known/jwks.json")
    assert status == 200
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, issuer.keys[-1].kid]
    assert all("d" not in k for k in jwks["keys"])  # public keys only
    _, answer = get(f"{issuer.issuer}/token?role=auditor&sub=au-1")
    assert (await service.verify(answer["access_token"])).subject == "au-1"
    assert (await service.verify(before)).subject == "op-1"


async def test_the_command_line_mints_with_the_keys_the_server_publishes(
    issuer: LocalIssuer,
) -> None:
    port = issuer.issuer.rsplit(":", 1)[1]
    token = await asyncio.to_thread(
        command,
        *("token", "--role", "citizen", "--sub", "demo-person-1", "--port", port),
        *("--dir", str(issuer.keys_dir), "--audience", issuer.audience),
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["kid"] == issuer.keys[0].kid
    assert (await authenticator(issuer).verify(token)).subject == "demo-person-1"
    # The signing keys are readable by their owner alone.
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in issuer.keys_dir.glob("*.pem"))
