"""Every template on disk renders with its sample data into a message that may be sent."""

from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2.exceptions import SecurityError

from services.notify.adapters.templates import (
    PARTS,
    TEMPLATE_DIR,
    TemplateLibrary,
    default_library,
    render_preview,
    template_names_on_disk,
)
from services.notify.domain.catalog import CATALOG, Template, template
from services.notify.domain.message import (
    LMS_MAX_BYTES,
    SMS_MAX_BYTES,
    NotEncodable,
    TemplateError,
    euc_kr_length,
)
from services.notify.domain.routing import route_for
from services.notify.domain.samples import SAMPLES, sample

TEMPLATES_ON_DISK = template_names_on_disk()


def context_of(name: str, **changes: Any) -> dict[str, Any]:
    return {**sample(name).context(), **changes}


def test_the_disk_the_catalog_and_the_samples_name_the_same_templates() -> None:
    assert TEMPLATES_ON_DISK
    assert set(TEMPLATES_ON_DISK) == set(CATALOG) == set(SAMPLES)


@pytest.mark.parametrize("name", TEMPLATES_ON_DISK)
def test_every_part_of_the_template_is_a_file(name: str) -> None:
    for part in PARTS:
        assert (TEMPLATE_DIR / f"{name}.{part}.j2").is_file()


@pytest.mark.parametrize("name", TEMPLATES_ON_DISK)
def test_the_sample_renders_as_an_sms_or_lms_that_fits(name: str) -> None:
    message = render_preview(name)

    length = euc_kr_length(message.sms.text)
    assert message.sms.text.startswith("[서울시 일자리] ")
    assert sample(name).citizen_name in message.sms.text
    if message.sms.kind == "SMS":
        assert length <= SMS_MAX_BYTES
        assert message.sms.subject is None
    else:
        assert SMS_MAX_BYTES < length <= LMS_MAX_BYTES
        assert message.sms.subject == template(name).lms_subject


@pytest.mark.parametrize("name", TEMPLATES_ON_DISK)
def test_the_sample_renders_as_an_email(name: str) -> None:
    email = render_preview(name).email

    assert email.subject.startswith("[서울시 일자리] ")
    assert "\n" not in email.subject
    assert email.text.startswith(f"{sample(name).citizen_name}님, 안녕하십니까.")
    assert "다산콜센터" in email.text
    assert email.html.startswith("<!DOCTYPE html>")
    assert f"{sample(name).citizen_name}님" in email.html
    for rendered in (email.subject, email.text, email.html):
        assert "None" not in rendered


@pytest.mark.parametrize("name", TEMPLATES_ON_DISK)
def test_the_sample_is_an_event_routed_to_its_template(name: str) -> None:
    example = sample(name)
    route = route_for(example.event_type)

    assert route is not None
    assert isinstance(example.data, route.payload)
    assert route.template_for(example.data.model_dump()) == name


@pytest.mark.parametrize("name", TEMPLATES_ON_DISK)
def test_the_html_part_escapes_what_the_citizen_typed(name: str) -> None:
    hostile = "<script>alert(1)</script>"
    email = default_library().render_email(name, context_of(name, citizen_name=hostile))

    assert hostile not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert hostile in email.text  # plain text is not HTML: escaping would show "&lt;"


def test_the_ineligible_text_lists_every_failed_rule() -> None:
    message = render_preview("screening_failed")

    for rule in sample("screening_failed").context()["failed_rules"]:
        assert f"- {rule['message']}" in message.sms.text
        assert f"- {rule['message']}" in message.email.text
        assert f"<li>{rule['message']}</li>" in message.email.html


def test_the_rejection_gives_its_reasons() -> None:
    message = render_preview("application_rejected")

    assert "선발 순위가 모집 정원과 예비 순번 밖에 있습니다." in message.sms.text


def test_the_waitlist_message_gives_the_position() -> None:
    assert "예비 3번으로" in render_preview("application_waitlisted").sms.text


def test_the_seat_offer_gives_its_deadline_in_seoul_time() -> None:
    message = render_preview("seat_offered")

    assert "2025년 5월 23일(금) 18:00까지" in message.sms.text
    assert template("seat_offered").urgent


def test_a_public_job_assignment_gives_start_workplace_and_monthly_pay() -> None:
    text = render_preview("public_job_assigned").sms.text

    assert "근무 시작일: 2025년 7월 1일(화)" in text
    assert "금천구청 치수과" in text
    assert "월 급여: 1,770,000원" in text


def test_a_confirmed_course_gives_the_start_date_and_the_campus_address() -> None:
    text = render_preview("enrollment_confirmed").sms.text

    assert "개강일: 2025년 3월 4일(화)" in text
    assert "서울 용산구 한남대로 136" in text


def test_the_completion_message_links_the_survey() -> None:
    message = render_preview("course_completed")
    url = "https://jobs.seoul.example/survey/E2025-000777"

    assert url in message.sms.text
    assert f'<a href="{url}">' in message.email.html


def test_a_missing_field_is_an_error_not_an_empty_text() -> None:
    context = context_of("application_received")
    del context["application_id"]

    with pytest.raises(TemplateError) as raised:
        default_library().render_sms("application_received", context)
    assert isinstance(raised.value.__cause__, jinja2.UndefinedError)


def test_a_none_value_is_never_printed() -> None:
    context = context_of("enrollment_confirmed", campus_address=None)

    with pytest.raises(TemplateError, match="None"):
        default_library().render_sms("enrollment_confirmed", context)


def test_an_optional_field_left_empty_reads_naturally() -> None:
    context = context_of("application_waitlisted", waitlist_position=None)

    text = default_library().render_sms("application_waitlisted", context).text

    assert "예비 대상자로 선정되셨습니다" in text


def test_only_web_links_are_sent() -> None:
    context = context_of("course_completed", survey_url="javascript:alert(1)")

    with pytest.raises(TemplateError):
        default_library().render_email("course_completed", context)


def test_a_line_break_in_the_data_cannot_reach_the_email_headers() -> None:
    context = context_of("application_selected", call_title="모집\r\nBcc: victim@example.com")

    subject = default_library().render_email("application_selected", context).subject

    assert "\n" not in subject
    assert "\r" not in subject


def test_a_name_outside_euc_kr_still_reaches_the_citizen_by_sms_and_exactly_by_email() -> None:
    context = context_of("application_received", citizen_name="김똠")

    sms = default_library().render_sms("application_received", context)

    assert "김?님" in sms.text
    assert "김똠님" in default_library().render_email("application_received", context).text


def test_typography_in_an_operators_call_title_is_written_for_sms_not_refused() -> None:
    title = "서울 동행일자리(디지털) 모집 — “예시” 공고"
    context = context_of("screening_passed", call_title=title)

    sms = default_library().render_sms("screening_passed", context)

    assert '서울 동행일자리(디지털) 모집 - "예시" 공고' in sms.text
    assert title in default_library().render_email("screening_passed", context).text


def test_text_a_template_itself_holds_must_be_writable_in_euc_kr(tmp_path: Path) -> None:
    library = _library_with(tmp_path, "[서울시 일자리] 안내 — {{ citizen_name }}님")

    with pytest.raises(NotEncodable):
        library.render_sms("probe", {"citizen_name": "홍길동"})


def test_the_sandbox_refuses_python_internals(tmp_path: Path) -> None:
    library = _library_with(tmp_path, "{{ ''.__class__.__mro__ }}")

    with pytest.raises(TemplateError) as raised:
        library.render_sms("probe", {"citizen_name": "홍길동"})
    assert isinstance(raised.value.__cause__, SecurityError)


def test_the_sandbox_refuses_to_mutate_the_data(tmp_path: Path) -> None:
    library = _library_with(tmp_path, "{{ items.append(1) }}")

    with pytest.raises(TemplateError) as raised:
        library.render_sms("probe", {"items": []})
    assert isinstance(raised.value.__cause__, SecurityError)


def test_the_library_refuses_to_start_when_a_template_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "probe.sms.j2").write_text("[서울시 일자리] 안내", encoding="utf-8")

    with pytest.raises(ValueError, match=r"probe\.email_subject\.j2"):
        TemplateLibrary(tmp_path, {"probe": Template("probe", "안내")})


def test_the_library_refuses_to_start_when_disk_and_catalog_differ(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="differ"):
        TemplateLibrary(tmp_path)


def _library_with(directory: Path, sms_source: str) -> TemplateLibrary:
    (directory / "probe.sms.j2").write_text(sms_source, encoding="utf-8")
    for part in PARTS[1:]:
        (directory / f"probe.{part}.j2").write_text("안내", encoding="utf-8")
    return TemplateLibrary(directory, {"probe": Template("probe", "안내")})
