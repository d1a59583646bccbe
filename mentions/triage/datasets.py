"""Readers for the externally labelled sets in `../shared/data` (never copied into the repo).

Used to build the shipped models (`triage_build`), by `bench/triage_eval.py` and by tests
marked `shared_data`. Each reader returns plain lists; nothing is cached on disk.
"""

from __future__ import annotations

import csv
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_ROOT = Path(__file__).resolve().parents[3] / "shared" / "data"


def data_root() -> Path:
    return Path(os.environ.get("LOTSE_SHARED_DATA", DEFAULT_ROOT))


def available() -> bool:
    return (data_root() / "airline-sentiment" / "tweets-dev.csv").exists()


@dataclass
class LabelledSet:
    name: str
    language: str
    texts: list[str]
    labels: dict[str, list[str]] = field(default_factory=dict)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def airline() -> LabelledSet:
    rows = _rows(data_root() / "airline-sentiment" / "tweets-dev.csv")
    return LabelledSet(
        "airline",
        "en",
        [r["text"] for r in rows],
        {
            "sentiment": [r["airline_sentiment"] for r in rows],
            "reason": [r["negativereason"] for r in rows],
        },
    )


def complaints() -> LabelledSet:
    rows = [r for r in _rows(data_root() / "complaints" / "complaints-dev.csv") if r["label"]]
    return LabelledSet(
        "complaints",
        "en",
        [r["text"] for r in rows],
        {"complaint": ["yes" if r["label"] == "1" else "no" for r in rows]},
    )


def germeval() -> LabelledSet:
    root = ET.parse(  # noqa: S314 - our own copy of a published data set
        data_root() / "germeval2017" / "dev-2017-09-15.xml"
    ).getroot()
    texts: list[str] = []
    relevance: list[str] = []
    sentiment: list[str] = []
    aspects: list[str] = []
    for document in root.iter("Document"):
        texts.append((document.findtext("text") or "").strip())
        relevance.append((document.findtext("relevance") or "").strip())
        sentiment.append((document.findtext("sentiment") or "").strip())
        categories = {
            opinion.get("category", "").split("#")[0]
            for opinion in document.iter("Opinion")
            if opinion.get("category")
        }
        aspects.append("|".join(sorted(categories)))
    return LabelledSet(
        "germeval2017",
        "de",
        texts,
        {"relevance": relevance, "sentiment": sentiment, "aspects": aspects},
    )
