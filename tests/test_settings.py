from __future__ import annotations

import pytest

from crm_app.settings import Settings, SettingsError


def test_secret_key_is_required_outside_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DEMO_MODE", "0")
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings(_env_file=None)


def test_demo_mode_creates_and_keeps_a_local_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DEMO_MODE", "1")
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path / "files"))
    first = Settings(_env_file=None).secret_bytes()
    assert len(first) >= 32
    assert Settings(_env_file=None).secret_bytes() == first


def test_cookies_are_secure_only_behind_https() -> None:
    assert Settings(_env_file=None, public_base_url="https://crm.example.com").secure_cookies
    assert not Settings(_env_file=None, public_base_url="http://localhost:3000").secure_cookies


def test_defaults_match_the_design() -> None:
    settings = Settings(_env_file=None)
    assert settings.max_upload_mb == 25
    assert settings.max_concurrent_calls == 50
    assert settings.max_call_seconds == 600
