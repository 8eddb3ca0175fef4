"""Understanding an inbound SMS: a 1-5 rating, an opt-out, an opt-in, or nothing we know.

Text is NFKC-normalised first, so full-width letters and digits ("ＴＤ", "５") and circled
digits read like ASCII. A rating is a digit 1-5 (optionally 分 or 星), a Chinese numeral
(一..五), or a satisfaction word (非常满意 5, 满意 4, 一般 3, 不满意 2, 非常不满意 1, and close
variants); what follows it after a separator is kept as the comment ("5，律师很耐心").
Opt-out words (TD, 退订, STOP, ...) and opt-in words (START, 订阅, ...) must be the whole text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

OPTOUT_WORDS = frozenset(
    {"TD", "T", "退订", "退订短信", "取消订阅", "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END"}
)
OPTIN_WORDS = frozenset({"START", "UNSTOP", "订阅", "恢复订阅", "恢复短信"})

RATING_WORDS: dict[str, int] = {
    **dict.fromkeys(
        ["非常满意", "很满意", "十分满意", "特别满意", "超级满意", "相当满意", "太满意了", "好评"],
        5,
    ),
    **dict.fromkeys(["满意", "比较满意", "基本满意", "挺满意", "还算满意", "较满意", "还满意"], 4),
    **dict.fromkeys(["一般", "一般般", "还行", "还可以", "凑合", "马马虎虎", "中等", "及格"], 3),
    **dict.fromkeys(
        ["不满意", "不太满意", "不大满意", "不怎么满意", "不是很满意", "比较不满意", "较不满意"],
        2,
    ),
    **dict.fromkeys(
        [
            "非常不满意",
            "很不满意",
            "十分不满意",
            "特别不满意",
            "极不满意",
            "太不满意了",
            "很差",
            "非常差",
            "差评",
        ],
        1,
    ),
}
# Longest first, so "非常不满意" is tried before "不满意" and "一般般" before "一般".
_WORDS_LONGEST_FIRST = sorted(RATING_WORDS, key=len, reverse=True)
_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_DIGIT_RATING = re.compile(r"([1-5])\s*(?:分|星|颗星)?(\D*)", re.DOTALL)
# A numeral alone, or with 分/星 ("五星"): "一般" must stay a word.
_NUMERAL_RATING = re.compile(r"([一二两三四五])(?:\s*(?:分|星|颗星)(.*))?", re.DOTALL)
# What follows a digit that counts something rather than rates ("2号", "5分钟", "3个月").
_QUANTITY_WORDS = frozenset("号日月年点时钟秒天周次个元块岁楼路万千百十期条件遍位名层栋室%")
# Separators between a rating and a comment, and what may trail a bare answer.
_SEPARATORS = " ,，.。、;；:：!！~～-—"
_TRAILING = _SEPARATORS + "?？吧啊呀哦了的嘛呢"


@dataclass(frozen=True)
class ParsedReply:
    """What an inbound SMS says: kind is rating, optout, optin or unmatched."""

    kind: str
    rating: int | None = None
    comment: str = ""


UNMATCHED = ParsedReply("unmatched")


def normalize(text: str) -> str:
    """NFKC, single spaces, no surrounding blanks."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _comment(rest: str, separated: bool = True) -> str | None:
    """The comment after a rating; None when `rest` does not read as one (a digit, no gap)."""
    stripped = rest.strip(_TRAILING)
    if not stripped:
        return ""
    if re.search(r"\d", rest) or (separated and rest[0] not in _SEPARATORS):
        return None
    return stripped


def _digit_rating(text: str) -> ParsedReply | None:
    match = _DIGIT_RATING.fullmatch(text)
    if match is not None:
        rest = match.group(2)
        if rest[:1] in _QUANTITY_WORDS:
            return None  # "2号那天…", "5分钟后回电": a date or an amount, not a rating
        comment = _comment(rest, separated=False)
        return None if comment is None else ParsedReply("rating", int(match.group(1)), comment)
    match = _NUMERAL_RATING.fullmatch(text)
    if match is not None:
        comment = _comment(match.group(2) or "", separated=False)
        return (
            None if comment is None else ParsedReply("rating", _NUMERALS[match.group(1)], comment)
        )
    return None


def _word_rating(text: str) -> ParsedReply | None:
    body = text.removeprefix("我").removeprefix("对").removeprefix("本次服务")
    for word in _WORDS_LONGEST_FIRST:
        if body.startswith(word):
            comment = _comment(body[len(word) :])
            if comment is not None:
                return ParsedReply("rating", RATING_WORDS[word], comment)
            return None
    return None


def parse_reply(text: str) -> ParsedReply:
    """Classify an inbound SMS body."""
    normal = normalize(text)
    keyword = normal.upper().strip(_TRAILING).replace(" ", "")
    if keyword in OPTOUT_WORDS:
        return ParsedReply("optout")
    if keyword in OPTIN_WORDS:
        return ParsedReply("optin")
    if not normal:
        return UNMATCHED
    return _digit_rating(normal) or _word_rating(normal) or UNMATCHED
