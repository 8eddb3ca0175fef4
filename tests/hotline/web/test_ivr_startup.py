"""Flows are loaded and validated once when the app starts: a broken flow refuses the start."""

from __future__ import annotations

import pytest
import yaml

from hotline.config_files import ConfigFileError
from hotline.web.app import create_app
from hotline.web.ivr import ENGINE_KEY
from ivr_flows.classifier import load_classifier
from ivr_flows.resources import default_classifier
from ivr_flows.schema import FlowError
from tests.ivr_flows.support import FLOWS_DIR, copy_config, make_app


def broken_flows(tmp_path, old: str, new: str):
    flows = tmp_path / "flows"
    flows.mkdir()
    text = (FLOWS_DIR / "12348.yaml").read_text(encoding="utf-8")
    assert old in text
    (flows / "12348.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return flows


@pytest.mark.parametrize(
    ("old", "new", "node", "reason"),
    [
        ("kind: classify", "kind: guess", "topic_classify", "unknown node kind 'guess'"),
        ("next: topic_classify", "next: topic_classifier", "topic_speech",
         "'next' names a node that does not exist: 'topic_classifier'"),
        ("    next: queue\n", "", "region", "missing 'next'"),
        ('      "9": {next: region, set: {group: "9"}}',
         '      "9": {next: region, set: {group: "9"}}\n      "9": {next: operator_queue}',
         "group_menu", "menu key '9' used twice"),
        ("prompt: after_hours_menu", "prompt: after_hour_menu", "after_hours_menu",
         "prompt 'after_hour_menu' is not in prompts.yaml"),
        ("        next: holiday_notice\n", "        next: service_menu\n", "holiday_notice",
         "unreachable from the start node 'welcome'"),
        ("    timeout: 6\n    options:", "    timeout: sixty\n    options:", "service_menu",
         "'timeout' must be a whole number from 1 to 30"),
    ],
)  # fmt: skip
def test_a_broken_flow_refuses_the_start(runtime, tmp_path, old, new, node, reason):
    flows = broken_flows(tmp_path, old, new)
    with pytest.raises(FlowError) as caught:
        make_app(runtime, flows_dir=flows)
    path = flows / "12348.yaml"
    assert any(
        line.startswith(f"{path}: {node}: {reason}") for line in str(caught.value).splitlines()
    ), str(caught.value)


def test_a_prompt_missing_from_config_refuses_the_start(runtime, tmp_path):
    prompts = yaml.safe_load((FLOWS_DIR.parent.parent / "config/prompts.yaml").read_text("utf-8"))
    del prompts["invalid_input"]
    config = copy_config(tmp_path, prompts=prompts)
    with pytest.raises(FlowError) as caught:
        make_app(runtime, config_dir=config)
    assert (
        f"{FLOWS_DIR / '12348.yaml'}: service_menu: prompt 'invalid_input' is not in prompts.yaml"
        in str(caught.value).splitlines()
    )


def test_a_missing_flow_name_refuses_the_start(runtime, tmp_path):
    with pytest.raises(FlowError, match="no flow named 'nope' \\(12348\\)"):
        make_app(runtime, flow="nope")


def test_the_flows_are_loaded_once_at_start(runtime):
    app = create_app(runtime=runtime)
    engine = app.extensions[ENGINE_KEY]
    assert engine.flow.name == "12348" and engine.flow.start == "welcome"


def test_the_classifier_is_loaded_when_the_app_starts_not_on_the_first_call(runtime, monkeypatch):
    from hotline.web import ivr

    loads: list[object] = []

    def counted(config_dir):
        loads.append(config_dir)
        return default_classifier(config_dir)

    monkeypatch.setattr(ivr, "default_classifier", counted)
    app = create_app(runtime=runtime)
    assert loads == [runtime.settings.config_dir]  # before any request
    assert app.extensions[ENGINE_KEY].resources.classifier() is load_classifier()
    assert len(loads) == 1  # a request only looks it up


def test_a_config_file_that_is_missing_refuses_the_start(runtime, tmp_path):
    config = copy_config(tmp_path)
    (config / "callbacks.yaml").unlink()
    with pytest.raises(ConfigFileError) as caught:
        make_app(runtime, config_dir=config)
    assert "callbacks.yaml: file not found" in str(caught.value)
