"""Every test session runs with personal-data keys of its own, made at run time: the services
refuse to start without keys (docs/decisions/0006), and no key is ever committed. Services a
test starts as processes inherit them from this process's environment."""

import os
from collections.abc import Iterator

import pytest

from shared.personal_data import new_key_environment


@pytest.fixture(scope="session", autouse=True)
def personal_data_keys() -> Iterator[dict[str, str]]:
    """Fresh keys in the environment for the session; keys already set there are kept."""
    configured = "PERSONAL_DATA_KEYS" in os.environ or "PERSONAL_DATA_KEYS_FILE" in os.environ
    added = {} if configured else new_key_environment()
    os.environ.update(added)
    try:
        yield {name: os.environ.get(name, "") for name in new_key_environment()}
    finally:
        for name in added:
            os.environ.pop(name, None)
