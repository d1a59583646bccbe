"""Text preparation shared by every triage model: the same steps at training and at run time.

Handles and links carry no meaning for sentiment or kind but dominate short posts, so they
become placeholders; drawn-out letters are shortened; words after a negation are marked
(`not good` → `not good_NEG`), which lets a linear model learn that negated praise is not
praise. Very long texts (news articles, forum threads) are cut: the opening carries the
signal, and the cut keeps triage fast whatever arrives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_CHARS = 1_000
# Language is clear from the opening; lingua's time grows with the length.
MAX_DETECTION_CHARS = 300

_URL = re.compile(r"https?://\S+|www\.\S+")
_USER = re.compile(r"@\w+")
_ELONGATED = re.compile(r"(\w)\1{2,}")
_SPACE = re.compile(r"\s+")
_NEGATORS = (
    r"not|no|never|nothing|nobody|none|cannot|can't|cant|don't|dont|doesn't|doesnt|didn't|"
    r"didnt|isn't|isnt|wasn't|wasnt|won't|wont|aren't|arent|haven't|havent|hasn't|hasnt|"
    r"couldn't|couldnt|shouldn't|wouldn't|wouldnt|ain't|nicht|kein|keine|keinen|keiner|keinem|"
    r"nie|niemals|nichts|pas|jamais|nunca|nada|niet|geen|nie"
)
_NEGATION = re.compile(r"\b(?:" + _NEGATORS + r")\b([^.,!?;:]*)", re.IGNORECASE)
_NEGATED_WORD = re.compile(r"([\w']+)")
_WORD = re.compile(r"\w+")
# Each negator's first word ("can" of "can't").
_NEGATOR_WORDS = frozenset(negator.split("'")[0] for negator in _NEGATORS.split("|"))
TOKEN = re.compile(r"[\w'#]+|[^\w\s]", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-cased text with links, handles and drawn-out letters normalised."""
    text = text[:MAX_CHARS]
    # Each pattern is run only when its literal part is there (most posts have no link).
    if "http" in text or "www." in text:
        text = _URL.sub(" URL ", text)
    if "@" in text:
        text = _USER.sub(" @USER ", text)
    text = _ELONGATED.sub(r"\1\1", text)
    # What `_SPACE.sub(" ", text).strip()` gives (`str.split` and `\s` know the same spaces).
    return " ".join(text.split()).lower()


def _mark(match: re.Match[str]) -> str:
    whole, tail = match.group(0), match.group(1)
    return whole[: len(whole) - len(tail)] + _NEGATED_WORD.sub(r"\1_NEG", tail)


def prepare(text: str) -> str:
    """What the n-gram models read: normalised text with negated words marked."""
    return mark_negation(normalize(text))


def mark_negation(normalized: str) -> str:
    if _without_negator(normalized):
        return normalized
    return _NEGATION.sub(_mark, normalized)


def _without_negator(text: str) -> bool:
    """Whether `_NEGATION` surely finds nothing, told from the words of `text` alone.

    A negator matches whole words, so its first run of word characters ("not", "can" of
    "can't") is a word of the text. That holds for lower-case text without a dotless i or a
    long s, the only lower-case letters that match others (i, s) when case is ignored; other
    text goes to the pattern.
    """
    return (
        "\u0131" not in text  # dotless i
        and "\u017f" not in text  # long s
        and text == text.lower()
        and _NEGATOR_WORDS.isdisjoint(_WORD.findall(text))
    )


def tokenize(text: str) -> list[str]:
    """Words (any script, with hashtags and apostrophes) and single symbols such as emoji."""
    return TOKEN.findall(text)


def for_language_detection(text: str) -> str:
    """Text without links and handles, which only confuse language detection."""
    text = text[:MAX_DETECTION_CHARS]
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _USER.sub(" ", text)
    return " ".join(text.split())


def keyword_pattern(keywords: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern finding any of `keywords` in normalised text: whole words, `*` for any
    ending, a space or hyphen for either (None without keywords). Longest first, so
    "app store" wins over "app"."""
    words = sorted({k.strip().lower() for k in keywords if k.strip()}, key=len, reverse=True)
    if not words:
        return None
    escaped = [
        re.escape(w).replace(r"\*", r"\w*").replace(r"\-", r"[\s-]+").replace(r"\ ", r"[\s-]+")
        for w in words
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)")
