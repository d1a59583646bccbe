"""Text preparation shared by every triage model: the same steps at training and at run time.

Handles and links carry no meaning for sentiment or kind but dominate short posts, so they
become placeholders; drawn-out letters are shortened; words after a negation are marked
(`not good` → `not good_NEG`), which lets a linear model learn that negated praise is not
praise. Very long texts (news articles, forum threads) are cut: the opening carries the
signal, and the cut keeps triage fast whatever arrives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

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
    if not _case_blind_is_plain(normalized):
        return _NEGATION.sub(_mark, normalized)
    if not _text_bits(normalized) & _NEGATOR_BIT:
        return normalized  # no negator's first word: nothing to mark
    return _NEGATION_LOWER.sub(_mark, normalized)


def _case_blind_is_plain(text: str) -> bool:
    """Whether ignoring case changes nothing for the lower-case negators on `text`: it is
    lower case and has no dotless i or long s, the only lower-case letters that match
    others (i, s) when case is ignored. The case-blind pattern is then the plain one, which
    runs twice as fast, and a negator's first word ("not", "can" of "can't") must be a word
    of the text (`_NEGATOR_BIT`)."""
    return "\u0131" not in text and "\u017f" not in text and text == text.lower()


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
    "app store" wins over "app"; words of one length alphabetically, so that every process
    builds the same pattern whatever its hash seed."""
    words = sorted({k.strip().lower() for k in keywords if k.strip()}, key=lambda w: (-len(w), w))
    if not words:
        return None
    escaped = [
        re.escape(w).replace(r"\*", r"\w*").replace(r"\-", r"[\s-]+").replace(r"\ ", r"[\s-]+")
        for w in words
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)")


# A run of word characters, as `\w` in the patterns means it.
_WORD = re.compile(r"\w+")
_WORD_BITS_MAX = 300_000
_GATES: list[Cues] = []
# The gates that have a pattern without a word to look for: run on every text.
_ALWAYS = [0]


class Cues:
    """A pattern of whole words that is only run on texts holding a word it may begin with.

    Python's regex engine tries every alternative of a word list at every word start (a
    few microseconds a list on a tweet, and triage reads a dozen). A pattern that matches
    whole words has a first run of word characters that is a whole word of any text it
    matches ("data-breach": "data"; "can't": "can"; `exact`), or begins one ("boykott*";
    `prefixes`). A text with no such word cannot match: the methods below then answer as
    the pattern would, without running it. A text's words are looked up once for every
    pattern (`_text_bits`); tests hold the answers equal to the patterns'.
    """

    def __init__(
        self,
        pattern: re.Pattern[str],
        *,
        exact: Iterable[str] = (),
        prefixes: Iterable[str] = (),
        always: bool = False,
    ) -> None:
        self.pattern = pattern
        self.exact = frozenset(exact)
        self.prefixes = tuple(sorted(prefixes))
        self.always = always
        self.bit = 1 << len(_GATES)
        _GATES.append(self)
        if always:
            _ALWAYS[0] |= self.bit
        _WORD_BITS.clear()
        _text_bits.cache_clear()

    @classmethod
    def of_keywords(cls, keywords: Iterable[str]) -> Cues:
        """`keyword_pattern(keywords)` (a pattern matching nothing without keywords)."""
        keywords = list(keywords)
        exact, prefixes, always = first_words(keywords)
        pattern = keyword_pattern(keywords) or re.compile(r"(?!)")
        return cls(pattern, exact=exact, prefixes=prefixes, always=always)

    def _may_match(self, text: str) -> bool:
        return bool(_text_bits(text) & self.bit)

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if self._may_match(text) else None

    def match(self, text: str) -> re.Match[str] | None:
        return self.pattern.match(text) if self._may_match(text) else None

    def findall(self, text: str) -> list[str]:
        return self.pattern.findall(text) if self._may_match(text) else []

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if self._may_match(text) else iter(())

    def sub(self, replacement: str, text: str) -> str:
        return self.pattern.sub(replacement, text) if self._may_match(text) else text


def first_words(keywords: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...], bool]:
    """The words a text must hold for `keyword_pattern(keywords)` to match: whole words
    (`exact`), word beginnings (`prefixes`, where a `*` follows), and whether some keyword
    has none (a leading `*`, no letters), so that every text must be searched."""
    exact: set[str] = set()
    prefixes: list[str] = []
    always = False
    for keyword in {k.strip().lower() for k in keywords if k.strip()}:
        first = _WORD.search(keyword)
        if first is None or "*" in keyword[: first.start()]:
            always = True
        elif keyword[first.end() : first.end() + 1] == "*":
            prefixes.append(first.group())
        else:
            exact.add(first.group())
    return frozenset(exact), tuple(sorted(prefixes)), always


# Which gates each word may begin a match of (bit i: `_GATES[i]`), cached per word.
_WORD_BITS: dict[str, int] = {}


def _word_bits(word: str) -> int:
    bits = _WORD_BITS.get(word)
    if bits is None:
        if len(_WORD_BITS) > _WORD_BITS_MAX:
            _WORD_BITS.clear()
        bits = 0
        for gate in _GATES:
            if gate.always or word in gate.exact or word.startswith(gate.prefixes):
                bits |= gate.bit
        _WORD_BITS[word] = bits
    return bits


@lru_cache(maxsize=16_384)
def _text_bits(text: str) -> int:
    """The gates some word of `text` may begin a match of (triage asks a dozen of each
    text, so a batch's texts are looked up once)."""
    bits = _ALWAYS[0]
    known = _WORD_BITS.get
    for word in set(_WORD.findall(text)):
        word_bits = known(word)
        bits |= _word_bits(word) if word_bits is None else word_bits
    return bits


# The negation pattern as it reads lower-case text (case-blind only for a dotless i or a
# long s, see `_case_blind_is_plain`); a negator's first word is the word ("can" of "can't").
_NEGATION_LOWER = re.compile(_NEGATION.pattern)
_NEGATOR_BIT = Cues(
    _NEGATION_LOWER,
    exact=(negator.split("'")[0] for negator in _NEGATORS.split("|")),
).bit
