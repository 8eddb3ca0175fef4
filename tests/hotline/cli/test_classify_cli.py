"""`hotline classify TEXT` and `hotline classify --jsonl FILE`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hotline.cli import main
from ivr_flows.classifier import load_classifier


def expected(text: str) -> dict:
    """What the classifier itself says (the CLI must print exactly that)."""
    return {"text": text, **load_classifier().classify(text).to_dict()}


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_classify_text_prints_one_json_line():
    result = run("classify", "公司拖欠我的工资已经三个月了")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1
    item = json.loads(lines[0])
    assert list(item) == ["text", "topic", "group", "confidence"]
    assert item == expected("公司拖欠我的工资已经三个月了")
    assert "公司" in lines[0]  # UTF-8, not \\u escapes


def test_classify_jsonl_classifies_every_line(tmp_path):
    source = tmp_path / "in.jsonl"
    texts = ["我要离婚", "邻居家的狗把我咬了", "", "😀"]
    source.write_text(
        "\n".join(json.dumps({"text": t, "id": i}, ensure_ascii=False) for i, t in enumerate(texts))
        + "\n",
        encoding="utf-8",
    )
    result = run("classify", "--jsonl", str(source))

    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [item["text"] for item in out] == texts
    assert out == [expected(text) for text in texts]
    assert out[2] == {"text": "", "topic": "综合咨询", "group": "9", "confidence": 0.0}


def test_classify_jsonl_reports_bad_lines_carries_on_and_fails_at_the_end(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '\ufeff{"text": "借钱不还"}\nnot json\n\n{"text": 5}\n["a"]\n{"text": "被打了"}\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["classify", "--jsonl", str(source)])

    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["text"] for item in out] == ["借钱不还", "被打了"]
    assert result.stderr.splitlines() == [
        "line 2: not valid JSON (Expecting value at column 1)",
        'line 4: no "text" string',
        'line 5: not a JSON object like {"text": "..."}',
        "error: 3 line(s) could not be classified",
    ]


def test_classify_jsonl_reads_stdin():
    result = run("classify", "--jsonl", "-", input='{"text": "交通事故对方全责"}\n')
    assert result.exit_code == 0
    assert json.loads(result.output) == expected("交通事故对方全责")


def test_classify_needs_text_or_jsonl():
    result = CliRunner().invoke(main, ["classify"])
    assert result.exit_code == 2
    assert "give either TEXT or --jsonl FILE" in result.output
