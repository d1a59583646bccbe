"""A digest of every triage result on the development sets: speed work must leave it equal.

    .venv/bin/python bench/triage_digest.py [--save results.json]

Runs `triage_texts` over every text of the airline, complaint and GermEval sets and
tests/data/triage_kinds.jsonl: plain, with a client (keyword aspects, transport industry,
so the German relevance head counts), and the kinds set with its language hints. Prints
one SHA-256 per run over every `TriageResult` field (floats as exact hex) and a total; a
change that only makes triage faster must print the same total before and after.
`--save` writes the results for a diff. Needs ../shared/data (or LOTSE_SHARED_DATA).
"""

from __future__ import annotations

import os

os.environ.setdefault("RAYON_NUM_THREADS", "1")

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOTSE_DEBUG", "1")

import django

django.setup()

from mentions.triage import ClientTriage, TriageResult, datasets, triage_texts
from mentions.triage.engine import aspect_rule

KINDS = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage_kinds.jsonl"


def _fields(result: TriageResult) -> str:
    return repr(
        (
            result.language,
            result.sentiment,
            float(result.sentiment_score).hex(),
            result.sentiment_method,
            result.kind,
            result.aspects,
            result.relevant,
            float(result.relevance_score).hex(),
            float(result.complaint_score).hex(),
        )
    )


def _runs() -> list[tuple[str, Sequence[str], dict[str, Any]]]:
    kinds = [json.loads(line) for line in KINDS.read_text().splitlines()]
    client = ClientTriage(
        aspects=[
            aspect_rule("delay", ["delay*", "verspät*", "late"]),
            aspect_rule("app", ["app", "app store"]),
        ],
        industry="transport",
    )
    runs: list[tuple[str, Sequence[str], dict[str, Any]]] = []
    sets = {
        "airline": datasets.airline().texts,
        "complaints": datasets.complaints().texts,
        "germeval": datasets.germeval().texts,
        "kinds": [row["text"] for row in kinds],
    }
    for name, texts in sets.items():
        runs.append((f"{name} plain", texts, {}))
        runs.append((f"{name} client", texts, {"client": client}))
    runs.append(("kinds hints", sets["kinds"], {"languages": [row["lang"] for row in kinds]}))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", type=Path, help="write every result as JSON")
    args = parser.parse_args()
    if not datasets.available():
        sys.exit("needs ../shared/data (or LOTSE_SHARED_DATA)")
    total = hashlib.sha256()
    saved: list[list[str]] = []
    for name, texts, options in _runs():
        started = time.process_time()
        results = triage_texts(texts, **options)
        digest = hashlib.sha256("\n".join(map(_fields, results)).encode()).hexdigest()
        total.update(digest.encode())
        seconds = time.process_time() - started
        print(f"{name:<20} {len(texts):>6} {digest[:16]} {seconds:6.1f} s", flush=True)
        saved.extend([name, _fields(result)] for result in results)
    print("total", total.hexdigest())
    if args.save:
        args.save.write_text(json.dumps(saved, ensure_ascii=False))


if __name__ == "__main__":
    main()
