"""IVR state round trips, prompts rendering and the Mermaid graph."""

from __future__ import annotations

import pytest

from hotline.config_files import ConfigFileError
from ivr_flows.graph import to_mermaid
from ivr_flows.prompts import load_prompts
from ivr_flows.resources import load_resources
from ivr_flows.schema import load_flows
from ivr_flows.state import IvrState
from tests.ivr_flows.support import CONFIG_DIR, FLOWS_DIR, copy_config


def test_state_round_trips_through_a_redis_hash():
    state = IvrState("12348", "region", {"region": None, "topic": "婚姻家庭"}, {"region": 2}, 7)
    raw = {k.encode(): v.encode() for k, v in state.to_hash().items()}
    assert IvrState.from_hash(raw) == state


def test_a_hash_that_is_no_state_is_refused():
    with pytest.raises((ValueError, KeyError)):
        IvrState.from_hash({b"node": b'"x"'})
    with pytest.raises(ValueError):
        IvrState.from_hash({b"flow": b"1", b"node": b'"x"'})


def test_prompts_fill_placeholders_and_leave_unknown_ones_empty():
    prompts = load_prompts(CONFIG_DIR)
    assert prompts.render("confirm_topic", {"guess_topic": "劳动纠纷"}) == (
        "您咨询的是劳动纠纷问题吗？确认请按1，重新选择请按2。"
    )
    assert prompts.render("confirm_topic", {}) == "您咨询的是问题吗？确认请按1，重新选择请按2。"


def test_a_prompt_with_a_broken_placeholder_is_refused(tmp_path):
    config = copy_config(tmp_path, prompts={"welcome": "您好{"})
    with pytest.raises(ConfigFileError, match="prompt 'welcome' has a bad placeholder"):
        load_prompts(config)


def test_the_graph_has_every_node_and_edge():
    resources = load_resources(CONFIG_DIR, classifier=lambda: None)
    flow = load_flows(FLOWS_DIR, resources.prompts, resources.vocabulary())["12348"]
    text = to_mermaid(flow)
    assert text.startswith("flowchart TD\n")
    for node in flow.nodes.values():
        assert f"n_{node.id}" in text
    edges = sum(len(node.edges) for node in flow.nodes.values())
    assert text.count(" --> ") + text.count("-->|") == edges + 1  # plus the start arrow


def test_a_prompt_problem_names_the_file_the_prompt_and_the_reason(tmp_path):
    config = copy_config(tmp_path, prompts={"welcome": "您好", "goodbye": "  "})
    with pytest.raises(ConfigFileError) as caught:
        load_prompts(config)
    assert (
        str(caught.value) == f"{config / 'prompts.yaml'}: prompt 'goodbye' must be a non-empty text"
    )
