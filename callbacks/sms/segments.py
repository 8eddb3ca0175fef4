"""SMS segments: how many parts a body takes, and splitting long bodies at sentence ends.

A body that fits the GSM-7 alphabet takes 160 characters in one segment, 153 per segment when
concatenated (extension characters such as ^ { } [ ] ~ | € count twice). Any other character,
Chinese included, makes the whole body UCS-2: 70 UTF-16 code units in one segment, 67 when
concatenated (characters outside the BMP, such as emoji, count twice).
"""

from __future__ import annotations

import re

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
SINGLE = {"gsm7": 160, "ucs2": 70}
CONCATENATED = {"gsm7": 153, "ucs2": 67}

# A sentence ends after one of these (with any closing quotes or brackets that follow).
_SENTENCE = re.compile(r".+?(?:[。！？；!?;\n]+[”’」』）)]*|$)", re.DOTALL)


def encoding(body: str) -> str:
    """'gsm7' when every character is in the GSM-7 alphabet, else 'ucs2'."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in body):
        return "gsm7"
    return "ucs2"


def units(body: str) -> int:
    """The length that counts against segments, in the body's encoding."""
    if encoding(body) == "gsm7":
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in body)
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)


def segment_count(body: str) -> int:
    """How many SMS segments the body is billed and delivered as (1 for an empty body)."""
    kind = encoding(body)
    length = units(body)
    if length <= SINGLE[kind]:
        return 1
    per = CONCATENATED[kind]
    return -(-length // per)


def sentences(body: str) -> list[str]:
    """The body cut after each sentence end; joined together they give the body back."""
    return [piece for piece in _SENTENCE.findall(body) if piece]


def _hard_split(text: str, max_segments: int) -> list[str]:
    """Cut a text without sentence ends into pieces that fit, character by character."""
    pieces: list[str] = []
    current = ""
    for ch in text:
        if current and segment_count(current + ch) > max_segments:
            pieces.append(current)
            current = ""
        current += ch
    if current:
        pieces.append(current)
    return pieces


def split_body(body: str, max_segments: int) -> list[str]:
    """Split a body into messages of at most `max_segments` segments, at sentence ends."""
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if segment_count(body) <= max_segments:
        return [body]
    parts: list[str] = []
    current = ""
    for sentence in sentences(body):
        if segment_count(current + sentence) <= max_segments:
            current += sentence
            continue
        if current:
            parts.append(current)
            current = ""
        if segment_count(sentence) <= max_segments:
            current = sentence
        else:
            *full, current = _hard_split(sentence, max_segments)
            parts.extend(full)
    if current:
        parts.append(current)
    return parts
