from __future__ import annotations

import phonenumbers
import pytest

from crm_app.services.errors import InvalidInput
from crm_app.services.phones import (
    display_phone,
    il_national,
    mask_phone,
    normalize_phone,
    search_digits,
)


@pytest.mark.parametrize(
    "typed",
    [
        "054-1234567",
        "0541234567",
        "+972541234567",
        "972 54 123 4567",
        "+972 (54) 123-4567",
        "054 123 4567",
    ],
)
def test_every_way_of_writing_a_mobile_gives_one_e164(typed: str) -> None:
    assert normalize_phone(typed) == "+972541234567"


def test_landlines_and_foreign_numbers() -> None:
    assert normalize_phone("03-5550100") == "+97235550100"
    assert normalize_phone("+1 202 555 0123") == "+12025550123"


@pytest.mark.parametrize("bad", ["", "abc", "12", "05412", "1234567", "0000000000", "9999999999"])
def test_invalid_numbers_are_refused_with_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_phone(bad)
    assert error.value.field == "phone"
    assert error.value.key in ("errors.phone_invalid", "errors.phone_required")


def test_national_fragments_search_as_international_digits() -> None:
    assert search_digits("054-123") == "97254123"
    assert search_digits("+972 54") == "97254"
    assert search_digits("4567") == "4567"


def test_display_is_national_at_home_and_international_abroad() -> None:
    assert display_phone("+972541234567") == "054-123-4567"
    assert display_phone("+12025550123") == "+1 202-555-0123"


def test_logs_never_see_a_full_number() -> None:
    assert mask_phone("+972541234567") == "***567"


def test_israeli_numbers_display_as_libphonenumber_writes_them() -> None:
    for e164 in ("+972501205600", "+972729085123", "+97221234567", "+97231234567"):
        number = phonenumbers.parse(e164, None)
        expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        assert il_national(e164) == expected == display_phone(e164)
    assert il_national("+12025550123") is None
    assert display_phone("+12025550123") == "+1 202-555-0123"
