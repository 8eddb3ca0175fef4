"""Segments and splitting, quiet hours and the per-number rate limit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from callbacks.sms.config import load_sms_config
from callbacks.sms.rules import quiet_until, sent_in_window, take_send_slot
from callbacks.sms.segments import encoding, segment_count, sentences, split_body


@pytest.fixture
def config(base_settings):
    return load_sms_config(base_settings.config_dir)


@pytest.mark.parametrize(
    ("body", "kind", "segments"),
    [
        ("", "gsm7", 1),
        ("a" * 160, "gsm7", 1),
        ("a" * 161, "gsm7", 2),
        ("a" * 306, "gsm7", 2),
        ("a" * 307, "gsm7", 3),
        ("{" * 80, "gsm7", 1),  # extension characters count twice: 160
        ("{" * 81, "gsm7", 2),
        ("中" * 70, "ucs2", 1),
        ("中" * 71, "ucs2", 2),
        ("中" * 134, "ucs2", 2),
        ("中" * 135, "ucs2", 3),
        ("a" * 69 + "中", "ucs2", 1),  # one Chinese character makes the whole body UCS-2
        ("a" * 70 + "中", "ucs2", 2),
        ("😀" * 35, "ucs2", 1),  # outside the BMP: two UTF-16 units each
        ("😀" * 36, "ucs2", 2),
    ],
)
def test_segments_follow_the_encoding(body, kind, segments):
    assert encoding(body) == kind
    assert segment_count(body) == segments


def test_a_body_within_the_limit_is_one_message():
    body = "您好。" * 60  # 180 characters: 3 concatenated segments
    assert split_body(body, 3) == [body]


def test_a_long_body_is_split_at_sentence_ends_into_parts_within_the_limit():
    sentence = "请携带身份证件和相关材料到法律援助中心办理。"  # 22 characters
    body = sentence * 12  # 264 characters: 4 segments
    parts = split_body(body, 2)  # at most 134 characters per message
    assert "".join(parts) == body
    assert [len(p) for p in parts] == [132, 132]
    assert all(p.endswith("。") for p in parts)
    assert all(segment_count(p) <= 2 for p in parts)


def test_a_sentence_longer_than_the_limit_is_cut_where_it_must():
    body = "短句。" + "长" * 150 + "！结尾。"
    parts = split_body(body, 1)
    assert "".join(parts) == body
    assert parts[0] == "短句。" and all(segment_count(p) == 1 for p in parts)
    assert parts[1] == "长" * 70 and parts[-1].endswith("！结尾。")


def test_sentences_keep_closing_quotes_and_every_character():
    text = "他说：“好的。”然后走了！真的？是的"
    assert sentences(text) == ["他说：“好的。”", "然后走了！", "真的？", "是的"]


def test_split_refuses_a_limit_below_one():
    with pytest.raises(ValueError):
        split_body("x", 0)


def shanghai(hour: int, minute: int = 0, day: int = 26) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("moment", "until"),
    [
        (shanghai(8, 0), None),
        (shanghai(12, 0), None),
        (shanghai(20, 59), None),
        (shanghai(21, 0), shanghai(8, 0, day=27)),
        (shanghai(23, 30), shanghai(8, 0, day=27)),
        (shanghai(0, 0), shanghai(8, 0)),
        (shanghai(7, 59), shanghai(8, 0)),
    ],
)
def test_quiet_hours_run_from_21_to_8_shanghai_time(config, moment, until):
    assert quiet_until(moment, config) == until


def test_quiet_hours_within_one_day_also_work(config):
    lunch = replace(config, quiet_start=datetime(2000, 1, 1, 12).time())
    lunch = replace(lunch, quiet_end=datetime(2000, 1, 1, 13).time())
    assert quiet_until(shanghai(12, 30), lunch) == shanghai(13, 0)
    assert quiet_until(shanghai(13, 0), lunch) is None
    assert quiet_until(shanghai(22, 0), replace(config, quiet_end=config.quiet_start)) is None


def test_the_rate_limit_defers_the_message_over_the_limit_to_the_next_window(runtime, config):
    limited = replace(config, rate_max_messages=2, rate_window_seconds=3600)
    moment = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
    number = "+8613936000000"
    assert take_send_slot(runtime.redis, number, moment, limited) is None
    assert take_send_slot(runtime.redis, number, moment, limited) is None
    assert take_send_slot(runtime.redis, number, moment, limited) == datetime(
        2026, 11, 26, 3, 0, tzinfo=UTC
    )
    assert sent_in_window(runtime.redis, number, moment, limited) == 2  # refused ones don't count
    assert take_send_slot(runtime.redis, "+8613936000001", moment, limited) is None
    next_window = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert take_send_slot(runtime.redis, number, next_window, limited) is None


def test_the_deployment_config_is_read(config):
    assert (config.quiet_start.hour, config.quiet_end.hour) == (21, 8)
    assert config.max_segments == 3 and config.reply_window == timedelta(days=7)
    assert config.survey_delay == timedelta(minutes=10)
    assert config.retry_intervals == (10, 60, 300, 900, 3600)
    assert config.send_lookup_settle == timedelta(minutes=10)


def test_a_broken_config_names_the_file_and_the_key(tmp_path):
    from hotline.config_files import ConfigFileError

    (tmp_path / "sms.yaml").write_text("quiet_hours: {start: '25:00', end: '08:00'}\n")
    with pytest.raises(ConfigFileError, match=r"sms.yaml: 'retry_intervals'"):
        load_sms_config(tmp_path)
    other = tmp_path / "other"  # config files are cached per path
    other.mkdir()
    (other / "sms.yaml").write_text(
        "quiet_hours: {start: '25:00', end: '08:00'}\nretry_intervals: [10]\n"
    )
    with pytest.raises(ConfigFileError, match=r"'quiet_hours.start' must be a time HH:MM"):
        load_sms_config(other)
