"""What the caller pressed or said, cleaned: digits, speech text, yes/no, "don't know"."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

MAX_SPEECH_CHARS = 500
MAX_DIGITS = 32
EVENT_TEXT_CHARS = 100

_SPOKEN_DIGITS = {
    "零": "0", "〇": "0", "洞": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
    "四": "4", "五": "5", "六": "6", "七": "7", "拐": "7", "八": "8", "九": "9", "勾": "9",
}  # fmt: skip
_NO_WORDS = ("不是", "不对", "不要", "错", "不确认", "重新", "没有", "否")
_YES_WORDS = ("是", "对", "确认", "没错", "正确", "嗯", "好的", "可以")
_DONT_KNOW_WORDS = ("不知道", "不清楚", "不晓得", "不确定", "不记得", "忘了", "不懂")


def _printable(text: str) -> str:
    """NFKC-normalised text without control or unassigned characters."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def clean_token(raw: str | None, max_chars: int = 64) -> str:
    """An identifier-like parameter (a SID, a node id, a status): ASCII letters, digits, _ -."""
    text = (raw or "")[: max_chars * 4]
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in "_-"))[:max_chars]


def clean_url(raw: str | None, max_chars: int = 500) -> str:
    """An https URL Twilio sent (e.g. RecordingUrl), or '' when it is not one."""
    text = (raw or "").strip()
    if len(text) > max_chars or not text.startswith("https://"):
        return ""
    if any(not ch.isascii() or not ch.isprintable() or ch.isspace() for ch in text):
        return ""
    return text


def clean_digits(raw: str | None) -> str:
    """DTMF keys as ASCII 0-9 * # (full-width digits folded), everything else dropped."""
    if not raw:
        return ""
    text = _printable(raw[: MAX_DIGITS * 4])
    return "".join(ch for ch in text if ch in "0123456789*#")[:MAX_DIGITS]


def clean_speech(raw: str | None) -> str:
    """Speech text, normalised and truncated; '' when it holds no letter, digit or CJK."""
    if not raw:
        return ""
    text = " ".join(_printable(" ".join(raw[: MAX_SPEECH_CHARS * 4].split())).split())
    text = text[:MAX_SPEECH_CHARS]
    return text if any(ch.isalnum() for ch in text) else ""


def spoken_digits(text: str) -> str:
    """Digits in speech, Arabic or spoken Chinese ('零四五一' -> '0451')."""
    return "".join(
        ch if ch.isascii() and ch.isdigit() else _SPOKEN_DIGITS.get(ch, "")
        for ch in text
        if (ch.isascii() and ch.isdigit()) or ch in _SPOKEN_DIGITS
    )


def is_no(text: str) -> bool:
    """The caller said no (checked before yes: '不是' contains '是')."""
    return any(word in text for word in _NO_WORDS)


def is_yes(text: str) -> bool:
    """The caller said yes."""
    return not is_no(text) and any(word in text for word in _YES_WORDS)


def is_dont_know(text: str) -> bool:
    """The caller said they do not know."""
    return any(word in text for word in _DONT_KNOW_WORDS)


@dataclass(frozen=True)
class Given:
    """The input of one Gather answer (or its absence)."""

    digits: str = ""
    speech: str = ""

    @property
    def empty(self) -> bool:
        return not self.digits and not self.speech

    def for_event(self) -> str:
        """A short form of the input for the call event."""
        return self.digits or self.speech[:EVENT_TEXT_CHARS]


def given_from(params: Mapping[str, str], no_input: bool = False) -> Given:
    """The cleaned Digits and SpeechResult of a webhook (none when no_input)."""
    if no_input:
        return Given()
    return Given(
        digits=clean_digits(params.get("Digits")), speech=clean_speech(params.get("SpeechResult"))
    )
