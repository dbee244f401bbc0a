"""The message templates the city sends, and what each one may do.

The wording lives in files under services/notify/templates/ (`<name>.sms.j2`,
`<name>.email_subject.j2`, `<name>.email.txt.j2`, `<name>.email.html.j2`); this table holds
what is decided per template rather than written: whether it may wake a citizen at night and
the LMS subject.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from services.notify.domain.message import LMS_SUBJECT_MAX_BYTES, euc_kr_length


@dataclass(frozen=True)
class Template:
    name: str
    lms_subject: str
    # Urgent messages ignore quiet hours: a seat offer expires, so it cannot wait until 08:00.
    urgent: bool = False

    def __post_init__(self) -> None:
        if euc_kr_length(self.lms_subject) > LMS_SUBJECT_MAX_BYTES:
            raise ValueError(f"{self.name}: LMS subject longer than {LMS_SUBJECT_MAX_BYTES} bytes")


def _catalog(*templates: Template) -> Mapping[str, Template]:
    return MappingProxyType({template.name: template for template in templates})


CATALOG: Mapping[str, Template] = _catalog(
    Template("application_received", "신청 접수 안내"),
    Template("screening_passed", "자격 심사 결과 안내"),
    Template("screening_failed", "자격 심사 결과 안내"),
    Template("application_selected", "선정 결과 안내"),
    Template("application_waitlisted", "예비 선정 안내"),
    Template("application_rejected", "선정 결과 안내"),
    Template("seat_offered", "추가 선정 및 등록 안내", urgent=True),
    Template("enrollment_confirmed", "등록 확정 안내"),
    Template("public_job_assigned", "근무 배치 안내"),
    Template("enrollment_withdrawn", "참여 취소 안내"),
    Template("course_completed", "수료 및 만족도 조사 안내"),
    Template("employment_confirmed", "취업 확인 안내"),
)


def template(name: str) -> Template:
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"no template named {name!r}") from None


def template_context(data: BaseModel, citizen_name: str) -> dict[str, Any]:
    """What a template sees: the event's payload fields, plus the citizen's name.

    Only the application carries the name; the service looks it up for later events.
    """
    return {**data.model_dump(), "citizen_name": citizen_name}
