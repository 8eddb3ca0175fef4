"""Measure the topic classifier on a labelled jsonl file (lines {"text": ..., "label": ...})."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from ivr_flows.classifier import load_classifier  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "consultation_questions_dev.jsonl"


def load_rows(path: Path) -> list[dict[str, str]]:
    """Read the labelled rows of a jsonl file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def baseline_scan(texts: list[str], keywords: list[str]) -> None:
    """Plain str.count keyword scan over the texts (the timing baseline)."""
    for text in texts:
        _ = [text.count(word) for word in keywords]


def timed(func, repeats: int) -> float:
    """Best wall time of repeats calls of func()."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats (best of)")
    parser.add_argument("--errors", action="store_true", help="print every misclassified text")
    args = parser.parse_args(argv)

    rows = load_rows(args.data)
    start = time.perf_counter()
    clf = load_classifier()
    load_time = time.perf_counter() - start
    texts = [row["text"] for row in rows]
    preds = [clf.classify(text) for text in texts]

    per_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    topic_ok = group_ok = 0
    for row, pred in zip(rows, preds, strict=True):
        label = row["label"]
        hit = pred.topic == label
        topic_ok += hit
        group_ok += pred.group == clf.topic_group.get(label)
        per_topic[label][0] += hit
        per_topic[label][1] += 1
        if not hit:
            confusion[label][pred.topic] += 1
            if args.errors:
                print(f"  {label} -> {pred.topic} ({pred.confidence:.2f}) {row['text'][:70]}")

    n = len(rows)
    print(f"data: {args.data} ({n} rows), classifier load: {load_time:.2f}s")
    print(f"topic accuracy: {topic_ok / n:.1%}   group accuracy: {group_ok / n:.1%}")
    confident = [(p, r) for p, r in zip(preds, rows, strict=True) if p.confidence >= 0.6]
    if confident:
        ok = sum(p.topic == r["label"] for p, r in confident)
        print(f"confidence >= 0.6: {len(confident) / n:.1%} of rows, "
              f"topic accuracy there {ok / len(confident):.1%}")
    print("\nper-topic accuracy:")
    for topic, (ok, total) in sorted(per_topic.items(), key=lambda kv: kv[1][0] / kv[1][1]):
        print(f"  {topic:<6} {ok:>3}/{total:<3} {ok / total:6.1%}")
    print("\nworst topics, most frequent wrong predictions:")
    worst = sorted(per_topic, key=lambda t: per_topic[t][0] / per_topic[t][1])[:5]
    for topic in worst:
        top = ", ".join(f"{t} x{c}" for t, c in confusion[topic].most_common(3))
        print(f"  {topic}: {top or '-'}")

    keywords = sorted(clf.keywords)
    t_clf = timed(lambda: [clf.classify(text) for text in texts], args.repeats)
    t_base = timed(lambda: baseline_scan(texts, keywords), args.repeats)
    print(f"\nmean time per classification: {t_clf / n * 1e6:.0f} us; "
          f"str.count scan of {len(keywords)} keywords: {t_base / n * 1e6:.0f} us "
          f"(ratio {t_clf / t_base:.1f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
