"""Config files are read through their models; a problem names the file, the key and the reason."""

from __future__ import annotations

import pytest

from hotline.config_files import (
    ConfigFileError,
    VoiceConfig,
    load_config,
    load_fallback_config,
    load_voice_config,
)
from hotline.settings import REPO_ROOT
from hotline.taxonomy import TopicsFile, load_taxonomy

CONFIG_DIR = REPO_ROOT / "config"


def problems(error: pytest.ExceptionInfo[ConfigFileError]) -> list[str]:
    return str(error.value).splitlines()


def test_the_shipped_core_files_are_valid():
    assert load_voice_config(CONFIG_DIR).say_attrs() == {
        "voice": "Polly.Zhiyu",
        "language": "cmn-CN",
    }
    assert load_fallback_config(CONFIG_DIR).dial_timeout_seconds == 25
    assert load_taxonomy(CONFIG_DIR).default_topic == "综合咨询"


def test_every_problem_of_a_file_is_listed_each_naming_the_file(tmp_path):
    (tmp_path / "voice.yaml").write_text("say: {voice: Polly.Zhiyu, speed: 2}\n", encoding="utf-8")
    path = tmp_path / "voice.yaml"
    with pytest.raises(ConfigFileError) as caught:
        load_voice_config(tmp_path)
    assert problems(caught) == [
        f"{path}: 'say.language' is missing",
        f"{path}: unknown key 'say.speed'",
        f"{path}: 'speech' is missing",
    ]


def test_fallback_numbers_are_whole_numbers(tmp_path):
    text = (CONFIG_DIR / "fallback.yaml").read_text(encoding="utf-8")
    (tmp_path / "fallback.yaml").write_text(
        text.replace("dial_timeout_seconds: 25", 'dial_timeout_seconds: "25"'), encoding="utf-8"
    )
    with pytest.raises(ConfigFileError) as caught:
        load_fallback_config(tmp_path)
    assert problems(caught) == [
        f"{tmp_path / 'fallback.yaml'}: 'dial_timeout_seconds' must be a whole number"
    ]


def test_a_group_needs_topics(tmp_path):
    (tmp_path / "topics.yaml").write_text(
        "default_topic: 甲\ngroups:\n  1: {name: 甲组, topics: [甲]}\n  3: {topics: []}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigFileError) as caught:
        load_taxonomy(tmp_path)
    assert problems(caught) == [f"{tmp_path / 'topics.yaml'}: 'groups.3.topics' must not be empty"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "default_topic: 甲\ngroups:\n  '1': {topics: [甲]}\n  '2': {topics: [乙, 甲]}\n",
            "'groups' has the topic '甲' in two groups",
        ),
        (
            "default_topic: 其他\ngroups: {'1': {topics: [甲]}}\n",
            "'default_topic' must be one of the topics, not '其他'",
        ),
    ],
)
def test_each_topic_is_in_one_group_and_the_default_is_one_of_them(tmp_path, text, problem):
    (tmp_path / "topics.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_config(tmp_path, "topics.yaml", TopicsFile)
    assert problems(caught) == [f"{tmp_path / 'topics.yaml'}: {problem}"]


def test_group_digits_may_be_written_unquoted(tmp_path):
    (tmp_path / "topics.yaml").write_text(
        "default_topic: 甲\ngroups: {1: {topics: [甲]}}\nservices: {a: {digit: 1, name: A}}\n",
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(tmp_path)
    assert (taxonomy.group_digits(), taxonomy.services[0].digit) == (["1"], "1")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigFileError) as caught:
        load_config(tmp_path, "voice.yaml", VoiceConfig)
    assert problems(caught) == [f"{tmp_path / 'voice.yaml'}: file not found"]
