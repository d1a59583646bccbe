"""Triage of a batch of texts: language, sentiment, kind, aspects and relevance.

Pure and batch-shaped: the caller loads what the client adds (`ClientTriage`: aspects,
models learned from its own labels, industry) once per batch, and every model reads all the
texts of its language in one matrix product. See docs/architecture.md ("Triage") and the
model card in `shipped/MODEL_CARD.md`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mentions.triage import lexicon
from mentions.triage.aspects import aspect_scores
from mentions.triage.language import detect_languages
from mentions.triage.linear import TextModel
from mentions.triage.shipped import shipped_model
from mentions.triage.text import keyword_pattern, mark_negation, normalize

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
# Learned models overrule the shipped ones only when they are reasonably sure.
LEARNED_CONFIDENCE = 0.5


@dataclass(frozen=True, slots=True)
class TriageResult:
    language: str
    sentiment: str
    # Polarity in [-1, 1]: P(positive) - P(negative), or the lexicon's score.
    sentiment_score: float
    # "model:en", "model:de", "client" (learned from the client's labels) or "lexicon"
    # (a word list: no trained model for this language yet).
    sentiment_method: str
    kind: str
    aspects: tuple[str, ...]
    relevant: bool
    relevance_score: float
    complaint_score: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "sentiment": {
                "label": self.sentiment,
                "score": round(self.sentiment_score, 4),
                "method": self.sentiment_method,
            },
            "kind": self.kind,
            "aspects": list(self.aspects),
            "relevant": self.relevant,
            "relevance_score": round(self.relevance_score, 4),
        }


@dataclass(frozen=True)
class AspectRule:
    slug: str
    pattern: re.Pattern[str] | None


def aspect_rule(slug: str, keywords: Sequence[str]) -> AspectRule:
    """Keywords match whole words, case-insensitively; `*` stands for any word ending."""
    return AspectRule(slug, keyword_pattern(keywords))


@dataclass
class ClientTriage:
    """What one client adds to the shipped triage."""

    aspects: list[AspectRule] = field(default_factory=list)
    # Learned models by field: "sentiment", "relevant", "kind", "aspects", "department".
    learned: dict[str, TextModel] = field(default_factory=dict)
    industry: str = ""
    relevance_threshold: float = 0.5


@dataclass
class _Scores:
    """Per text, filled in step by step."""

    sentiment: str = NEUTRAL
    polarity: float = 0.0
    method: str = "lexicon"
    complaint: float = 0.0
    # From the model's complaint head (English); without one, complaint comes from sentiment.
    complaint_head: bool = False
    complaint_threshold: float = 0.5
    relevance: float | None = None
    # The model's probability for its sentiment label (0 for the word list).
    confidence: float = 0.0
    learned: dict[str, tuple[str, float]] = field(default_factory=dict)
    learned_aspects: set[str] = field(default_factory=set)


def _sentiment_from(probabilities: np.ndarray, labels: list[str]) -> tuple[str, float]:
    index = {label: i for i, label in enumerate(labels)}
    best = labels[int(probabilities.argmax())]
    polarity = 0.0
    if POSITIVE in index:
        polarity += float(probabilities[index[POSITIVE]])
    if NEGATIVE in index:
        polarity -= float(probabilities[index[NEGATIVE]])
    return best, polarity


def _polarities(probabilities: np.ndarray, labels: list[str]) -> np.ndarray:
    """`_sentiment_from`'s polarity of every row: 0 + P(positive) - P(negative)."""
    polarity = np.zeros(len(probabilities))
    if POSITIVE in labels:
        polarity += probabilities[:, labels.index(POSITIVE)]
    if NEGATIVE in labels:
        polarity -= probabilities[:, labels.index(NEGATIVE)]
    return polarity


def _softmax(raw: np.ndarray) -> np.ndarray:
    raw = raw - raw.max(axis=1, keepdims=True)
    exp = np.exp(raw)
    return exp / exp.sum(axis=1, keepdims=True)


def _nudge(
    raw: np.ndarray,
    labels: list[str],
    normalized: Sequence[str],
    nudge: dict[str, float],
    *,
    language: str,
) -> None:
    """Cue words move a model's scores on short posts (German: the model learned from
    mostly long, neutral news). Weights were chosen by cross-validation inside the
    development data (build.py), where a hard override by cue words lost 0.04."""
    negative, neutral, positive = (labels.index(x) for x in (NEGATIVE, NEUTRAL, POSITIVE))
    weight, question = float(nudge["weight"]), float(nudge["question"])
    for row, text in enumerate(normalized):
        if len(text) > nudge["max_chars"]:
            continue
        polarity = lexicon.lexicon_sentiment(text)
        if polarity < 0:
            raw[row, negative] -= weight * polarity
        elif polarity > 0:
            raw[row, positive] += weight * polarity
        elif lexicon.is_question(text, language):
            raw[row, neutral] += question


def _apply_shipped(
    prepared: Sequence[str],
    normalized: Sequence[str],
    languages: list[str],
    scores: list[_Scores],
    models: Mapping[str, TextModel | None] | None = None,
) -> None:
    by_language: dict[str, list[int]] = defaultdict(list)
    for i, language in enumerate(languages):
        by_language[language].append(i)
    for language, indices in by_language.items():
        model = models.get(language) if models is not None else shipped_model(language)
        if model is None:
            continue
        X = model.features.transform_prepared([prepared[i] for i in indices])
        sentiment = model.heads["sentiment"]
        raw = sentiment.scores(X)
        nudge = sentiment.meta.get("lexicon_nudge")
        if nudge:
            _nudge(
                raw, sentiment.labels, [normalized[i] for i in indices], nudge, language=language
            )
        probabilities = _softmax(raw)
        complaint = model.heads.get("complaint")
        complaint_p = complaint.probabilities(X)[:, 1] if complaint else None
        # A threshold chosen by cross-validation inside the training data (build.py).
        threshold = float(complaint.meta.get("threshold", 0.5)) if complaint else 0.5
        relevance = model.heads.get("relevance")
        relevance_p = relevance.probabilities(X)[:, 1] if relevance else None
        # Per row what `_sentiment_from` gives, computed for all rows at once (the same
        # float operations, so the same values) and read back as Python floats.
        labels = sentiment.labels
        best = [labels[j] for j in probabilities.argmax(axis=1).tolist()]
        polarities = _polarities(probabilities, labels).tolist()
        confidences = probabilities.max(axis=1).tolist()
        complaints = (
            complaint_p if complaint_p is not None else probabilities[:, labels.index(NEGATIVE)]
        ).tolist()
        relevances = relevance_p.tolist() if relevance_p is not None else None
        method = f"model:{language}"
        for row, i in enumerate(indices):
            score = scores[i]
            score.sentiment, score.polarity = best[row], polarities[row]
            score.confidence = confidences[row]
            score.method = method
            score.complaint = complaints[row]
            if complaint_p is not None:
                score.complaint_head = True
                score.complaint_threshold = threshold
            if relevances is not None:
                score.relevance = relevances[row]


def _apply_learned(
    texts: Sequence[str],
    prepared: Sequence[str],
    learned: dict[str, TextModel],
    scores: list[_Scores],
) -> None:
    # Models fitted together share their feature extractor: transform once per extractor.
    matrices: dict[int, Any] = {}
    for field_name, model in learned.items():
        key = id(model.features)
        if key not in matrices:
            matrices[key] = model.features.transform_prepared(prepared)
        X = matrices[key]
        if field_name == "aspects":
            # The n-gram heads for every post, the sentence encoder for the unsure ones.
            yes = aspect_scores(model=model, X=X, texts=texts)
            names = list(model.heads)
            for row, column in zip(*np.nonzero(yes >= 0), strict=True):
                scores[int(row)].learned_aspects.add(names[int(column)])
            continue
        head = model.heads[field_name]
        probabilities = head.probabilities(X)
        for i, row in enumerate(probabilities):
            top = int(row.argmax())
            if field_name == "sentiment":
                label, polarity = _sentiment_from(row, head.labels)
                scores[i].learned["sentiment"] = (label, polarity)
            elif field_name == "relevant":
                scores[i].learned["relevant"] = ("", float(row[head.labels.index("true")]))
            else:
                scores[i].learned[field_name] = (head.labels[top], float(row[top]))


# Cue words decide sentiment and kind over the models only on posts this short: the models
# learned from long news (German) and airline tweets (English) and miss plain praise and
# complaints about other things; on long texts a single cue word says little.
CUE_MAX_CHARS = 280
# How far clear cues move the complaint threshold (praise and calm questions and wishes
# raise it, complaint cues lower it), and below which model confidence cue words overrule
# a model's sentiment on a short post. Chosen on a validation fifth inside the development
# 80 % of the airline, complaint and GermEval sets (bench/triage_cues.py), never on the
# held-out 20 % nor on tests/data/triage_kinds.jsonl.
CUE_SHIFT = {"complaint": 0.2, "praise": 0.0, "question": 0.0, "idea": 0.2}
CUE_FOLLOW_BELOW = 0.0
# Without a complaint model (German: complaint is the sentiment model's P(negative), and no
# labelled German complaints exist to measure a shift on), clear cue words decide.
CUE_SHIFT_WITHOUT_HEAD = {"complaint": 1.0, "praise": 1.0, "question": 1.0, "idea": 1.0}


@dataclass(frozen=True, slots=True)
class _Cues:
    positive: int
    negative: int
    sarcastic: bool

    @property
    def clear_praise(self) -> bool:
        return self.positive > 0 and self.negative == 0 and not self.sarcastic

    @property
    def clear_complaint(self) -> bool:
        return self.sarcastic or self.negative > self.positive


def _kind(
    text: str, score: _Scores, cues: _Cues, *, language: str, relevant: bool, spam: bool
) -> str:
    # "Autobahn gesperrt … Nordbahn nicht betroffen" is news for the client, not a crisis.
    unaffected = lexicon.says_unaffected(text)
    if lexicon.is_crisis(text, language) and score.sentiment != POSITIVE and not unaffected:
        return "crisis"
    if spam or not relevant:
        return "spam"
    learned = score.learned.get("kind")
    if learned and learned[1] >= LEARNED_CONFIDENCE:
        return learned[0]
    if lexicon.is_job(text, language):
        return "job"
    # A press report is about the client, not a customer's complaint or praise.
    if unaffected or lexicon.is_news(text):
        return "news"
    problem = lexicon.reports_problem(text)
    calm = cues.negative == 0 and not problem and not cues.sarcastic
    question = lexicon.is_question(text, language)
    idea = calm and (lexicon.is_idea(text, language) or lexicon.wishes(text))
    # Cue words move the complaint model's threshold rather than overrule it: on real
    # posts the model knows better than a word list (see CUE_SHIFT).
    threshold = score.complaint_threshold
    shift = CUE_SHIFT if score.complaint_head else CUE_SHIFT_WITHOUT_HEAD
    if len(text) <= CUE_MAX_CHARS:
        if cues.clear_complaint:
            threshold -= shift["complaint"]
        elif cues.clear_praise:
            threshold += shift["praise"]
    if question and calm:
        threshold += shift["question"]
    if idea:
        threshold += shift["idea"]
    if cues.sarcastic or score.complaint >= threshold:
        return "complaint"
    if question:
        return "question"
    if idea:
        return "idea"
    if len(text) <= CUE_MAX_CHARS and cues.clear_praise:
        return "praise"
    if score.sentiment == POSITIVE:
        return "praise"
    # With a complaint model, negative but below its threshold is not a complaint unless it
    # reports a failure ("my payment failed"): a complaint is a customer's report of a
    # problem, not any negative post (CV inside the 80 %: 0.759 without the full fallback,
    # 0.672 with it, 0.759 with this one).
    if score.sentiment == NEGATIVE and (not score.complaint_head or problem):
        return "complaint"
    return "other"


def _follow_cues(score: _Scores, cues: _Cues) -> None:
    """On a short post, clear cue words overrule the model's sentiment ("nicht schlecht",
    "keine Heizung", "Brilliant service")."""
    if cues.clear_praise and score.sentiment != POSITIVE:
        score.sentiment, score.polarity = POSITIVE, max(score.polarity, 0.5)
        score.method += "+cues"
    elif cues.clear_complaint and score.sentiment != NEGATIVE:
        score.sentiment, score.polarity = NEGATIVE, min(score.polarity, -0.5)
        score.method += "+cues"


def _sentiment_by_kind(score: _Scores, cues: _Cues, kind: str) -> None:
    """What a kind says about sentiment on a short post: danger is negative; an advert or a
    report without cue words is neutral (the English model, which learned from airline
    complaints, reads many of them as negative). Chosen on the validation fifth inside the
    development 80 %: no cost to airline sentiment there (0.746 either way), while making
    ideas and job posts neutral too cost 0.008 macro-F1."""
    if kind == "crisis":
        score.sentiment, score.polarity = NEGATIVE, min(score.polarity, -0.5)
    elif (
        kind in ("spam", "news")
        and cues.positive == cues.negative == 0
        and score.sentiment != NEUTRAL
        and not cues.sarcastic
    ):
        score.sentiment, score.polarity = NEUTRAL, 0.0
        score.method += "+kind"


def _relevance(score: _Scores, client: ClientTriage, language: str, *, spam: bool) -> float:
    learned = score.learned.get("relevant")
    if learned is not None:
        return learned[1]
    # The shipped relevance head knows one domain: German posts about rail travel.
    if score.relevance is not None and client.industry == "transport" and language == "de":
        return score.relevance
    return 0.1 if spam else 0.9


def triage_texts(
    texts: Sequence[str],
    *,
    languages: Sequence[str] | None = None,
    client: ClientTriage | None = None,
    models: Mapping[str, TextModel | None] | None = None,
) -> list[TriageResult]:
    """Triage a batch; `languages` are hints from the source ("" = detect).

    `models` replaces the shipped models by language (the benchmark passes models trained
    on the development part only, so the held-out part stays unseen).
    """
    client = client or ClientTriage()
    detected = detect_languages(texts, languages)
    scores = [_Scores() for _ in texts]
    normalized = [normalize(text) for text in texts]
    prepared = [mark_negation(text) for text in normalized]
    _apply_shipped(prepared, normalized, detected, scores, models)
    for i, score in enumerate(scores):
        if score.method == "lexicon":
            polarity = lexicon.lexicon_sentiment(normalized[i])
            score.polarity = polarity
            score.sentiment = NEGATIVE if polarity < 0 else POSITIVE if polarity > 0 else NEUTRAL
            score.complaint = 0.6 if polarity < 0 else 0.0
        # No cue words over a model's "neutral": cross-validation inside the development
        # data found that override cost 0.02 (English) to 0.04 (German); see MODEL_CARD.md.
    if client.learned:
        _apply_learned(texts, prepared, client.learned, scores)
    # Praise said in scorn ("Danke für nichts", "great, another delay") is negative,
    # whatever the words around it suggest to a model.
    all_cues = [
        _Cues(*lexicon.cue_counts(text), sarcastic=lexicon.is_sarcastic(text))
        for text in normalized
    ]

    results = []
    for i, (text, score) in enumerate(zip(normalized, scores, strict=True)):
        learned_sentiment = score.learned.get("sentiment")
        if learned_sentiment is not None:
            score.sentiment, score.polarity = learned_sentiment
            score.method = "client"
        cues = all_cues[i]
        if cues.sarcastic and score.sentiment != NEGATIVE:
            score.sentiment = NEGATIVE
            score.polarity = min(score.polarity, -0.5)
            score.method += "+sarcasm"
            score.complaint = max(score.complaint, score.complaint_threshold)
        elif (
            learned_sentiment is None
            and len(text) <= CUE_MAX_CHARS
            and score.confidence < CUE_FOLLOW_BELOW
        ):
            _follow_cues(score, cues)
        spam = lexicon.is_spam(text, detected[i])
        relevance = _relevance(score, client, detected[i], spam=spam)
        relevant = relevance >= client.relevance_threshold
        kind = _kind(text, score, cues, language=detected[i], relevant=relevant, spam=spam)
        if learned_sentiment is None and len(text) <= CUE_MAX_CHARS:
            _sentiment_by_kind(score, cues, kind)
        matched = set(score.learned_aspects)
        matched.update(
            rule.slug for rule in client.aspects if rule.pattern and rule.pattern.search(text)
        )
        results.append(
            TriageResult(
                language=detected[i],
                sentiment=score.sentiment,
                sentiment_score=max(-1.0, min(1.0, score.polarity)),
                sentiment_method=score.method,
                kind=kind,
                aspects=tuple(sorted(matched)),
                relevant=relevant,
                relevance_score=relevance,
                complaint_score=score.complaint,
            )
        )
    return results


def learned_department(client: ClientTriage, texts: Sequence[str]) -> list[tuple[str, float]]:
    """The department the client's labels suggest for each text ("" without a model)."""
    model = client.learned.get("department")
    if model is None:
        return [("", 0.0)] * len(texts)
    head = model.heads["department"]
    probabilities = head.probabilities(model.features.transform(texts))
    return [(head.labels[int(row.argmax())], float(row.max())) for row in probabilities]
