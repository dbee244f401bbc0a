"""What the security tests' services need besides the stack."""

import base64
import os

import pytest


@pytest.fixture(autouse=True)
def personal_data_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fresh keys for sealing personal data, unless the run configured its own: a service
    refuses to start without them (shared/personal_data.py)."""
    if os.environ.get("PERSONAL_DATA_KEYS") or os.environ.get("PERSONAL_DATA_KEYS_FILE"):
        return
    monkeypatch.setenv("PERSONAL_DATA_KEYS", f"test1:{base64.b64encode(os.urandom(32)).decode()}")
    monkeypatch.setenv("PERSONAL_DATA_ACTIVE_KEY", "test1")
    monkeypatch.setenv("PERSONAL_DATA_HASH_KEY", base64.b64encode(os.urandom(32)).decode())
