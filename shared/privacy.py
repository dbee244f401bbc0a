"""Who may read a citizen's data export (right of access, docs/decisions/0006), alike in
every service: the citizen themself, or an operator of every program answering the citizen's
written request (audited). Auditors read no personal data; an operator of some programs only
does not either, since the export spans every program."""

from typing import Annotated

from fastapi import Depends

from shared.audit import AuditTrail
from shared.auth import Forbidden, Principal, Role, require_role

CitizenOrOperator = Annotated[Principal, Depends(require_role(Role.CITIZEN, Role.OPERATOR))]


def is_the_citizen(who: Principal, applicant_id: str) -> bool:
    return who.has(Role.CITIZEN) and who.subject == applicant_id


async def may_export(who: Principal, applicant_id: str, audit: AuditTrail) -> None:
    """Let the caller read `applicant_id`'s data, or raise `Forbidden`; an operator's export
    goes to the audit log (the id only)."""
    if is_the_citizen(who, applicant_id):
        return
    if not who.operates_everything:
        raise Forbidden("applicant_id", "another citizen's data")
    await audit.record("citizen_data.exported", applicant_id)
