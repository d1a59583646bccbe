"""Per-kind precision and recall of the shipped triage on our own labelled posts (issue 14, 3).

    .venv/bin/python bench/triage_kinds.py [--show-errors] [--industry transport] [--hint]

The set, `tests/data/triage_kinds.jsonl`, is an EVALUATION set: 310 German and English
social media posts written for this project (no text copied from any dataset) about a rail
operator ("Nordbahn") and a telecom/retail brand ("Brightcell"), labelled by hand as a
careful human annotator would, never to match what the model says. It covers every kind
in `mentions.vocabulary.Kind` with sarcasm ("Danke für nichts", "great, another delay"),
negation ("nicht schlecht", "not bad at all", "kein Problem mehr"), press reports (kind
"other": the vocabulary has no "news" kind, and a report is not a complaint), off-topic
homonyms (kind "spam", not relevant: "bright cell" in biology, "Nordbahnstraße", historic
railways) and crises that are crises (danger to people, safety, reputation) beside
closures that do not touch the client ("Autobahn A7 gesperrt … Nordbahn nicht betroffen").

Do not tune triage code, lexicons or thresholds to this file: it only stays a fair
measure of kinds that make sense while nothing has been fitted to it.

Each post runs through `triage_texts` exactly as `manage.py triage_jsonl` calls it without a
client: shipped models, no learned client models, language detected (`--hint` passes the
labelled language as the source's hint instead). `--industry transport` turns on the
shipped German relevance head, as a transport client would. Prints, per language and
overall: per-kind precision, recall, F1 and support; sentiment accuracy and macro-F1;
relevance accuracy; then a confusion table of kinds (rows: label, columns: triage).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from mentions.triage import ClientTriage, triage_texts
from mentions.vocabulary import Kind, Sentiment

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage_kinds.jsonl"
KINDS: tuple[str, ...] = tuple(Kind.values)
SENTIMENTS: tuple[str, ...] = tuple(Sentiment.values)
LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def class_scores(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[ClassScore]:
    """Precision, recall and F1 per label (0.0 where undefined) and its gold support."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    scores = []
    for label in labels:
        true_positive = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        predicted_count = sum(p == label for p in predicted)
        support = sum(g == label for g in gold)
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(ClassScore(label, precision, recall, f1, support))
    return scores


def accuracy(gold: Sequence[Any], predicted: Sequence[Any]) -> float:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    """Mean F1 over the labels that occur in gold (labels absent from gold are left out)."""
    present = [s for s in class_scores(gold, predicted, labels) if s.support]
    return sum(s.f1 for s in present) / len(present) if present else 0.0


def confusion(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, Counter[str]]:
    table: dict[str, Counter[str]] = {label: Counter() for label in labels}
    for g, p in zip(gold, predicted, strict=True):
        table.setdefault(g, Counter())[p] += 1
    return table


def load(path: Path = DATA) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def report(rows: Sequence[dict[str, Any]], results: Sequence[Any], title: str) -> None:
    gold_kind = [r["kind"] for r in rows]
    kind = [t.kind for t in results]
    gold_sentiment = [r["sentiment"] for r in rows]
    sentiment = [t.sentiment for t in results]
    print(f"\n== {title}: {len(rows)} posts")
    print(f"{'kind':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    scores = class_scores(gold_kind, kind, KINDS)
    for s in scores:
        print(f"{s.label:<10} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.support:>8}")
    print(
        f"{'kind accuracy':<26} {accuracy(gold_kind, kind):.3f}   "
        f"macro-F1 {macro_f1(gold_kind, kind, KINDS):.3f}"
    )
    print(
        f"{'sentiment accuracy':<26} {accuracy(gold_sentiment, sentiment):.3f}   "
        f"macro-F1 {macro_f1(gold_sentiment, sentiment, SENTIMENTS):.3f}"
    )
    relevant = accuracy([r["relevant"] for r in rows], [t.relevant for t in results])
    print(f"{'relevance accuracy':<26} {relevant:.3f}")
    detected = accuracy([r["lang"] for r in rows], [t.language for t in results])
    print(f"{'language accuracy':<26} {detected:.3f}")


def print_confusion(gold: Sequence[str], predicted: Sequence[str]) -> None:
    table = confusion(gold, predicted, KINDS)
    print("\n== kinds, confusion (rows: label, columns: triage)")
    print(f"{'':<10}" + "".join(f"{k[:9]:>10}" for k in KINDS))
    for label in KINDS:
        print(f"{label:<10}" + "".join(f"{table[label][k]:>10}" for k in KINDS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-errors", action="store_true", help="list misclassified posts")
    parser.add_argument("--industry", default="", help='client industry, e.g. "transport"')
    parser.add_argument("--hint", action="store_true", help="pass the labelled language")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    rows = load(args.data)
    results = triage_texts(
        [r["text"] for r in rows],
        languages=[r["lang"] if args.hint else "" for r in rows],
        client=ClientTriage(industry=args.industry),
    )
    for language in LANGUAGES:
        picked = [i for i, r in enumerate(rows) if r["lang"] == language]
        report([rows[i] for i in picked], [results[i] for i in picked], language)
    report(rows, results, "overall")
    print_confusion([r["kind"] for r in rows], [t.kind for t in results])
    if args.show_errors:
        print("\n== misclassified (kind, sentiment or relevance)")
        for row, result in zip(rows, results, strict=True):
            wrong = [
                f"{name} {gold}->{got}"
                for name, gold, got in (
                    ("kind", row["kind"], result.kind),
                    ("sentiment", row["sentiment"], result.sentiment),
                    ("relevant", row["relevant"], result.relevant),
                )
                if gold != got
            ]
            if wrong:
                print(f"{row['id']} [{row['lang']}] {'; '.join(wrong)}: {row['text']}")


if __name__ == "__main__":
    main()
