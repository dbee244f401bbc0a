"""Bearer tokens are verified against the issuer's published keys: signature, issuer, audience,
expiry and algorithm; a rotated key is fetched on its first use. Real keys, a real JWKS over
HTTP (deploy/local/token_issuer.py), nothing mocked."""

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from deploy.local.stack import free_port
from deploy.local.token_issuer import LocalIssuer
from shared.auth import (
    Authenticator,
    Forbidden,
    IssuerUnreachable,
    Principal,
    Role,
    Unauthenticated,
)
from shared.settings import ServiceSettings

AUDIENCE = "ilteo-unit"


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[LocalIssuer]:
    issuer = LocalIssuer(tmp_path / "keys", audience=AUDIENCE)
    server = issuer.serve_in_thread()
    issuer.issuer = f"http://127.0.0.1:{server.server_port}"
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()


def authenticator_for(issuer: LocalIssuer, **settings: float) -> Authenticator:
    return Authenticator(
        ServiceSettings(
            auth_issuer=issuer.issuer,
            auth_audience=AUDIENCE,
            auth_jwks_url=f"{issuer.issuer}/.well-known/jwks.json",
            **settings,  # type: ignore[arg-type]
        )
    )


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def refused(authenticator: Authenticator, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        await authenticator.verify(token)
    assert caught.value.status == 401
    assert caught.value.headers == {"WWW-Authenticate": "Bearer"}
    return caught.value.problem


async def test_a_valid_token_names_the_caller_their_roles_and_programs(
    issuer: LocalIssuer,
) -> None:
    token = issuer.mint("op-7", ["operator", "auditor"], ["youth-job-academy"])
    principal = await authenticator_for(issuer).verify(token)
    assert principal == Principal(
        subject="op-7",
        roles=frozenset({Role.OPERATOR, Role.AUDITOR}),
        programs=frozenset({"youth-job-academy"}),
    )


async def test_an_expired_token_is_refused(issuer: LocalIssuer) -> None:
    token = issuer.mint("A-1", ["citizen"], ttl_seconds=-120)  # beyond the 30 s leeway
    assert await refused(authenticator_for(issuer), token) == "expired"


async def test_a_tampered_token_is_refused(issuer: LocalIssuer) -> None:
    header, payload, signature = issuer.mint("A-1", ["citizen"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = b64(claims | {"roles": ["operator"], "programs": ["*"]})
    problem = await refused(authenticator_for(issuer), f"{header}.{forged}.{signature}")
    assert "signature" in problem.lower()


async def test_a_token_of_another_issuer_or_audience_is_refused(issuer: LocalIssuer) -> None:
    authenticator = authenticator_for(issuer)
    other_issuer = issuer.mint("A-1", ["citizen"], iss="https://login.example.org")
    assert "issuer" in (await refused(authenticator, other_issuer)).lower()
    other_audience = issuer.mint("A-1", ["citizen"], aud="another-api")
    assert "audience" in (await refused(authenticator, other_audience)).lower()


async def test_a_token_without_a_signature_algorithm_or_with_a_shared_secret_is_refused(
    issuer: LocalIssuer,
) -> None:
    authenticator = authenticator_for(issuer)
    claims = {"iss": issuer.issuer, "aud": AUDIENCE, "sub": "A-1", "exp": time.time() + 600}
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims | {'roles': ['operator']})}."
    assert "ES256" in await refused(authenticator, unsigned)
    # The classic confusion, HMAC "signed" with the issuer's public key as the secret, is
    # refused on its algorithm before any key is looked at.
    hmac_token = f"{b64({'alg': 'HS256', 'kid': issuer.keys[0].kid})}.{b64(claims)}.c2ln"
    assert "ES256" in await refused(authenticator, hmac_token)
    assert await refused(authenticator, "not-a-jwt") == "not a JWT"


async def test_a_rotated_key_is_fetched_on_its_first_use_and_old_tokens_still_pass(
    issuer: LocalIssuer,
) -> None:
    authenticator = authenticator_for(issuer, auth_jwks_refetch_cooldown_seconds=0)
    before = issuer.mint("op-1", ["operator"], ["*"])
    await authenticator.verify(before)  # the key set is fetched and cached now
    new_kid = issuer.rotate()
    after = issuer.mint("op-1", ["operator"], ["*"])
    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert (await authenticator.verify(after)).subject == "op-1"
    assert (await authenticator.verify(before)).subject == "op-1"


async def test_a_token_signed_by_a_key_the_issuer_never_published_is_refused(
    issuer: LocalIssuer,
) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    claims = {"iss": issuer.issuer, "aud": AUDIENCE, "sub": "A-1", "exp": time.time() + 600}
    token = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": "stranger"})
    assert "key" in await refused(authenticator_for(issuer), token)
    # Same kid as the issuer's, other key: the signature check catches it.
    same_kid = jwt.encode(claims, stranger, algorithm="ES256", headers={"kid": issuer.keys[0].kid})
    assert "signature" in (await refused(authenticator_for(issuer), same_kid)).lower()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "rsa"})
    assert "key" in await refused(authenticator_for(issuer), rsa_token)


async def test_an_unreachable_issuer_is_the_service_s_problem_not_the_caller_s(
    issuer: LocalIssuer,
) -> None:
    authenticator = Authenticator(
        ServiceSettings(
            auth_issuer=issuer.issuer,
            auth_audience=AUDIENCE,
            auth_jwks_url=f"http://127.0.0.1:{free_port()}/.well-known/jwks.json",
        )
    )
    with pytest.raises(IssuerUnreachable) as caught:
        await authenticator.verify(issuer.mint("A-1", ["citizen"]))
    assert caught.value.status == 503


def test_an_operator_acts_only_on_their_programs_and_a_citizen_sees_only_their_own() -> None:
    operator = Principal("op-1", frozenset({Role.OPERATOR}), frozenset({"youth-job-academy"}))
    operator.require_program("youth-job-academy")
    with pytest.raises(Forbidden):
        operator.require_program("companion-jobs")
    operator.require_self_or_staff("A-9", program_id="youth-job-academy")
    with pytest.raises(Forbidden):
        operator.require_self_or_staff("A-9")  # not about one program: needs "*"
    everything = Principal("op-2", frozenset({Role.OPERATOR}), frozenset({"*"}))
    everything.require_program("companion-jobs")
    everything.require_self_or_staff("A-9")
    citizen = Principal("A-1", frozenset({Role.CITIZEN}), frozenset({"*"}))
    citizen.require_self_or_staff("A-1")
    with pytest.raises(Forbidden):
        citizen.require_self_or_staff("A-2")
    with pytest.raises(Forbidden):
        citizen.require_program("companion-jobs")  # "programs" means nothing without the role
