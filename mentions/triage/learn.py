"""Learning from the client's own labels: corrections in the inbox, reassignments, files.

`triage_learn` trains one model per field (sentiment, relevant, kind, aspects, department)
on the client's labels, holds out a fixed, stratified fifth, and keeps the new model only if
it beats what triage does today (the active learned model, or the shipped triage) on exactly
those held-out labels. Scores of both are stored with the model. Winners are then refitted
on all labels. All fields of one run share one feature extractor, so triage reads each text
once per run whatever the number of learned fields.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.utils.text import slugify
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split

from mentions.models import Aspect, Mention, TriageLabel, TriageModel
from mentions.triage.aspects import aspect_model_train, aspect_scores
from mentions.triage.client import client_triage_load
from mentions.triage.encoder import sentence_embeddings
from mentions.triage.engine import ClientTriage, learned_department, triage_texts
from mentions.triage.linear import Features, LinearHead, TextModel, train_head
from routing.models import Department
from sources.formats import text_make_storable

SENTIMENTS = ("negative", "neutral", "positive")
KINDS = ("complaint", "question", "praise", "idea", "crisis", "news", "job", "spam", "other")
LEARNED_FIELDS = ("sentiment", "relevant", "kind", "aspects", "department")
MIN_PER_CLASS = 3
MIN_LABELS = 20
SEED = 7


@dataclass
class LabelledText:
    text: str
    language: str
    value: Any


@dataclass
class FieldOutcome:
    field: str
    labels: int
    status: str  # "kept", "rejected", "skipped"
    reason: str = ""
    new_score: float | None = None
    current_score: float | None = None


@dataclass
class LearnSummary:
    lines_read: int = 0
    labels_stored: int = 0
    errors: list[str] = field(default_factory=list)
    created_aspects: list[str] = field(default_factory=list)
    unknown_departments: list[str] = field(default_factory=list)
    fields: list[FieldOutcome] = field(default_factory=list)


def label_record(
    *,
    field_name: str,
    value: Any,
    text: str,
    language: str = "",
    mention: Mention | None = None,
    previous: Any = None,
    origin: str,
    user_id: int | None = None,
) -> TriageLabel:
    return TriageLabel.objects.create(
        mention=mention,
        text=text,
        language=language,
        field=field_name,
        value=value,
        previous=previous,
        origin=origin,
        user_id=user_id,
    )


def _validate_labels(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """The usable labels of one line, and what was wrong with the others."""
    if not isinstance(raw, dict):
        return {}, ["`labels` must be an object"]
    labels: dict[str, Any] = {}
    problems = []
    for name, value in raw.items():
        if (
            (name == "sentiment" and value in SENTIMENTS)
            or (name == "relevant" and isinstance(value, bool))
            or (name == "kind" and value in KINDS)
        ):
            labels[name] = value
        elif (
            name == "aspects"
            and isinstance(value, list)
            and all(isinstance(a, str) and a.strip() for a in value)
        ):
            labels[name] = [a.strip()[:60] for a in value]
        elif name == "department" and isinstance(value, str) and value.strip():
            labels[name] = value.strip()[:100]
        else:
            problems.append(f"label {name!r}={value!r} is not usable")
    return labels, problems


def labels_import(lines: Iterable[str], summary: LearnSummary) -> None:
    """Store the labels of a labelled JSON Lines file (mention format plus `labels`)."""

    departments = {d.name.lower(): d.name for d in Department.objects.all()}
    aspects = {a.slug: a for a in Aspect.objects.all()}
    new_aspects: dict[str, list[str]] = {}
    unknown_departments: Counter[str] = Counter()
    rows: list[TriageLabel] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        summary.lines_read += 1
        try:
            item = json.loads(line)
        except ValueError:
            summary.errors.append(f"line {number}: not JSON")
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            summary.errors.append(f"line {number}: no `text` string")
            continue
        labels, problems = _validate_labels(item.get("labels"))
        summary.errors.extend(f"line {number}: {p}" for p in problems)
        text = text_make_storable(item["text"])
        language = item["language"] if isinstance(item.get("language"), str) else ""
        if "department" in labels:
            known = departments.get(labels["department"].lower())
            if known is None:
                unknown_departments[labels["department"]] += 1
                del labels["department"]
            else:
                labels["department"] = known
        if "aspects" in labels:
            slugs = []
            for name in labels["aspects"]:
                slug = slugify(name)[:60] or "aspect"
                if slug not in aspects:
                    new_aspects.setdefault(slug, []).append(text)
                    aspects[slug] = Aspect(slug=slug, name=name[:100])
                elif aspects[slug].pk is None:
                    new_aspects[slug].append(text)
                slugs.append(slug)
            labels["aspects"] = sorted(set(slugs))
        for name, value in labels.items():
            rows.append(
                TriageLabel(
                    text=text, language=language[:8], field=name, value=value, origin="file"
                )
            )
    for slug, examples in new_aspects.items():
        aspect = aspects[slug]
        aspect.examples = [e[:500] for e in examples[:5]]
        aspect.origin = "labels"
        aspect.description = "Created from labelled examples."
        aspect.save()
        summary.created_aspects.append(aspect.name)
    TriageLabel.objects.bulk_create(rows, batch_size=1000)
    summary.labels_stored += len(rows)
    summary.unknown_departments = [f"{name} ({n} lines)" for name, n in unknown_departments.items()]


def _examples(field_name: str) -> list[LabelledText]:
    """The newest label per mention (labels from files stand alone)."""
    seen: set[int] = set()
    out = []
    for label in TriageLabel.objects.filter(field=field_name).order_by("-id").iterator():
        if label.mention_id is not None:
            if label.mention_id in seen:
                continue
            seen.add(label.mention_id)
        out.append(LabelledText(label.text, label.language, label.value))
    out.reverse()
    return out


def _target(field_name: str, value: Any) -> str:
    if field_name == "relevant":
        return "true" if value else "false"
    return str(value)


def _current_predictions(
    field_name: str,
    client: ClientTriage,
    texts: Sequence[str],
    languages: Sequence[str],
    models: Mapping[str, TextModel | None] | None = None,
) -> list[Any]:
    if field_name == "department":
        return [name for name, _ in learned_department(client, texts)]
    results = triage_texts(texts, languages=languages, client=client, models=models)
    if field_name == "sentiment":
        return [r.sentiment for r in results]
    if field_name == "relevant":
        return ["true" if r.relevant else "false" for r in results]
    if field_name == "kind":
        return [r.kind for r in results]
    return [list(r.aspects) for r in results]


def learned_head_train(X: Any, targets: Sequence[str]) -> LinearHead:
    """The recipe of every learned field and aspect (`bench/triage_eval.py` runs it too)."""
    return train_head(X, targets)


def _aspect_matrix(values: Sequence[Sequence[str]], names: Sequence[str]) -> np.ndarray:
    return np.array([[name in v for name in names] for v in values], dtype=int)


def triage_learn(*, lines: Iterable[str] | None = None) -> LearnSummary:
    """Import a labelled file (optional), then train and keep the better models."""
    summary = LearnSummary()
    with transaction.atomic():
        if lines is not None:
            labels_import(lines, summary)
    current = client_triage_load()
    examples = {name: _examples(name) for name in LEARNED_FIELDS}
    usable = {name: rows for name, rows in examples.items() if len(rows) >= MIN_LABELS}
    for name in LEARNED_FIELDS:
        if name not in usable:
            summary.fields.append(
                FieldOutcome(
                    name, len(examples[name]), "skipped", f"fewer than {MIN_LABELS} labels"
                )
            )
    if not usable:
        return summary
    all_texts = sorted({row.text for rows in usable.values() for row in rows})
    features = Features.fit(all_texts)
    features_id = uuid.uuid4().hex
    winners: list[tuple[str, TextModel, dict[str, Any]]] = []
    for name, rows in usable.items():
        outcome, model = learned_field_fit(name=name, rows=rows, features=features, current=current)
        summary.fields.append(outcome)
        if model is not None:
            model.meta["features_id"] = features_id
            winners.append(
                (
                    name,
                    model,
                    {
                        "metric": "macro-F1" if name != "aspects" else "micro-F1",
                        "new": outcome.new_score,
                        "current": outcome.current_score,
                    },
                )
            )
    with transaction.atomic():
        for name, model, scores in winners:
            TriageModel.objects.filter(field=name, active=True).update(active=False)
            TriageModel.objects.create(
                field=name,
                data=model.to_bytes(),
                labels_used=len(usable[name]),
                scores=scores,
                active=True,
            )
    return summary


def learned_field_fit(
    *,
    name: str,
    rows: list[LabelledText],
    features: Features,
    current: ClientTriage,
    models: Mapping[str, TextModel | None] | None = None,
    split: tuple[Sequence[int], Sequence[int]] | None = None,
) -> tuple[FieldOutcome, TextModel | None]:
    """Train one field on a fixed 80 % of `rows` and keep it only if it beats current triage
    on the other 20 % (then it is trained again on all rows). Pure: `triage_learn` stores
    the winner; `bench/triage_eval.py` applies the same rule (`models` replaces the shipped
    models there, as in `triage_texts`, and `split` gives the (train, test) rows, so those
    models can be trained without the test rows)."""
    texts = [row.text for row in rows]
    languages = [row.language for row in rows]
    if name == "aspects":
        return _learn_aspects(rows, features, current)
    targets = [_target(name, row.value) for row in rows]
    counts = Counter(targets)
    kept = {label for label, n in counts.items() if n >= MIN_PER_CLASS}
    if len(kept) < 2:
        return FieldOutcome(name, len(rows), "skipped", "needs two labels with 3+ examples"), None
    index = [i for i, t in enumerate(targets) if t in kept]
    if split is None:
        train, test = train_test_split(
            index, test_size=0.2, random_state=SEED, stratify=[targets[i] for i in index]
        )
    else:
        train = [i for i in split[0] if targets[i] in kept]
        test = [i for i in split[1] if targets[i] in kept]
    X = features.transform(texts)
    head = learned_head_train(X[train], [targets[i] for i in train])
    gold = [targets[i] for i in test]
    new_score = f1_score(gold, head.predict(X[test]), average="macro")
    before = _current_predictions(
        name, current, [texts[i] for i in test], [languages[i] for i in test], models
    )
    current_score = f1_score(gold, [str(p) for p in before], average="macro")
    outcome = FieldOutcome(name, len(rows), "rejected", "", float(new_score), float(current_score))
    if new_score <= current_score:
        outcome.reason = "not better than current triage on held-out labels"
        return outcome, None
    outcome.status = "kept"
    final = learned_head_train(X[index], [targets[i] for i in index])
    return outcome, TextModel(features, {name: final})


def _learn_aspects(
    rows: list[LabelledText], features: Features, current: ClientTriage
) -> tuple[FieldOutcome, TextModel | None]:
    values = [list(row.value) if isinstance(row.value, list) else [] for row in rows]
    counts = Counter(a for v in values for a in v)
    names = sorted(a for a, n in counts.items() if MIN_PER_CLASS <= n <= len(rows) - MIN_PER_CLASS)
    if not names:
        return FieldOutcome("aspects", len(rows), "skipped", "no aspect with 3+ examples"), None
    texts = [row.text for row in rows]
    X = features.transform(texts)
    E = sentence_embeddings(texts)
    order = np.arange(len(rows))
    train, test = train_test_split(order, test_size=0.2, random_state=SEED)
    gold = _aspect_matrix([values[i] for i in test], names)
    model = aspect_model_train(
        features=features,
        X=X[train],
        E=E[train],
        values=[values[i] for i in train],
        names=names,
        head_train=learned_head_train,
    )
    predicted = np.zeros_like(gold)
    if model.heads:
        scores = aspect_scores(model=model, X=X[test], texts=[texts[i] for i in test])
        for column, aspect in enumerate(model.heads):
            predicted[:, names.index(aspect)] = scores[:, column] >= 0
    new_score = f1_score(gold, predicted, average="micro", zero_division=0)
    before = _current_predictions(
        "aspects", current, [texts[i] for i in test], [rows[i].language for i in test]
    )
    current_score = f1_score(gold, _aspect_matrix(before, names), average="micro", zero_division=0)
    outcome = FieldOutcome(
        "aspects", len(rows), "rejected", "", float(new_score), float(current_score)
    )
    if new_score <= current_score or not model.heads:
        outcome.reason = "not better than current triage on held-out labels"
        return outcome, None
    outcome.status = "kept"
    final = aspect_model_train(
        features=features,
        X=X,
        E=E,
        values=values,
        names=list(model.heads),
        head_train=learned_head_train,
    )
    return outcome, final
