"""Who is calling: OAuth2/OIDC bearer JWTs, verified against the configured issuer's keys.

A token names its subject (`sub`: for a citizen, the contract's `applicant.applicant_id`), its
`roles` (citizen, operator, partner, auditor) and, for an operator, the `programs` they run
(program ids, or "*" for all). Signatures are checked by PyJWT with the issuer's JWKS, which
`PyJWKClient` keeps for `AUTH_JWKS_CACHE_SECONDS` and fetches again when a token names a key
it does not hold (the issuer rotated its keys). Only asymmetric algorithms are accepted: a
token with `alg: none` or an HMAC algorithm is refused before any key is looked at.

Routes declare who may call them with the dependencies below; the ownership checks that need
data (whose application is this, which program runs this cohort) are made in the route, with
`Principal.require_self_or_staff` and `Principal.require_program`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.problems import Problem
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)

# Asymmetric only: the services hold no secret that could mint a token.
ALGORITHMS = ("RS256", "ES256")
ALL_PROGRAMS = "*"
# Clocks of the issuer and the services may differ this much (seconds).
LEEWAY_SECONDS = 30


class Role(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"
    PARTNER = "partner"
    AUDITOR = "auditor"


class Unauthenticated(Problem):
    """No token, or one that cannot be trusted: 401 with `WWW-Authenticate: Bearer`."""

    status = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class Forbidden(Problem):
    """A valid token whose holder may not do this: 403."""

    status = 403


class IssuerUnreachable(Problem):
    """The issuer's keys could not be fetched: the caller is not at fault, try again."""

    status = 503


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    programs: frozenset[str]

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def operates_everything(self) -> bool:
        return Role.OPERATOR in self.roles and ALL_PROGRAMS in self.programs

    def operates(self, program_id: str) -> bool:
        return Role.OPERATOR in self.roles and (
            ALL_PROGRAMS in self.programs or program_id in self.programs
        )

    def require_program(self, program_id: str) -> None:
        """An operator acts only on the programs they are assigned."""
        if not self.operates(program_id):
            raise Forbidden("program_id", f"'{program_id}' is not one of your programs")

    def require_self_or_staff(self, applicant_id: str, *, program_id: str | None = None) -> None:
        """A citizen's own data: the citizen, or an operator of its program (of every program
        when the data is not about one), or an auditor."""
        if Role.CITIZEN in self.roles and self.subject == applicant_id:
            return
        if Role.AUDITOR in self.roles:
            return
        if program_id is not None and self.operates(program_id):
            return
        if self.operates_everything:
            return
        raise Forbidden("applicant_id", "another citizen's data")


def principal_of(claims: dict[str, Any]) -> Principal:
    """The caller a verified token's claims describe; unknown roles are ignored."""
    raw_roles = claims.get("roles", [])
    if isinstance(raw_roles, str):
        raw_roles = raw_roles.split()
    known = {r.value for r in Role}
    roles = frozenset(Role(r) for r in raw_roles if isinstance(r, str) and r in known)
    raw_programs = claims.get("programs", [])
    if isinstance(raw_programs, str):
        raw_programs = [raw_programs]
    programs = frozenset(p for p in raw_programs if isinstance(p, str))
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("token", "no subject")
    return Principal(subject=subject, roles=roles, programs=programs)


class Authenticator:
    """Verifies bearer tokens of one issuer and audience."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.issuer = settings.auth_issuer
        self.audience = settings.auth_audience
        self._keys = jwt.PyJWKClient(
            settings.auth_jwks_url,
            cache_jwk_set=True,
            lifespan=settings.auth_jwks_cache_seconds,
            cooldown_duration=settings.auth_jwks_refetch_cooldown_seconds,
            timeout=5,
        )

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthenticated("token", "not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthenticated("token", f"must be signed with {' or '.join(ALGORITHMS)}")
        try:
            # PyJWKClient is synchronous (urllib): a fetch must not stop the event loop.
            key = await asyncio.to_thread(self._keys.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError:
            log.warning("the token issuer's keys could not be fetched")
            raise IssuerUnreachable("token", "the issuer's keys are unreachable") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError):
            raise Unauthenticated("token", "signed by a key the issuer does not publish") from None
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token", "expired") from None
        except jwt.InvalidTokenError as error:
            # The exception names what failed (signature, audience, issuer), never the token.
            raise Unauthenticated("token", f"not valid: {error}") from None
        return principal_of(claims)


bearer = HTTPBearer(
    auto_error=False,
    description="A JWT of the configured OIDC issuer (locally: "
    "`python -m deploy.local.token_issuer token --role citizen --sub <applicant_id>`).",
)


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The verified caller of this request (FastAPI resolves it once per request)."""
    if credentials is None:
        raise Unauthenticated("authorization", "a bearer token is required")
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.verify(credentials.credentials)
    request.state.principal = principal
    return principal


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through callers holding any of `roles`."""
    names = " or ".join(sorted(r.value for r in roles))

    async def dependency(principal: Annotated[Principal, Depends(authenticated)]) -> Principal:
        if not principal.has(*roles):
            raise Forbidden("role", f"this needs the role {names}")
        return principal

    return dependency


# What routes declare. Ownership and program checks follow in the route, on the data.
# The catalogs (programs, calls, cohorts) are public information, read by citizens, operators
# and auditors alike; a partner system only submits.
Anyone = Annotated[Principal, Depends(require_role(Role.CITIZEN, Role.OPERATOR, Role.AUDITOR))]
Citizen = Annotated[Principal, Depends(require_role(Role.CITIZEN))]
Operator = Annotated[Principal, Depends(require_role(Role.OPERATOR))]
Auditor = Annotated[Principal, Depends(require_role(Role.AUDITOR))]
OperatorOrAuditor = Annotated[Principal, Depends(require_role(Role.OPERATOR, Role.AUDITOR))]
CitizenOrStaff = Annotated[
    Principal, Depends(require_role(Role.CITIZEN, Role.OPERATOR, Role.AUDITOR))
]
Submitter = Annotated[Principal, Depends(require_role(Role.CITIZEN, Role.PARTNER))]
