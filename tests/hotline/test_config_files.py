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

CONFIG_DIR = REPO_ROOT / "config"


def problems(error: pytest.ExceptionInfo[ConfigFileError]) -> list[str]:
    return str(error.value).splitlines()


def test_the_shipped_core_files_are_valid():
    assert load_voice_config(CONFIG_DIR).say_attrs() == {
        "voice": "Polly.Zhiyu",
        "language": "cmn-CN",
    }
    assert load_fallback_config(CONFIG_DIR).dial_timeout_seconds == 25


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


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigFileError) as caught:
        load_config(tmp_path, "voice.yaml", VoiceConfig)
    assert problems(caught) == [f"{tmp_path / 'voice.yaml'}: file not found"]
