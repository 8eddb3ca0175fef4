"""Reading inbound SMS: ratings in digits and words, opt-out and opt-in keywords, the rest."""

from __future__ import annotations

import pytest

from callbacks.sms.replies import ParsedReply, parse_reply


@pytest.mark.parametrize(
    ("text", "rating"),
    [
        ("5", 5),
        ("５", 5),
        (" 4 ", 4),
        ("3分", 3),
        ("⑤", 5),
        ("五星", 5),
        ("一", 1),
        ("5。", 5),
        ("非常满意", 5),
        ("很满意", 5),
        ("我很满意", 5),
        ("满意", 4),
        ("满意！", 4),
        ("比较满意", 4),
        ("基本满意", 4),
        ("一般", 3),
        ("一般般", 3),
        ("还行", 3),
        ("还行吧", 3),
        ("不满意", 2),
        ("不太满意", 2),
        ("很不满意", 1),
        ("非常不满意", 1),
        ("差评", 1),
    ],
)
def test_ratings_in_digits_and_words(text, rating):
    assert parse_reply(text) == ParsedReply("rating", rating)


@pytest.mark.parametrize(
    ("text", "rating", "comment"),
    [
        ("5，律师很耐心", 5, "律师很耐心"),
        ("5 谢谢", 5, "谢谢"),
        ("５谢谢", 5, "谢谢"),
        ("不满意，没解决问题", 2, "没解决问题"),
    ],
)
def test_a_comment_after_the_rating_is_kept(text, rating, comment):
    assert parse_reply(text) == ParsedReply("rating", rating, comment)


@pytest.mark.parametrize(
    "text", ["TD", "td", "ＴＤ", "退订", "STOP", "stop", "ｓｔｏｐ", "Stop!", " 退订。"]
)
def test_opt_out_keywords_in_any_case_and_width(text):
    assert parse_reply(text).kind == "optout"


@pytest.mark.parametrize("text", ["START", "ｓｔａｒｔ", "订阅"])
def test_opt_in_keywords(text):
    assert parse_reply(text).kind == "optin"


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "OK",
        "2号那天律师态度很好",
        "5分钟后给我回电",
        "3个月了还没解决",
        "",
        "   ",
        "12",
        "0",
        "6",
        "1-5",
        "5月3日",
        "满意度很差",
        "请问什么时候回电",
        "STOP IT",
    ],
)
def test_everything_else_is_unmatched(text):
    assert parse_reply(text) == ParsedReply("unmatched")
