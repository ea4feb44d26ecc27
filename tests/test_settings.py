from __future__ import annotations

import pytest

from crm_app.settings import Settings, SettingsError, reload_settings


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


def test_a_local_server_accepts_its_own_page_by_any_loopback_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:3000")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://Admin.Example.com/")
    origins = reload_settings().origins
    assert origins == (
        "http://localhost:3000",
        "http://127.0.0.1:3000",
        "http://[::1]:3000",
        "https://admin.example.com",
    )
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://crm.example.com")
    assert reload_settings().origins == ("https://crm.example.com", "https://admin.example.com")
