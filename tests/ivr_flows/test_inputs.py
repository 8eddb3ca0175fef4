"""Cleaning what callers press and say."""

from __future__ import annotations

import pytest

from ivr_flows.inputs import (
    clean_digits,
    clean_speech,
    clean_token,
    clean_url,
    given_from,
    is_dont_know,
    is_no,
    is_yes,
    spoken_digits,
)


@pytest.mark.parametrize(
    ("raw", "digits"),
    [("1", "1"), ("０４５１", "0451"), ("＊", "*"), (" 1 # ", "1#"), ("abc", ""), (None, ""),
     ("hangup", ""), ("1\x00", "1")],
)  # fmt: skip
def test_clean_digits(raw, digits):
    assert clean_digits(raw) == digits


def test_clean_speech_normalises_truncates_and_drops_noise():
    assert clean_speech("  我要\n离婚 ") == "我要 离婚"
    assert clean_speech("😀🙏") == ""
    assert clean_speech("\x00\x01") == ""
    assert len(clean_speech("离" * 2000)) == 500
    assert clean_speech("ＡＢＣ１２３") == "ABC123"


def test_spoken_digits_and_words():
    assert spoken_digits("零四五一") == "0451"
    assert spoken_digits("区号是0452") == "0452"
    assert is_no("不是") and not is_yes("不是")
    assert is_yes("是的") and is_yes("对") and not is_no("对")
    assert is_dont_know("我也不清楚") and not is_dont_know("哈尔滨")


def test_tokens_and_urls_keep_only_safe_characters():
    assert clean_token("RE12\x00ab-_!") == "RE12ab-_"
    assert clean_token("名字") == ""
    assert clean_url("https://api.twilio.com/rec/RE1") == "https://api.twilio.com/rec/RE1"
    assert clean_url("http://example.com/x") == ""
    assert clean_url("https://x/\x00") == ""
    assert clean_url("https://x/" + "a" * 600) == ""


def test_given_from_params():
    given = given_from({"Digits": "1", "SpeechResult": "是"})
    assert (given.digits, given.speech, given.empty) == ("1", "是", False)
    assert given_from({"Digits": "1"}, no_input=True).empty
    assert given_from({}).for_event() == ""
