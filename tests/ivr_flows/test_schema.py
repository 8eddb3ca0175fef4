"""Flow files are validated at load: every fault is refused with file, node and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr_flows.resources import load_resources
from ivr_flows.schema import FlowError, load_flows, parse_flow
from tests.ivr_flows.support import CONFIG_DIR, FLOWS_DIR, StubClassifier

MINI = """\
name: mini
start: hello
safe_default: operator
nodes:
  hello:
    kind: say
    prompt: welcome
    next: menu
  menu:
    kind: menu
    prompt: service_menu
    options:
      "1": operator
      "2": {next: operator, set: {service: legal_aid}}
  operator:
    kind: enqueue
"""
PATH = Path("flows/broken.yaml")


@pytest.fixture(scope="module")
def resources():
    return load_resources(CONFIG_DIR, classifier=lambda: StubClassifier("综合咨询", "9", 0.0))


def parse(resources, text: str):
    return parse_flow(text, PATH, resources.prompts, resources.vocabulary())


def problems(resources, text: str) -> list[str]:
    with pytest.raises(FlowError) as caught:
        parse(resources, text)
    lines = str(caught.value).splitlines()
    assert lines == [str(p) for p in caught.value.problems]
    return lines


def test_the_mini_flow_and_the_12348_flow_are_valid(resources):
    flow = parse(resources, MINI)
    assert (flow.name, flow.start, flow.safe_default, flow.max_failures) == (
        "mini", "hello", "operator", 3,
    )  # fmt: skip
    assert flow.nodes["menu"]["options"]["2"].set == {"service": "legal_aid"}
    assert flow.nodes["menu"]["timeout"] == 5 and flow.nodes["menu"]["invalid_prompt"]
    flows = load_flows(FLOWS_DIR, resources.prompts, resources.vocabulary())
    assert set(flows) == {"12348", "survey"}
    assert len(flows["12348"].nodes) == 16


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # unknown node kind
        ("kind: say", "kind: speak",
         "flows/broken.yaml: hello: unknown node kind 'speak' (known: branch, callback, "
         "classify, enqueue, hangup, menu, play, region, say, set, speech, survey, transfer, "
         "voicemail)"),
        # missing kind
        ("    kind: say\n", "",
         "flows/broken.yaml: hello: missing 'kind'"),
        # dangling next
        ("next: menu", "next: nowhere",
         "flows/broken.yaml: hello: 'next' names a node that does not exist: 'nowhere'"),
        # dangling menu target
        ('"1": operator', '"1": operatr',
         "flows/broken.yaml: menu: '1' names a node that does not exist: 'operatr'"),
        # missing next
        ("    next: menu\n", "",
         "flows/broken.yaml: hello: missing 'next'"),
        # missing prompt (the field)
        ("    prompt: service_menu\n", "",
         "flows/broken.yaml: menu: missing 'prompt'"),
        # missing prompt (the key in config/prompts.yaml)
        ("prompt: welcome", "prompt: welcom",
         "flows/broken.yaml: hello: prompt 'welcom' is not in prompts.yaml"),
        # schema: unknown field, wrong type, bad value
        ("    next: menu\n", "    next: menu\n    nxt: menu\n",
         "flows/broken.yaml: hello: unknown field 'nxt' for a say node"),
        ("    prompt: service_menu\n", "    prompt: service_menu\n    timeout: soon\n",
         "flows/broken.yaml: menu: 'timeout' must be a whole number from 1 to 30"),
        ("{service: legal_aid}", "{service: divorce}",
         "flows/broken.yaml: menu: service 'divorce' is not one of complaint, consultation, "
         "legal_aid, mediation, notary_forensic, operator"),
        ("{service: legal_aid}", "{is_open: true}",
         "flows/broken.yaml: menu: 'is_open' is computed by the engine and cannot be set"),
        # menu key used twice, also as a number and a text
        ('      "2": {next', '      "1": {next',
         "flows/broken.yaml: menu: menu key '1' used twice (line 14)"),
        ('      "2": {next', '      1: {next',
         "flows/broken.yaml: menu: menu key '1' used twice"),
        ('"1": operator', '"*": operator',
         "flows/broken.yaml: menu: menu key '*' is reserved: it repeats the prompt"),
        # flow level
        ("start: hello", "start: nowhere",
         "flows/broken.yaml: (flow): 'start' names a node that does not exist: 'nowhere'"),
        ("safe_default: operator", "safe_default: menu",
         "flows/broken.yaml: (flow): 'safe_default' must be a node of kind enqueue, voicemail, "
         "hangup"),
        ("name: mini", "name: mini\ncolour: blue",
         "flows/broken.yaml: (flow): unknown field 'colour'"),
    ],
)  # fmt: skip
def test_each_fault_is_refused_with_file_node_and_reason(resources, old, new, expected):
    assert old in MINI
    assert expected in problems(resources, MINI.replace(old, new, 1))


def test_an_unreachable_node_is_refused(resources):
    text = MINI + "  orphan:\n    kind: hangup\n"
    assert problems(resources, text) == [
        "flows/broken.yaml: orphan: unreachable from the start node 'hello'"
    ]


def test_a_node_defined_twice_is_refused(resources):
    text = MINI + "  hello:\n    kind: hangup\n"
    assert "flows/broken.yaml: hello: node defined twice (line 17)" in problems(resources, text)


def test_a_loop_without_input_is_refused(resources):
    text = MINI.replace("next: menu", "next: again") + (
        "  again:\n    kind: say\n    prompt: goodbye\n    next: hello\n"
    )
    assert problems(resources, text) == [
        "flows/broken.yaml: menu: unreachable from the start node 'hello'",
        "flows/broken.yaml: hello: loop without any input: hello -> again -> hello",
    ]


def test_a_branch_on_an_unknown_variable_is_refused(resources):
    text = MINI.replace(
        "  hello:\n    kind: say\n    prompt: welcome\n    next: menu\n",
        "  hello:\n    kind: branch\n    cases:\n      - when: {weather: sunny}\n"
        "        next: menu\n    default: menu\n",
    )
    assert problems(resources, text) == [
        "flows/broken.yaml: hello: branch on unknown variable 'weather'"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- just\n- a list\n",
         "flows/broken.yaml: (flow): a flow file must be a mapping with start and nodes"),
        ("nodes: [\n", "flows/broken.yaml: (flow): not valid YAML: "),
        ("start: a\nsafe_default: a\n",
         "flows/broken.yaml: (flow): missing 'nodes' (a mapping of node id to node)"),
    ],
)  # fmt: skip
def test_a_file_that_is_no_flow_is_refused(resources, text, expected):
    assert problems(resources, text)[0].startswith(expected)


def test_every_problem_of_a_file_is_reported_at_once(resources):
    text = MINI.replace("kind: say", "kind: speak").replace("prompt: service_menu", "prompt: x")
    lines = problems(resources, text)
    assert lines[0].startswith("flows/broken.yaml: hello: unknown node kind 'speak'")
    assert "flows/broken.yaml: menu: prompt 'x' is not in prompts.yaml" in lines


def test_problems_of_several_files_are_collected(resources, tmp_path):
    (tmp_path / "a.yaml").write_text(MINI.replace("next: menu", "next: nowhere"), "utf-8")
    (tmp_path / "b.yaml").write_text(MINI.replace("kind: enqueue", "kind: queue"), "utf-8")
    with pytest.raises(FlowError) as caught:
        load_flows(tmp_path, resources.prompts, resources.vocabulary())
    files = [Path(p.file).name for p in caught.value.problems]
    assert sorted(set(files)) == ["a.yaml", "b.yaml"]
    assert any(
        p.node == "operator" and p.reason.startswith("unknown node kind 'queue'")
        for p in caught.value.problems
    )


def test_an_empty_flows_directory_is_refused(resources, tmp_path):
    with pytest.raises(FlowError, match="no flow files"):
        load_flows(tmp_path, resources.prompts, resources.vocabulary())
