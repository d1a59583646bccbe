"""First, simple triage: language, sentiment and kind from small word lists.

Deliberately modest and transparent; the triage issue replaces it with measured models.
`triage_text` is pure, so it is cheap to call for a whole batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mentions.models import Kind, Sentiment


def _vocab(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _vocab(
        "the and is are was to of in it my you your for on with this that not have has "
        "be at why what when how can i me we our no but just"
    ),
    "de": _vocab(
        "der die das und ist nicht ich mit ein eine zu auf für von den dem im wie was "
        "warum wann schon noch mal mein meine euer eure ihr sie wir uns aber kein keine "
        "heute seit immer wieder"
    ),
    "fr": _vocab("le la les et est pas je avec un une pour des du dans que qui mon"),
    "es": _vocab("el la los las y es no yo con un una para por que mi del en"),
}

_NEGATIVE = _vocab(
    "bad worst terrible awful broken delay delayed late cancelled canceled lost rude "
    "disappointed annoying angry hate useless never refund waiting crash crashed fail failed "
    "failure error problem issue scam unacceptable horrible dirty "
    "schlecht schlimm furchtbar kaputt verspätung verspätet ausgefallen ausfall verloren "
    "unfreundlich enttäuscht ärgerlich nervig nie wieder wartezeit absturz fehler problem "
    "frechheit unverschämt katastrophe dreckig unzumutbar störung stürzt abgestürzt "
)
_POSITIVE = _vocab(
    "good great love thanks thank awesome excellent amazing perfect helpful friendly fast "
    "best happy nice wonderful fantastic kudos "
    "gut super toll danke klasse prima hervorragend perfekt hilfreich freundlich schnell "
    "pünktlich zufrieden großartig spitze lob"
)
_NEGATORS = _vocab("not no never nicht kein keine nie")

_KIND_WORDS: list[tuple[str, frozenset[str]]] = [
    (
        Kind.CRISIS,
        _vocab(
            "fire explosion injured injury accident poisoning recall boycott shitstorm danger "
            "dangerous unsafe brand feuer explosion verletzt unfall vergiftung rückruf boykott "
            "gefahr gefährlich evakuiert evacuated"
        ),
    ),
    (
        Kind.JOB,
        _vocab(
            "job jobs hiring career careers internship apply application vacancy "
            "stelle stellen bewerbung bewerben ausbildung praktikum karriere jobangebot"
        ),
    ),
    (
        Kind.SPAM,
        _vocab("crypto giveaway followers promo casino bitcoin gewinnspiel"),
    ),
    (
        Kind.IDEA,
        _vocab(
            "suggestion suggest idea wish should could would feature vorschlag idee wunsch "
            "wäre sollte könntet bitte einführen"
        ),
    ),
]


@dataclass(frozen=True, slots=True)
class Triage:
    language: str
    sentiment: str
    sentiment_score: float
    kind: str


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text[:5000])]


def detect_language(words: list[str]) -> str:
    best, best_hits = "", 0
    for language, stopwords in _STOPWORDS.items():
        hits = sum(1 for word in words if word in stopwords)
        if hits > best_hits:
            best, best_hits = language, hits
    return best


def score_sentiment(words: list[str]) -> float:
    score = 0
    for index, word in enumerate(words):
        polarity = (word in _POSITIVE) - (word in _NEGATIVE)
        if polarity and index and words[index - 1] in _NEGATORS:
            polarity = -polarity
        score += polarity
    return max(-1.0, min(1.0, score / 3))


def triage_text(text: str, *, language: str = "") -> Triage:
    words = _words(text)
    lang = language or detect_language(words)
    score = score_sentiment(words)
    sentiment = (
        Sentiment.NEGATIVE if score < 0 else Sentiment.POSITIVE if score > 0 else Sentiment.NEUTRAL
    )
    word_set = set(words)
    kind: str = Kind.OTHER
    for candidate, vocabulary in _KIND_WORDS:
        if word_set & vocabulary:
            kind = candidate
            break
    else:
        if sentiment == Sentiment.NEGATIVE:
            kind = Kind.COMPLAINT
        elif "?" in text:
            kind = Kind.QUESTION
        elif sentiment == Sentiment.POSITIVE:
            kind = Kind.PRAISE
    return Triage(language=lang, sentiment=sentiment, sentiment_score=score, kind=kind)
