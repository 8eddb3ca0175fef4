"""`hotline flows check`: validate the flows and print their graphs."""

from __future__ import annotations

from click.testing import CliRunner

from hotline.cli import main
from tests.ivr_flows.support import FLOWS_DIR


def test_flows_check_prints_the_graph_of_the_12348_flow():
    result = CliRunner().invoke(main, ["flows", "check"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"ok: flow 12348 ({FLOWS_DIR / '12348.yaml'}, 16 nodes)"
    assert lines[1] == "flowchart TD"
    assert '  n_service_menu -->|"1"| n_topic_speech' in lines
    assert '  n_topic_classify -->|"no"| n_group_menu' in lines
    assert '  n_hours_check -->|"is_open=false"| n_after_hours' in lines
    assert '  n_operator_queue(["operator_queue<br/>enqueue"])' in lines
    assert '  flow_failures(("3 failures")) -.-> n_operator_queue' in lines


def test_flows_check_refuses_a_broken_flow_with_file_node_and_reason(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "start: hello\nsafe_default: bye\nnodes:\n"
        "  hello: {kind: say, prompt: welcome, next: nowhere}\n"
        "  bye: {kind: hangup}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["flows", "check", "--dir", str(tmp_path)])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{broken}: hello: 'next' names a node that does not exist: 'nowhere'",
        "error: 1 problem(s) in the flows",
    ]


def test_flows_check_quiet_prints_no_graph():
    result = CliRunner().invoke(main, ["flows", "check", "--quiet"])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == 2  # the 12348 flow and the survey flow
