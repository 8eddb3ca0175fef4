"""Benchmark the topic classifier on a labelled jsonl file (lines {"text": ..., "label": ...}).

Accuracy (topic and routing group), confusion matrices, and the time per classification next to
a baseline timed in the same run: a plain `keyword in text` scan over the lexicon's keywords.
The classifier is only loaded and called; nothing is trained on the benchmark data.

    python benchmarks/classifier.py [FILE] [--repeats N] [--errors] [--markdown]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from ivr_flows.classifier import (  # noqa: E402
    DEFAULT_CONFIG_DIR,
    Classification,
    TopicClassifier,
    load_classifier,
)

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "consultation_questions_dev.jsonl"


def load_rows(path: Path) -> list[dict[str, str]]:
    """Read the labelled rows of a jsonl file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def per_call_us(
    funcs: Sequence[Callable[[str], object]], texts: Sequence[str], repeats: int
) -> list[list[float]]:
    """Time every call of each func(text) over repeats rounds; microseconds per call.

    The functions are interleaved text by text, so a change in machine load during the run
    affects all of them alike and their ratio stays meaningful. One warm-up round is not
    recorded, and the garbage collector is paused while timing (as timeit does).
    """
    for text in texts:
        for func in funcs:
            func(text)
    clock = time.perf_counter_ns
    samples: list[list[float]] = [[] for _ in funcs]
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            for text in texts:
                for func, out in zip(funcs, samples, strict=True):
                    start = clock()
                    func(text)
                    out.append((clock() - start) / 1000.0)
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def keyword_scan(keywords: Sequence[str]) -> Callable[[str], list[str]]:
    """The timing baseline: which keywords occur in the text, by a plain `in` test each."""

    def scan(text: str) -> list[str]:
        return [word for word in keywords if word in text]

    return scan


def confusion_lines(
    keys: Sequence[str],
    names: Sequence[str],
    gold: Sequence[str],
    pred: Sequence[str],
    markdown: bool,
) -> list[str]:
    """A confusion matrix: rows are labels, columns predictions, both headed by keys."""
    counts = Counter(zip(gold, pred, strict=True))
    width = max(3, len(str(max(counts.values(), default=0))) + 1)
    lines = []
    if markdown:
        lines.append("| label | " + " | ".join(keys) + " | correct |")
        lines.append("|---|" + "---:|" * (len(keys) + 1))
    else:
        head = "".join(f"{k:>{width}}" for k in keys)
        lines.append(f"{'':18}{head}  correct")
    for k, (row_key, row_name) in enumerate(zip(keys, names, strict=True)):
        row = [counts[(row_name, col)] for col in names]
        ok = f"{row[k]}/{sum(row)}"
        name = f"{row_key} {row_name}"
        if markdown:
            cells = " | ".join(str(c) if c else "·" for c in row)
            lines.append(f"| {name} | {cells} | {ok} |")
        else:
            cells = "".join(f"{c if c else '.':>{width}}" for c in row)
            # CJK characters are two columns wide in a terminal: pad by display width.
            pad = 18 - sum(2 if ord(ch) > 0x2E80 else 1 for ch in name)
            lines.append(f"{name}{' ' * max(pad, 1)}{cells}  {ok:>7}")
    return lines


def group_names(topics_path: Path) -> dict[str, str]:
    """Group digit -> group name, from config/topics.yaml."""
    taxonomy = yaml.safe_load(topics_path.read_text(encoding="utf-8"))
    return {str(g): str(spec.get("name", g)) for g, spec in taxonomy["groups"].items()}


def run(args: argparse.Namespace) -> dict:
    """Classify every row, time classifier and baseline; return the measurements."""
    rows = load_rows(args.data)
    start = time.perf_counter()
    clf: TopicClassifier = load_classifier()
    load_s = time.perf_counter() - start
    texts = [row["text"] for row in rows]
    gold = [row["label"] for row in rows]
    unknown = sorted(set(gold) - set(clf.topics))
    if unknown:
        raise SystemExit(f"labels not in config/topics.yaml: {unknown}")
    preds: list[Classification] = [clf.classify(text) for text in texts]

    keywords = sorted(clf.keywords)
    clf_us, base_us = per_call_us([clf.classify, keyword_scan(keywords)], texts, args.repeats)
    return {
        "clf": clf,
        "rows": rows,
        "gold": gold,
        "preds": preds,
        "load_s": load_s,
        "keywords": len(keywords),
        "clf_us": clf_us,
        "base_us": base_us,
    }


def report(res: dict, args: argparse.Namespace) -> list[str]:
    """Format the measurements as plain text or as a markdown section."""
    clf: TopicClassifier = res["clf"]
    gold, preds = res["gold"], res["preds"]
    n = len(gold)
    pred_topics = [p.topic for p in preds]
    gold_groups = [clf.topic_group[t] for t in gold]
    pred_groups = [p.group for p in preds]
    topic_ok = sum(g == p for g, p in zip(gold, pred_topics, strict=True))
    group_ok = sum(g == p for g, p in zip(gold_groups, pred_groups, strict=True))
    confident = [i for i, p in enumerate(preds) if p.confidence >= 0.6]
    conf_topic_ok = sum(gold[i] == pred_topics[i] for i in confident)
    conf_group_ok = sum(gold_groups[i] == pred_groups[i] for i in confident)
    clf_med, clf_p95 = statistics.median(res["clf_us"]), percentile(res["clf_us"], 95)
    base_med, base_p95 = statistics.median(res["base_us"]), percentile(res["base_us"], 95)
    ratio = clf_med / base_med
    md = args.markdown
    out: list[str] = []
    bold = "**" if md else ""
    summary = [
        ("Rows", f"{n} ({args.data.name})"),
        ("Topic accuracy", f"{bold}{topic_ok / n:.1%}{bold} ({topic_ok}/{n})"),
        ("Group accuracy", f"{bold}{group_ok / n:.1%}{bold} ({group_ok}/{n})"),
        (
            "Confidence >= 0.6",
            f"{len(confident) / n:.0%} of rows; accuracy there: topic "
            f"{conf_topic_ok / max(len(confident), 1):.0%}, "
            f"group {conf_group_ok / max(len(confident), 1):.0%}",
        ),
        ("Classifier, per question", f"median {clf_med:.0f} µs, p95 {clf_p95:.0f} µs"),
        (
            f"Baseline `in` scan of {res['keywords']} keywords",
            f"median {base_med:.0f} µs, p95 {base_p95:.0f} µs",
        ),
        ("Classifier / baseline (medians)", f"{ratio:.2f}×"),
        ("Classifier load (once per process)", f"{res['load_s']:.1f} s"),
    ]
    topic_keys = [str(k) for k in range(1, len(clf.topics) + 1)]
    names = group_names(DEFAULT_CONFIG_DIR / "topics.yaml")
    group_keys = list(clf.groups)
    group_labels = [names.get(g, g) for g in group_keys]
    name_of = dict(zip(group_keys, group_labels, strict=True))
    gold_group_names = [name_of[g] for g in gold_groups]
    pred_group_names = [name_of[g] for g in pred_groups]
    if md:
        out += ["## Topic classifier", ""]
        out += [
            f"`ivr_flows/classifier.py` on `{args.data.name}` ({n} labelled questions), "
            f"{date.today().isoformat()}, {os.cpu_count()} CPU cores, "
            f"Python {platform.python_version()}. Nothing is trained on these rows.",
            "",
        ]
        out += ["| Metric | Value |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in summary]
        out += [
            "",
            "Topic confusion (rows: label; columns: predicted topic, numbered as the rows):",
            "",
        ]
        out += confusion_lines(topic_keys, clf.topics, gold, pred_topics, markdown=True)
        out += ["", "Group confusion (rows: the label's group; columns: predicted group):", ""]
        out += confusion_lines(
            group_keys, group_labels, gold_group_names, pred_group_names, markdown=True
        )
        out += ["", "Reproduce: `python benchmarks/classifier.py --markdown`"]
    else:
        width = max(len(k) for k, _ in summary)
        out += [f"{k:<{width}}  {v}" for k, v in summary]
        out += ["", "topic confusion (rows: label, columns: predicted topic by number)"]
        out += confusion_lines(topic_keys, clf.topics, gold, pred_topics, markdown=False)
        out += ["", "group confusion (rows: the label's group, columns: predicted group)"]
        out += confusion_lines(
            group_keys, group_labels, gold_group_names, pred_group_names, markdown=False
        )
        if args.errors:
            out += ["", "misrouted rows (label -> prediction, confidence):"]
            for row, pred in zip(res["rows"], preds, strict=True):
                if pred.group != clf.topic_group[row["label"]]:
                    text = row["text"].replace("\n", " ")[:70]
                    out.append(f"  {row['label']} -> {pred.topic} ({pred.confidence:.2f}) {text}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=5, help="timing rounds over all rows")
    parser.add_argument("--errors", action="store_true", help="list misrouted rows (text mode)")
    parser.add_argument("--markdown", action="store_true", help="print a markdown section")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if not args.data.exists():
        parser.error(f"no such file: {args.data}")
    print("\n".join(report(run(args), args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
