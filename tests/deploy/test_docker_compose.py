"""docker-compose.yml cannot run here (no Docker engine), so this checks what can be checked:
it parses, runs every service with every contract variable, on the official images, and every
command it runs exists in this repository."""

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.notify.app import NotifySettings
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("recruitment", "enrollment", "placement", "notify")
CONTRACT_VARIABLES = {"KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI"}
NOTIFY_VARIABLES = {
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_FROM",
    "SMS_GATEWAY_URL",
    "SMS_GATEWAY_TOKEN",
    "SMS_SENDER",
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    parsed = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    assert isinstance(parsed, dict)
    return parsed


def test_every_service_runs_from_the_one_dockerfile(compose: dict[str, Any]) -> None:
    for name in SERVICES:
        service = compose["services"][name]
        assert service["build"] == "."
        assert service["environment"]["SERVICE"] == name
        assert (ROOT / "services" / name / "__main__.py").exists()
    assert (ROOT / "Dockerfile").exists()


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_gets_the_contract_variables(compose: dict[str, Any], name: str) -> None:
    environment = compose["services"][name]["environment"]
    expected = CONTRACT_VARIABLES | (NOTIFY_VARIABLES if name == "notify" else set())
    assert expected <= set(environment)
    assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert environment["MONGODB_URI"].startswith("mongodb://mongo:27017")


def test_the_variables_are_the_ones_the_settings_read() -> None:
    """A renamed settings field would silently ignore the deployment's variable."""
    assert {v.lower() for v in CONTRACT_VARIABLES} <= set(ServiceSettings.model_fields)
    assert {v.lower() for v in NOTIFY_VARIABLES} <= set(NotifySettings.model_fields)


def test_infrastructure_uses_the_official_images(compose: dict[str, Any]) -> None:
    images = {name: s.get("image", "") for name, s in compose["services"].items()}
    assert images["kafka"].startswith("apache/kafka:")
    assert images["mongo"].startswith("mongo:")
    assert images["mailpit"].startswith("axllent/mailpit:")
    notify = compose["services"]["notify"]["environment"]
    assert notify["SMTP_HOST"] == "mailpit"


def test_every_python_command_in_compose_exists(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        command = service.get("command")
        if isinstance(command, list) and command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]) is not None, (name, command)
