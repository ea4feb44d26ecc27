"""Free text cut into runs: numbers, phones and emails whole; Latin words left to right."""

from __future__ import annotations

from crm_app.state.text_runs import text_runs


def _runs(text: str) -> list[tuple[str, str]]:
    return [(r.text, r.kind) for r in text_runs(text)]


def test_a_phone_inside_hebrew_is_one_unbreakable_run() -> None:
    assert _runs("לקוח ב-Premium, להתקשר ל 050-123-4567 מחר") == [
        ("לקוח ב-", "plain"),
        ("Premium", "ltr"),
        (", להתקשר ל ", "plain"),
        ("050-123-4567", "whole"),
        (" מחר", "plain"),
    ]


def test_emails_times_and_sizes_are_whole_runs() -> None:
    assert _runs("Call dana@clinic.co.il at 14:00") == [
        ("Call", "ltr"),
        (" ", "plain"),
        ("dana@clinic.co.il", "whole"),
        (" ", "plain"),
        ("at", "ltr"),
        (" ", "plain"),
        ("14:00", "whole"),
    ]
    assert _runs("קובץ של 1.5 MB") == [("קובץ של ", "plain"), ("1.5 MB", "whole")]


def test_lines_and_plain_text_are_kept_as_they_are() -> None:
    text = "שלום\nHello world\n+972 52 555 1234"
    assert "".join(r.text for r in text_runs(text)) == text
    assert _runs(text)[-1] == ("+972 52 555 1234", "whole")
    assert text_runs("") == []
