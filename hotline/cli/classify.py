"""`hotline classify`: the speech-text topic classifier on one text or a JSON Lines file."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import click

from hotline.settings import load_settings


def _result(classifier: Any, text: str) -> str:
    found = classifier.classify(text)
    return json.dumps(
        {"text": text, "topic": found.topic, "group": found.group, "confidence": found.confidence},
        ensure_ascii=False,
    )


def _problem(line: str) -> tuple[str | None, str | None]:
    """The text of one JSONL line, or why the line is unusable."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(item, dict):
        return None, 'not a JSON object like {"text": "..."}'
    if not isinstance(item.get("text"), str):
        return None, 'no "text" string'
    return item["text"], None


def classify_lines(classifier: Any, source: TextIO, out: TextIO, err: TextIO) -> int:
    """Classify every {"text"} line of source to out; report bad lines to err; count them."""
    bad = 0
    for number, line in enumerate(source, start=1):
        line = line.strip().lstrip("\ufeff")
        if not line:
            continue
        text, problem = _problem(line)
        if problem is not None:
            bad += 1
            err.write(f"line {number}: {problem}\n")
            continue
        out.write(_result(classifier, text or "") + "\n")
    return bad


@click.command()
@click.argument("text", required=False)
@click.option(
    "--jsonl",
    "jsonl_file",
    type=click.File("r", encoding="utf-8-sig"),
    help='a JSON Lines file of {"text": ...} objects ("-" for stdin)',
)
def classify(text: str | None, jsonl_file: TextIO | None) -> None:
    """Print the topic, group and confidence of TEXT (or of every line of --jsonl FILE)."""
    if (text is None) == (jsonl_file is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    from ivr_flows.resources import default_classifier

    classifier = default_classifier(load_settings().config_dir)
    if text is not None:
        click.echo(_result(classifier, text))
        return
    assert jsonl_file is not None
    bad = classify_lines(classifier, jsonl_file, sys.stdout, sys.stderr)
    if bad:
        click.echo(f"error: {bad} line(s) could not be classified", err=True)
        sys.exit(1)
