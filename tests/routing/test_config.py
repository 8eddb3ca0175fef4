"""config/routing.yaml and config/queue_prompts.yaml are read strictly."""

from __future__ import annotations

import pytest

from hotline.config_files import ConfigFileError
from hotline.settings import REPO_ROOT
from routing.config import (
    PROMPT_KEYS,
    load_queue_prompts,
    load_routing_config,
    parse_routing_config,
)


def test_the_shipped_settings_and_prompts_are_valid():
    config = load_routing_config(REPO_ROOT / "config")
    assert 30 <= config.announce_every_seconds <= 60
    assert config.service_level_seconds == 20
    assert (
        config.overflow_to_neighbours_after_seconds
        <= config.overflow_to_province_after_seconds
        <= (config.overflow_to_all_regions_after_seconds or 10**9)
    )
    prompts = load_queue_prompts(REPO_ROOT / "config")
    assert set(prompts.texts) == set(PROMPT_KEYS)
    assert prompts.text("position", ahead=3, minutes=2) == "您前面还有3位来电，预计等待约2分钟。"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"announce_every_seconds": 90}, "between 30 and 60"),
        ({"wrap_up_seconds": -1}, "'wrap_up_seconds' must be"),
        ({"wrap_up_seconds": "60"}, "'wrap_up_seconds' must be"),
        ({"max_wait": 600}, "unknown setting 'max_wait'"),
        (
            {
                "overflow_to_neighbours_after_seconds": 200,
                "overflow_to_province_after_seconds": 100,
            },
            "must not come before",
        ),
        ({"tick_seconds": 0}, "more than 0"),
    ],
)
def test_bad_settings_are_refused_naming_the_file(data, message):
    with pytest.raises(ConfigFileError, match=message):
        parse_routing_config(data, "routing.yaml")


def test_all_regions_overflow_may_be_switched_off():
    config = parse_routing_config({"overflow_to_all_regions_after_seconds": None}, "x")
    assert config.overflow_to_all_regions_after_seconds is None


def test_a_problem_names_the_file_the_setting_and_the_reason(tmp_path):
    (tmp_path / "routing.yaml").write_text("wrap_up_seconds: -1\n", encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_routing_config(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'routing.yaml'}: setting 'wrap_up_seconds' must be at least 0"
    )


def test_a_missing_queue_prompt_is_named(tmp_path):
    (tmp_path / "queue_prompts.yaml").write_text("queue: {hold: 请稍候。}\n", encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_queue_prompts(tmp_path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{tmp_path / 'queue_prompts.yaml'}: 'queue.position' is missing"
    assert len(lines) == len(PROMPT_KEYS) - 1
