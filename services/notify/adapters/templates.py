"""The message templates, files in services/notify/templates/: loaded once and rendered.

Templates run in Jinja2's immutable sandbox with StrictUndefined: a template can neither reach
Python internals through the data (`{{ ''.__class__ }}`) nor silently print an empty field.
Every template is compiled at start-up, so a broken file stops the service rather than a
citizen's message. Values printed into an SMS part are made EUC-KR writable (`sms_writable`);
the template's own text must already be. HTML is the only part that is autoescaped; the SMS
and plain-text parts are not HTML and would show `&lt;` to the citizen.
"""

import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from services.notify.domain import wording
from services.notify.domain.catalog import CATALOG, Template
from services.notify.domain.message import (
    EmailText,
    RenderedMessage,
    SmsText,
    TemplateError,
    sms_writable,
)
from services.notify.domain.samples import sample

TEMPLATE_DIR = Path(__file__).parent.parent / "templates"
PARTS = ("sms", "email_subject", "email.txt", "email.html")
_SUFFIX = ".sms.j2"  # every template has an SMS part: its file names the template


def template_names_on_disk(directory: Path = TEMPLATE_DIR) -> list[str]:
    """Names of the templates in `directory`; files starting with "_" are shared layouts."""
    return sorted(
        path.name.removesuffix(_SUFFIX)
        for path in directory.glob(f"*{_SUFFIX}")
        if not path.name.startswith("_")
    )


class TemplateLibrary:
    def __init__(
        self, directory: Path = TEMPLATE_DIR, catalog: Mapping[str, Template] = CATALOG
    ) -> None:
        on_disk = set(template_names_on_disk(directory))
        if on_disk != set(catalog):
            raise ValueError(
                f"templates on disk and in the catalog differ: "
                f"files only {sorted(on_disk - set(catalog))}, "
                f"catalog only {sorted(set(catalog) - on_disk)}"
            )
        self.catalog = catalog
        sms_environment = _environment(directory, finalize=_sms_value)
        environment = _environment(directory, finalize=_refuse_none)
        try:
            self._compiled = {
                (name, part): (sms_environment if part == "sms" else environment).get_template(
                    f"{name}.{part}.j2"
                )
                for name in catalog
                for part in PARTS
            }
        except jinja2.TemplateNotFound as missing:
            raise ValueError(f"template file missing: {missing.name}") from missing

    def render_sms(self, name: str, context: Mapping[str, Any]) -> SmsText:
        text = self._render(name, "sms", context).strip()
        return SmsText.of(text, self.catalog[name].lms_subject)

    def render_email(self, name: str, context: Mapping[str, Any]) -> EmailText:
        # One line, whatever the data holds: a line break in a header would inject headers.
        subject = " ".join(self._render(name, "email_subject", context).split())
        return EmailText(
            subject=subject,
            text=self._render(name, "email.txt", context).strip() + "\n",
            html=self._render(name, "email.html", context).strip() + "\n",
        )

    def render(self, name: str, context: Mapping[str, Any]) -> RenderedMessage:
        return RenderedMessage(
            name, self.render_sms(name, context), self.render_email(name, context)
        )

    def preview(self, name: str) -> RenderedMessage:
        """The template rendered with its sample data, as an operator should check it."""
        return self.render(name, sample(name).context())

    def _render(self, name: str, part: str, context: Mapping[str, Any]) -> str:
        try:
            compiled = self._compiled[name, part]
        except KeyError:
            raise KeyError(f"no template named {name!r}") from None
        try:
            return compiled.render(context)
        except (jinja2.TemplateError, ValueError, KeyError, TypeError) as error:
            raise TemplateError(f"{name}.{part}: {error}") from error


@cache
def default_library() -> TemplateLibrary:
    return TemplateLibrary()


def render_preview(template_name: str) -> RenderedMessage:
    return default_library().preview(template_name)


def _environment(directory: Path, finalize: Callable[[Any], Any]) -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=jinja2.StrictUndefined,
        autoescape=_is_html,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        won=wording.won,
        korean_date=wording.korean_date,
        korean_datetime=wording.korean_datetime,
        track_label=wording.track_label,
        employment_type_label=wording.employment_type_label,
        web_url=_web_url,
    )
    return environment


def _is_html(template_name: str | None) -> bool:
    return template_name is not None and template_name.endswith(".html.j2")


def _refuse_none(value: Any) -> Any:
    # An optional field left empty must be handled by the template ({% if %}), never printed
    # to a citizen as "None".
    if value is None:
        raise ValueError("a template printed a missing (None) value")
    return value


def _sms_value(value: Any) -> Any:
    value = _refuse_none(value)
    return sms_writable(value) if isinstance(value, str) else value


_WEB_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def _web_url(url: str) -> str:
    # Links in messages are web pages; a javascript: or data: link in an e-mail is an attack.
    if not _WEB_URL.match(url):
        raise ValueError(f"not a web address: {url!r}")
    return url
