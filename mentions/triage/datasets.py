"""Readers for the externally labelled sets in `../shared/data` (never copied into the repo).

Used to build the shipped models (`triage_build`), by `bench/triage_eval.py` and by tests
marked `shared_data`. Each reader returns plain lists; nothing is cached on disk.
"""

from __future__ import annotations

import csv
import hashlib
import os
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
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
    # The set's own row ids (tweet ids, document URLs): they decide the held-out split.
    ids: list[str] = field(default_factory=list)
    # What the held-out split is stratified on (one value per row).
    strata: list[str] = field(default_factory=list)

    def subset(self, indices: Sequence[int]) -> LabelledSet:
        """The rows at `indices`, in that order."""
        return LabelledSet(
            self.name,
            self.language,
            [self.texts[i] for i in indices],
            {name: [values[i] for i in indices] for name, values in self.labels.items()},
            [self.ids[i] for i in indices] if self.ids else [],
            [self.strata[i] for i in indices] if self.strata else [],
        )


HOLDOUT_FRACTION = 0.2
HOLDOUT_SALT = "lotse-holdout-2026-12"


def _id_hash(row_id: str) -> str:
    return hashlib.sha256(f"{HOLDOUT_SALT}:{row_id}".encode()).hexdigest()


def holdout_split(
    ids: Sequence[str], strata: Sequence[str], *, fraction: float = HOLDOUT_FRACTION
) -> tuple[list[int], list[int]]:
    """(development rows, held-out rows): a fixed, stratified `fraction` held out.

    Within each stratum the rows are ordered by a hash of their id and the first
    `round(fraction * n)` are held out, so the split depends only on the ids and the strata:
    the same on every machine and run, not on row order, and a row keeps its side when
    rows of other strata are added. Nothing may train, tune or choose on the held-out rows.
    """
    if len(ids) != len(strata):
        raise ValueError("one stratum per id")
    if len(set(ids)) != len(ids):
        raise ValueError("row ids must be unique")
    by_stratum: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for index, (row_id, stratum) in enumerate(zip(ids, strata, strict=True)):
        by_stratum[stratum].append((_id_hash(str(row_id)), index))
    held: list[int] = []
    for rows in by_stratum.values():
        rows.sort()
        held.extend(index for _, index in rows[: round(fraction * len(rows))])
    held_set = set(held)
    return [i for i in range(len(ids)) if i not in held_set], sorted(held)


def split_set(data: LabelledSet) -> tuple[LabelledSet, LabelledSet]:
    """A data set's development part (80 %) and held-out part (20 %)."""
    development, held_out = holdout_split(data.ids, data.strata)
    return data.subset(development), data.subset(held_out)


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
        [r["tweet_id"] for r in rows],
        [f"{r['airline_sentiment']}|{r['negativereason']}" for r in rows],
    )


def complaints() -> LabelledSet:
    rows = [r for r in _rows(data_root() / "complaints" / "complaints-dev.csv") if r["label"]]
    return LabelledSet(
        "complaints",
        "en",
        [r["text"] for r in rows],
        {"complaint": ["yes" if r["label"] == "1" else "no" for r in rows]},
        [r["tweet_id"] for r in rows],
        [f"{r['label']}|{r['domain']}" for r in rows],
    )


def germeval() -> LabelledSet:
    root = ET.parse(  # noqa: S314 - our own copy of a published data set
        data_root() / "germeval2017" / "dev-2017-09-15.xml"
    ).getroot()
    texts: list[str] = []
    relevance: list[str] = []
    sentiment: list[str] = []
    aspects: list[str] = []
    ids: list[str] = []
    for document in root.iter("Document"):
        ids.append(document.get("id", ""))
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
        ids,
        [f"{r}|{s}" for r, s in zip(relevance, sentiment, strict=True)],
    )
