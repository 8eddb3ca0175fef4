"""Phone numbers: parse to E.164 for storage, mask for display."""

from __future__ import annotations

import phonenumbers

ANONYMOUS = "anonymous"

# What carriers send in From when the caller withheld the number.
_WITHHELD = {"", "anonymous", "restricted", "unknown", "private", "unavailable", "+266696687"}


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number we can store."""


def normalize(raw: str | None, default_region: str = "CN") -> str:
    """Return the number in E.164, or ANONYMOUS for a withheld number; raise if it is junk."""
    text = (raw or "").strip()
    if text.lower() in _WITHHELD:
        return ANONYMOUS
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"not a phone number: {text[:40]!r}") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber(f"not a possible phone number: {text[:40]!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_or_anonymous(raw: str | None) -> str:
    """Like normalize, but a number we cannot parse is treated as withheld."""
    try:
        return normalize(raw)
    except InvalidPhoneNumber:
        return ANONYMOUS


def national_digits(e164: str) -> str:
    """The national significant number with the trunk 0 for Chinese fixed lines (0451...)."""
    if e164 == ANONYMOUS:
        return ""
    number = phonenumbers.parse(e164, None)
    national = str(number.national_number)
    if number.country_code == 86 and not national.startswith("1"):
        return "0" + national
    return national


def mask(e164: str | None) -> str:
    """Show a number masked for display: 138****0000 (keeps first 3 and last 4 digits)."""
    if not e164 or e164 == ANONYMOUS:
        return "未知号码"
    try:
        digits = national_digits(e164)
    except phonenumbers.NumberParseException:
        digits = "".join(ch for ch in e164 if ch.isdigit())
    if len(digits) <= 7:
        return digits[:1] + "*" * max(len(digits) - 2, 1) + digits[-1:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
