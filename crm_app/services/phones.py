"""Phone numbers: parsing to E.164 and the digits the search uses."""

from __future__ import annotations

import re

import phonenumbers

from crm_app.services.errors import InvalidInput

_NON_DIGITS = re.compile(r"\D+")
# Israeli numbers libphonenumber writes as 05X-XXX-XXXX / 07X-XXX-XXXX and 0X-XXX-XXXX;
# exports.py mirrors these two patterns in SQL, so the CSV shows what the screen shows.
_IL_MOBILE = re.compile(r"\+972([57]\d)(\d{3})(\d{4})")
_IL_LANDLINE = re.compile(r"\+972([2-489])(\d{3})(\d{4})")


def normalize_phone(raw: str, region: str = "IL") -> str:
    """Parse ``raw`` as a phone number and return it in E.164.

    ``054-1234567``, ``0541234567``, ``+972541234567`` and ``972 54 123 4567``
    all give ``+972541234567`` in region IL.

    Raises:
        InvalidInput: when the text is not a plausible phone number.
    """
    text = (raw or "").strip()
    digits = _NON_DIGITS.sub("", text)
    if not digits:
        raise InvalidInput("enter a phone number", field="phone", key="errors.phone_required")
    candidates = [text]
    if not text.startswith("+") and len(digits) > 10:
        candidates.append("+" + digits)  # "972 54 ..." written without the plus
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number) or _new_mobile_block(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidInput(
        f"{text!r} is not a valid phone number", field="phone", key="errors.phone_invalid"
    )


def _new_mobile_block(number: phonenumbers.PhoneNumber) -> bool:
    """A mobile number from a block newer than libphonenumber's metadata.

    Carriers open new ranges (054-1xx in Israel) before the metadata knows
    them; such a number has the region's mobile length and leading digit.
    """
    if number.country_code is None:
        return False
    region = phonenumbers.region_code_for_country_code(number.country_code)
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None or not phonenumbers.is_possible_number(number):
        return False
    national = str(number.national_number)
    sample = str(example.national_number)
    return len(national) == len(sample) and national[0] == sample[0]


def phone_digits(e164: str) -> str:
    """The digits of an E.164 number, without the plus: what search matches."""
    return _NON_DIGITS.sub("", e164)


def search_digits(query: str, region_prefix: str = "972") -> str:
    """The digits to look for when someone types a phone fragment.

    A national number (leading ``0``) becomes international, so ``054-123``
    searches ``97254123``.
    """
    digits = _NON_DIGITS.sub("", query)
    if digits.startswith("0") and not digits.startswith("00"):
        return region_prefix + digits[1:]
    if digits.startswith("00"):
        return digits[2:]
    return digits


def il_national(e164: str) -> str | None:
    """``050-120-5600`` for an Israeli mobile or landline in E.164; None for anything else.

    The same text libphonenumber gives, without parsing: exports format a
    million rows with it.
    """
    match = _IL_MOBILE.fullmatch(e164) or _IL_LANDLINE.fullmatch(e164)
    if match is None:
        return None
    area, middle, last = match.groups()
    return f"0{area}-{middle}-{last}"


def display_phone(e164: str, region: str = "IL") -> str:
    """How people write the number: national inside ``region``, else international."""
    if region == "IL" and (fast := il_national(e164)) is not None:
        return fast
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    local = phonenumbers.region_code_for_number(number) == region
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if local
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def mask_phone(e164: str) -> str:
    """A phone number safe for logs: only the last three digits."""
    return "***" + e164[-3:] if len(e164) > 3 else "***"
