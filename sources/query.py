"""The client's boolean query language: parse, match, print and translate queries.

A query selects mentions by their text and a few attributes::

    Bahn AND (Verspätung OR ausgefallen) NOT Autobahn
    "deutsche bahn" NEAR/3 app
    verspät* lang:de author:@nordbahn -source:reddit

Language
    Terms are words of letters, digits and ``_``, optionally joined by ``-``, ``.``, ``#``
    or ``@`` (``t-mobile``, ``e.on``, ``#bahn``, ``@nordbahn``). They match whole words,
    case-insensitively (``bahn`` matches "Bahn," but not "Autobahn"). A ``*`` inside or at
    the end of a term matches any word characters (never spaces). ``"exact phrases"`` match
    their words in order with any whitespace or punctuation between them; ``\\"`` and
    ``\\\\`` escape inside quotes, and ``*`` inside quotes is plain punctuation.
    ``AND``, ``OR``, ``NOT`` (upper case only) and parentheses combine; adjacent operands
    mean AND; NOT binds tighter than AND, AND tighter than OR; ``-x`` is ``NOT x``.
    ``a NEAR/n b`` (n = 1..50, default 5) needs both terms or phrases with at most n words
    between them, in either order. Field filters: ``lang:de`` (also matches ``de-AT``),
    ``author:handle`` (leading ``@`` ignored), ``source:name`` (source name or kind),
    ``country:DE``; author and source values may be quoted and use ``*`` for any characters.

The AST is immutable and normalised (terms, phrases and field values are lower-cased,
``country`` upper-cased, ``@`` stripped from authors), so two queries that match the same
way because of case compare equal, and ``parse(str(q)) == q``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Final

__all__ = [
    "FIELDS",
    "NETWORKS",
    "And",
    "CompiledQuery",
    "Field",
    "Near",
    "Not",
    "Or",
    "Phrase",
    "Query",
    "QueryDocument",
    "QuerySyntaxError",
    "Term",
    "compile_query",
    "parse",
    "positive_terms",
    "query_matches",
    "query_to_string",
    "to_native",
]

MAX_QUERY_LENGTH: Final = 4000
MAX_DEPTH: Final = 50
DEFAULT_NEAR_DISTANCE: Final = 5
MAX_NEAR_DISTANCE: Final = 50
FIELDS: Final = ("author", "country", "lang", "source")
NETWORKS: Final = ("bluesky", "mastodon", "reddit", "x")

_JOINERS: Final = "-.#@"
_WORD_RE: Final = re.compile(r"\w+")
_BARE_VALUE_RE: Final = re.compile(r"[\w#@.\-*]+")
_LANG_RE: Final = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
_COUNTRY_RE: Final = re.compile(r"[A-Za-z]{2}")
_EXPECT_OPERAND: Final = "a term, phrase or '('"


# --- errors ------------------------------------------------------------------------------


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; `position` is a 0-based offset into the query."""

    def __init__(self, position: int, expected: str, found: str, after: str = "") -> None:
        self.position = position
        self.expected = expected
        self.found = found
        self.after = after
        context = f" after {after}" if after else ""
        super().__init__(f"at position {position}: expected {expected}{context}, found {found}")

    def __reduce__(self) -> tuple[type[QuerySyntaxError], tuple[int, str, str, str]]:
        return (type(self), (self.position, self.expected, self.found, self.after))


class _InvalidValue(ValueError):
    """An AST node built with a value the language cannot express."""

    def __init__(self, expected: str, offset: int = 0) -> None:
        self.expected = expected
        self.offset = offset
        super().__init__(f"expected {expected}")


# --- documents ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryDocument:
    """What a query is matched against: a mention's text and attributes."""

    text: str
    language: str = ""
    author: str = ""
    source: str = ""
    source_kind: str = ""
    country: str = ""


# --- AST ---------------------------------------------------------------------------------


class Query:
    """Base of the AST nodes. `str(query)` is canonical and parses back to an equal query."""

    def matches(self, doc: QueryDocument) -> bool:
        return self._compiled.matches(doc)

    @cached_property
    def _compiled(self) -> CompiledQuery:
        return CompiledQuery(self)

    def __str__(self) -> str:
        return query_to_string(self)

    def __getstate__(self) -> dict[str, object]:
        # The cached matcher holds closures; a pickled query compiles again on first use.
        return {key: value for key, value in self.__dict__.items() if key != "_compiled"}


@dataclass(frozen=True)
class Term(Query):
    """A word, matched on word boundaries; may contain `*` wildcards."""

    value: str

    def __post_init__(self) -> None:
        value = re.sub(r"\*+", "*", _normalize_text(self.value))
        problem = _term_problem(value)
        if problem is not None:
            raise _InvalidValue(problem[1], problem[0])
        object.__setattr__(self, "value", value)


@dataclass(frozen=True)
class Phrase(Query):
    """Words in this order, with any whitespace or punctuation between them."""

    text: str

    def __post_init__(self) -> None:
        text = _normalize_text(self.text)
        if not _WORD_RE.search(text):
            raise _InvalidValue("at least one word between the quotes")
        object.__setattr__(self, "text", text)

    @property
    def words(self) -> list[str]:
        return _WORD_RE.findall(self.text)


@dataclass(frozen=True)
class Field(Query):
    """A filter on a document attribute: one of `FIELDS`."""

    name: str
    value: str

    def __post_init__(self) -> None:
        name = self.name.lower()
        if name not in FIELDS:
            raise _InvalidValue(f"one of the fields {', '.join(FIELDS)}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "value", _normalize_field_value(name, self.value))


NearOperand = Term | Phrase


@dataclass(frozen=True)
class Near(Query):
    """Both operands with at most `distance` words between them, in either order."""

    left: NearOperand
    right: NearOperand
    distance: int = DEFAULT_NEAR_DISTANCE

    def __post_init__(self) -> None:
        if not isinstance(self.left, Term | Phrase) or not isinstance(self.right, Term | Phrase):
            raise _InvalidValue("a term or phrase on each side of NEAR")
        if not 1 <= self.distance <= MAX_NEAR_DISTANCE:
            raise _InvalidValue(f"a distance from 1 to {MAX_NEAR_DISTANCE} after NEAR/")


@dataclass(frozen=True)
class And(Query):
    """All parts match. Nested `And`s are flattened; at least two parts."""

    parts: tuple[Query, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", _flatten(And, self.parts))


@dataclass(frozen=True)
class Or(Query):
    """Any part matches. Nested `Or`s are flattened; at least two parts."""

    parts: tuple[Query, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", _flatten(Or, self.parts))


@dataclass(frozen=True)
class Not(Query):
    """The part does not match."""

    part: Query


def _flatten(kind: type[And | Or], parts: tuple[Query, ...]) -> tuple[Query, ...]:
    flat: list[Query] = []
    for part in parts:
        if isinstance(part, And | Or) and type(part) is kind:
            flat.extend(part.parts)
        else:
            flat.append(part)
    if len(flat) < 2:
        raise _InvalidValue(f"at least two parts for {kind.__name__}")
    return tuple(flat)


def _normalize_text(text: str) -> str:
    return unicodedata.normalize("NFC", text.lower())


def _fold(text: str) -> str:
    """The form both queries and documents are compared in (case-folded, NFC)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text.casefold()


def _is_word_char(char: str) -> bool:
    # Combining marks count, so decomposed umlauts and lower-cased "İ" stay one word.
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def _is_run_char(char: str) -> bool:
    return _is_word_char(char) or char in "-.#@*"


def _term_problem(value: str) -> tuple[int, str] | None:
    """Where and why `value` is not a term, or None if it is one."""
    if not value:
        return 0, "a term"
    index = 1 if value[0] in "#@" else 0
    previous = value[0] if index else ""
    need_word = True
    for offset in range(index, len(value)):
        char = value[offset]
        if need_word:
            if char == "*":
                return offset, "a letter or digit before '*'"
            if not _is_word_char(char):
                before = f"'{previous}'" if previous else "the term"
                return offset, f"a letter or digit after {before}"
            need_word = False
        elif char in _JOINERS:
            need_word = True
        elif char != "*" and not _is_word_char(char):
            return offset, "a letter, digit, '_', '-', '.', '#', '@' or '*'"
        previous = char
    if need_word:
        return len(value), f"a letter or digit after '{previous}'" if previous else "a term"
    return None


def _normalize_field_value(name: str, raw: str) -> str:
    value = raw.strip()
    if name == "author":
        value = value.lstrip("@").strip()
    if not value:
        raise _InvalidValue(f"a value after '{name}:'")
    if not value.strip("*"):
        raise _InvalidValue(f"a value with letters or digits after '{name}:', not a lone '*'")
    if name == "lang":
        if not _LANG_RE.fullmatch(value):
            raise _InvalidValue("a language code such as 'de' or 'en'")
        return value.lower().replace("_", "-")
    if name == "country":
        if not _COUNTRY_RE.fullmatch(value):
            raise _InvalidValue("a two-letter ISO 3166 country code such as 'DE'")
        return value.upper()
    return _normalize_text(value)


# --- printing ----------------------------------------------------------------------------


def query_to_string(query: Query) -> str:
    """The canonical text of `query`; `parse(query_to_string(q)) == q`."""
    if isinstance(query, Term):
        return query.value
    if isinstance(query, Phrase):
        return _quote(query.text)
    if isinstance(query, Field):
        value = query.value
        return f"{query.name}:{value if _BARE_VALUE_RE.fullmatch(value) else _quote(value)}"
    if isinstance(query, Near):
        left, right = query_to_string(query.left), query_to_string(query.right)
        return f"{left} NEAR/{query.distance} {right}"
    if isinstance(query, Not):
        return f"NOT {_grouped(query.part)}"
    if isinstance(query, And):
        return " AND ".join(_grouped(part) for part in query.parts)
    if isinstance(query, Or):
        return " OR ".join(_grouped(part) for part in query.parts)
    raise TypeError(f"not a query node: {query!r}")


def _grouped(query: Query) -> str:
    text = query_to_string(query)
    return f"({text})" if isinstance(query, And | Or) else text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- lexing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # word, phrase, field, and, or, not, near, minus, lparen, rparen, eof
    start: int
    end: int
    value: str = ""
    name: str = ""
    distance: int = 0
    value_start: int = 0


def _describe(text: str, position: int) -> str:
    if position >= len(text):
        return "end of query"
    char = text[position]
    return "whitespace" if char.isspace() else f"'{char}'"


def _snippet(text: str) -> str:
    return f"'{text}'" if len(text) <= 30 else f"'{text[:27]}...'"


def _lex_quoted(text: str, start: int) -> tuple[str, int]:
    """The unescaped content of the quoted string opening at `start`, and its end."""
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise QuerySyntaxError(start, "a closing '\"' for this quote", "end of query")


def _lex(text: str) -> Iterator[_Token]:
    index, length = 0, len(text)
    while index < length:
        char = text[index]
        if char.isspace():
            index += 1
        elif char in "()":
            yield _Token("lparen" if char == "(" else "rparen", index, index + 1)
            index += 1
        elif char == '"':
            value, end = _lex_quoted(text, index)
            yield _Token("phrase", index, end, value=value)
            index = end
        elif char == "-":
            following = text[index + 1] if index + 1 < length else ""
            if not following or not (_is_run_char(following) or following in '"('):
                raise QuerySyntaxError(
                    index + 1, _EXPECT_OPERAND, _describe(text, index + 1), after="'-'"
                )
            yield _Token("minus", index, index + 1)
            index += 1
        elif _is_run_char(char):
            end = index
            while end < length and _is_run_char(text[end]):
                end += 1
            token = _lex_run(text, index, end)
            yield token
            index = token.end
        else:
            raise QuerySyntaxError(
                index, "a term, phrase, operator or parenthesis", _describe(text, index)
            )


def _field_value_end(text: str, start: int) -> int:
    if start < len(text) and text[start] == '"':
        return _lex_quoted(text, start)[1]
    end = start
    while end < len(text) and _is_run_char(text[end]):
        end += 1
    return end


def _lex_run(text: str, start: int, end: int) -> _Token:
    word = text[start:end]
    if end < len(text) and text[end] == ":":
        return _lex_field(text, start, end)
    if word in ("AND", "OR", "NOT"):
        return _Token(word.lower(), start, end, value=word)
    if word == "NEAR":
        if end < len(text) and text[end] == "/":
            digits_start = digits_end = end + 1
            while digits_end < len(text) and _is_run_char(text[digits_end]):
                digits_end += 1
            digits = text[digits_start:digits_end]
            distance = (
                int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 4 else 0
            )
            if not 1 <= distance <= MAX_NEAR_DISTANCE:
                found = _snippet(digits) if digits else _describe(text, digits_start)
                raise QuerySyntaxError(
                    digits_start, f"a distance from 1 to {MAX_NEAR_DISTANCE} after NEAR/", found
                )
            return _Token(
                "near", start, digits_end, value=text[start:digits_end], distance=distance
            )
        return _Token("near", start, end, value="NEAR", distance=DEFAULT_NEAR_DISTANCE)
    problem = _term_problem(word)
    if problem is not None:
        offset, expected = problem
        found = "a lone '*'" if not word.strip("*") else _snippet(word)
        raise QuerySyntaxError(start + offset, expected, found)
    return _Token("word", start, end, value=word)


def _lex_field(text: str, start: int, colon: int) -> _Token:
    name = text[start:colon]
    if name.lower() not in FIELDS:
        raise QuerySyntaxError(
            start, f"one of the fields {', '.join(FIELDS)}", f"unknown field {_snippet(name)}"
        )
    value_start = colon + 1
    if value_start < len(text) and text[value_start] == '"':
        value, end = _lex_quoted(text, value_start)
    else:
        end = _field_value_end(text, value_start)
        value = text[value_start:end]
    if not value:
        raise QuerySyntaxError(
            value_start, f"a value after '{name}:'", _describe(text, value_start)
        )
    return _Token("field", start, end, value=value, name=name, value_start=value_start)


# --- parsing -----------------------------------------------------------------------------

_OPERAND_STARTS: Final = frozenset({"word", "phrase", "field", "lparen", "not", "minus"})


def parse(text: str) -> Query:
    """Parse a query; raises `QuerySyntaxError` (and nothing else) for any invalid text."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            MAX_QUERY_LENGTH,
            f"a query of at most {MAX_QUERY_LENGTH} characters",
            f"{len(text)} characters",
        )
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.peek = self._next_token()
        self.depth = 0

    def _next_token(self) -> _Token:
        return next(self.tokens, _Token("eof", len(self.text), len(self.text)))

    def advance(self) -> _Token:
        token = self.peek
        if token.kind != "eof":
            self.peek = self._next_token()
        return token

    def found(self, token: _Token) -> str:
        if token.kind == "eof":
            return "end of query"
        if token.kind in ("and", "or", "not", "near"):
            return token.value
        return _snippet(self.text[token.start : token.end])

    def parse(self) -> Query:
        if self.peek.kind == "eof":
            raise QuerySyntaxError(0, _EXPECT_OPERAND, "an empty query")
        query = self.parse_or("")
        token = self.peek
        if token.kind != "eof":  # only a stray ')' can be left over
            raise QuerySyntaxError(
                token.start,
                "a term, phrase, operator or end of query",
                "')' without a matching '('",
            )
        return query

    def parse_or(self, after: str) -> Query:
        parts = [self.parse_and(after)]
        while self.peek.kind == "or":
            self.advance()
            parts.append(self.parse_and("OR"))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self, after: str) -> Query:
        parts = [self.parse_unary(after)]
        while True:
            if self.peek.kind == "and":
                self.advance()
                parts.append(self.parse_unary("AND"))
            elif self.peek.kind in _OPERAND_STARTS:
                parts.append(self.parse_unary(""))
            else:
                break
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self, after: str) -> Query:
        negations = 0
        while self.peek.kind in ("not", "minus"):
            token = self.advance()
            negations += 1
            if self.depth + negations > MAX_DEPTH:
                raise QuerySyntaxError(
                    token.start, f"at most {MAX_DEPTH} levels of nesting", self.found(token)
                )
            after = "NOT" if token.kind == "not" else "'-'"
        self.depth += negations
        query = self.parse_near(after)
        self.depth -= negations
        for _ in range(negations):
            query = Not(query)
        return query

    def parse_near(self, after: str) -> Query:
        first = self.peek
        left = self.parse_primary(after)
        if self.peek.kind != "near":
            return left
        operator = self.advance()
        if first.kind == "lparen" or not isinstance(left, Term | Phrase):
            what = "a group in parentheses" if first.kind == "lparen" else "a field filter"
            raise QuerySyntaxError(first.start, "a term or phrase before NEAR", what)
        token = self.peek
        if token.kind not in ("word", "phrase"):
            raise QuerySyntaxError(
                token.start, "a term or phrase", self.found(token), after=operator.value
            )
        right = self.parse_primary(operator.value)
        assert isinstance(right, Term | Phrase)
        if self.peek.kind == "near":
            raise QuerySyntaxError(
                self.peek.start, "a term or phrase before NEAR", "a NEAR expression"
            )
        return Near(left, right, operator.distance)

    def parse_primary(self, after: str) -> Query:
        token = self.peek
        if token.kind == "lparen":
            self.advance()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(token.start, f"at most {MAX_DEPTH} levels of nesting", "'('")
            query = self.parse_or("'('")
            self.depth -= 1
            if self.peek.kind != "rparen":
                raise QuerySyntaxError(
                    token.start, "a closing ')' for this '('", self.found(self.peek)
                )
            self.advance()
            return query
        if token.kind not in ("word", "phrase", "field"):
            raise QuerySyntaxError(token.start, _EXPECT_OPERAND, self.found(token), after=after)
        self.advance()
        try:
            if token.kind == "word":
                return Term(token.value)
            if token.kind == "phrase":
                return Phrase(token.value)
            return Field(token.name, token.value)
        except _InvalidValue as error:
            position = token.value_start if token.kind == "field" else token.start
            if token.kind == "word":
                position += min(error.offset, len(token.value))
            raise QuerySyntaxError(
                position, error.expected, _snippet(self.text[token.start : token.end])
            ) from None


# --- matching ----------------------------------------------------------------------------


class _Doc:
    """A document prepared once per match: folded text, its words, lazily word offsets."""

    __slots__ = ("_ends", "_starts", "doc", "text", "words")

    def __init__(self, doc: QueryDocument) -> None:
        self.doc = doc
        self.text = _fold(doc.text)
        self.words = frozenset(_WORD_RE.findall(self.text))
        self._starts: list[int] | None = None
        self._ends: list[int] = []

    def word_bounds(self) -> tuple[list[int], list[int]]:
        if self._starts is None:
            spans = [match.span() for match in _WORD_RE.finditer(self.text)]
            self._starts = [start for start, _ in spans]
            self._ends = [end for _, end in spans]
        return self._starts, self._ends


_Matcher = Callable[[_Doc], bool]


class CompiledQuery:
    """A query with its regular expressions built once; `matches` is the hot path."""

    __slots__ = ("_match", "query")

    def __init__(self, query: Query) -> None:
        self.query = query
        self._match, _ = _compile(query)

    def matches(self, doc: QueryDocument) -> bool:
        return self._match(_Doc(doc))

    def matches_prepared(self, prepared: PreparedDocument) -> bool:
        """Match a document prepared once with `prepare_document` (many queries, one doc)."""
        return self._match(prepared)

    def __repr__(self) -> str:
        return f"CompiledQuery({query_to_string(self.query)!r})"


PreparedDocument = _Doc


def prepare_document(doc: QueryDocument) -> PreparedDocument:
    """Fold and tokenize `doc` once, for matching it against many compiled queries."""
    return _Doc(doc)


def compile_query(query: str | Query) -> CompiledQuery:
    """Parse (if needed) and compile a query for matching many documents."""
    return CompiledQuery(parse(query) if isinstance(query, str) else query)


def query_matches(query: Query, doc: QueryDocument) -> bool:
    """Whether `doc` matches `query` (the compiled form is cached on the query)."""
    return query.matches(doc)


def _wildcard_pattern(text: str, star: str) -> str:
    """A regex for `text` where `*` matches any run of `star`; linear, no backtracking blowup.

    Middle pieces are matched lazily inside atomic groups (the earliest occurrence of each
    literal piece is always the best choice), as `fnmatch` does.
    """
    pieces = [re.escape(piece) for piece in text.split("*")]
    if len(pieces) == 1:
        return pieces[0]
    middle = "".join(f"(?>{star}*?{piece})" for piece in pieces[1:-1])
    return f"{pieces[0]}{middle}{star}*{pieces[-1]}"


def _sequence_regex(query: NearOperand) -> re.Pattern[str]:
    if isinstance(query, Term):
        body = _wildcard_pattern(_fold(query.value), r"\w")
    else:
        body = r"\W+".join(re.escape(word) for word in _WORD_RE.findall(_fold(query.text)))
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _single_word(query: NearOperand) -> str | None:
    """The one folded word `query` stands for, if a word-set lookup decides it."""
    if isinstance(query, Term):
        folded = _fold(query.value)
    else:
        words = _WORD_RE.findall(_fold(query.text))
        if len(words) != 1:
            return None
        folded = words[0]
    return folded if _WORD_RE.fullmatch(folded) else None


def phrase_word(text: str) -> str | None:
    """The one folded word a quoted phrase stands for (it matches exactly when that word is
    among a prepared document's `words`), or None for a phrase of several words."""
    words = _WORD_RE.findall(_fold(text))
    return words[0] if len(words) == 1 else None


def _compile_sequence(query: NearOperand) -> tuple[_Matcher, int]:
    word = _single_word(query)
    if word is not None:
        return (lambda doc: word in doc.words), 1
    regex = _sequence_regex(query)
    return (lambda doc: regex.search(doc.text) is not None), 3


def _occurrences(regex: re.Pattern[str], doc: _Doc) -> list[tuple[int, int]]:
    """(first word, last word) indexes of every occurrence, overlapping ones included."""
    starts, ends = doc.word_bounds()
    found: list[tuple[int, int]] = []
    position = 0
    while (match := regex.search(doc.text, position)) is not None:
        first = bisect_right(ends, match.start())
        last = bisect_left(starts, match.end()) - 1
        found.append((first, last))
        position = match.start() + 1
    return found


def _compile_near(query: Near) -> _Matcher:
    left_present, _ = _compile_sequence(query.left)
    right_present, _ = _compile_sequence(query.right)
    left_regex, right_regex = _sequence_regex(query.left), _sequence_regex(query.right)
    distance = query.distance

    def match(doc: _Doc) -> bool:
        if not (left_present(doc) and right_present(doc)):
            return False
        # Occurrences come in text order and a pattern always spans the same number of
        # words, so the nearest right occurrence after/before each left one is a bisect away.
        rights = _occurrences(right_regex, doc)
        right_firsts = [first for first, _ in rights]
        right_lasts = [last for _, last in rights]
        for left_first, left_last in _occurrences(left_regex, doc):
            after = bisect_right(right_firsts, left_last)
            if after < len(rights) and right_firsts[after] - left_last - 1 <= distance:
                return True
            before = bisect_left(right_lasts, left_first) - 1
            if before >= 0 and left_first - right_lasts[before] - 1 <= distance:
                return True
        return False

    return match


def _value_matcher(pattern: str) -> Callable[[str], bool]:
    folded = _fold(pattern)
    if "*" not in folded:
        return lambda value: value == folded
    regex = re.compile(_wildcard_pattern(folded, "."), re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


def _compile_field(query: Field) -> _Matcher:
    value = query.value
    if query.name == "lang":

        def match_lang(doc: _Doc) -> bool:
            language = doc.doc.language.strip().lower().replace("_", "-")
            return language == value or language.startswith(value + "-")

        return match_lang
    if query.name == "country":
        return lambda doc: doc.doc.country.strip().upper() == value
    matches_value = _value_matcher(value)
    if query.name == "author":
        return lambda doc: matches_value(_fold(doc.doc.author.strip()).lstrip("@"))

    def match_source(doc: _Doc) -> bool:
        source = doc.doc
        return matches_value(_fold(source.source.strip())) or matches_value(
            _fold(source.source_kind.strip())
        )

    return match_source


def _compile(query: Query) -> tuple[_Matcher, int]:
    """A matcher for `query` and its rough cost, used to try cheap parts of AND/OR first."""
    if isinstance(query, Term | Phrase):
        return _compile_sequence(query)
    if isinstance(query, Field):
        return _compile_field(query), 0
    if isinstance(query, Near):
        return _compile_near(query), 10
    if isinstance(query, Not):
        inner, cost = _compile(query.part)
        return (lambda doc: not inner(doc)), cost
    if isinstance(query, And | Or):
        compiled = sorted((_compile(part) for part in query.parts), key=lambda pair: pair[1])
        matchers = tuple(matcher for matcher, _ in compiled)
        cost = sum(cost for _, cost in compiled)
        if isinstance(query, And):

            def match_all(doc: _Doc) -> bool:
                for matcher in matchers:  # noqa: SIM110 - a loop is twice as fast as all()
                    if not matcher(doc):
                        return False
                return True

            return match_all, cost

        def match_any(doc: _Doc) -> bool:
            for matcher in matchers:  # noqa: SIM110 - a loop is twice as fast as any()
                if matcher(doc):
                    return True
            return False

        return match_any, cost
    raise TypeError(f"not a query node: {query!r}")


# --- keywords and native search syntax ---------------------------------------------------


def positive_terms(query: Query) -> list[str]:
    """Terms and phrases (without quotes) not under a NOT, deduplicated, in query order.

    For networks that only take keywords. Wildcard terms are returned as written
    (`verspät*`); field filters are left out.
    """
    found: dict[str, None] = {}
    stack: list[Query] = [query]
    while stack:
        node = stack.pop()
        if isinstance(node, Term):
            found.setdefault(node.value)
        elif isinstance(node, Phrase):
            found.setdefault(node.text)
        elif isinstance(node, Near):
            stack.extend((node.right, node.left))
        elif isinstance(node, And | Or):
            stack.extend(reversed(node.parts))
    return list(found)


class _NotExpressible(Exception):
    pass


_RESERVED_WORDS: Final = frozenset({"and", "or", "not", "near"})
_X_HANDLE_RE: Final = re.compile(r"[a-z0-9_]{1,15}")
_REDDIT_AUTHOR_RE: Final = re.compile(r"[a-z0-9_-]{3,20}")
_BLUESKY_HANDLE_RE: Final = re.compile(r"[a-z0-9][a-z0-9.-]*|did:[a-z0-9:._-]+")


def to_native(query: Query, *, network: str) -> str | None:
    """`query` in the network's own search syntax, or None if it cannot be said faithfully.

    `source:` and `country:` are never expressible (they are applied after fetching), NEAR
    only in none of the supported networks. Networks: see `NETWORKS`.
    """
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}; known networks: {', '.join(NETWORKS)}")
    try:
        if network == "x":
            return _XRenderer().render(query)
        if network == "reddit":
            return _RedditRenderer().render(query)
        if network == "bluesky":
            return _render_bluesky(query)
    except _NotExpressible:
        return None
    return None  # mastodon has no boolean search


def _native_sequence(query: Query, network: str) -> str:
    """A term or phrase as a keyword or quoted phrase; raises for anything else."""
    if isinstance(query, Phrase):
        return '"' + " ".join(query.words) + '"'
    if not isinstance(query, Term):
        raise _NotExpressible
    value = query.value
    if "*" in value:
        # Reddit accepts a single trailing wildcard on a plain word; nobody else any.
        plain = value[:-1]
        if network == "reddit" and value.endswith("*") and _WORD_RE.fullmatch(plain):
            return value
        raise _NotExpressible
    if _WORD_RE.fullmatch(value) and value not in _RESERVED_WORDS:
        return value
    operator = value[0] in "#@" and _WORD_RE.fullmatch(value[1:]) is not None
    if operator and (network == "x" or (network == "bluesky" and value[0] == "#")):
        return value  # hashtag / mention operators
    return '"' + value + '"'


class _XRenderer:
    """X API v2 recent search: space = AND, OR, `-` on single operators, no grouped negation."""

    network = "x"

    def render(self, query: Query) -> str:
        return self.expression(query)

    def expression(self, query: Query) -> str:
        if isinstance(query, And):
            return self.conjunction(query.parts)
        if isinstance(query, Or):
            return " OR ".join(self.grouped(part) for part in query.parts)
        if isinstance(query, Field) and query.name == "author":
            return self.author(query)
        # Negations, `lang:` and Not-at-all-expressible nodes need a positive conjunct.
        if isinstance(query, Not | Field):
            raise _NotExpressible
        return _native_sequence(query, self.network)

    def grouped(self, query: Query) -> str:
        text = self.expression(query)
        return f"({text})" if isinstance(query, And | Or) else text

    def author(self, query: Field) -> str:
        if not _X_HANDLE_RE.fullmatch(query.value):
            raise _NotExpressible
        return f"from:{query.value}"

    def conjunction(self, parts: tuple[Query, ...]) -> str:
        positive: list[str] = []
        conditions: list[str] = []
        for part in parts:
            if isinstance(part, Not):
                conditions.extend(self.negations(part.part))
            elif isinstance(part, Field) and part.name == "lang":
                conditions.append(f"lang:{part.value}")
            else:
                positive.append(self.grouped(part))
        if not positive:
            raise _NotExpressible  # X needs a standalone, non-negated operator
        return " ".join(positive + conditions)

    def negations(self, query: Query) -> list[str]:
        # X forbids negated groups; NOT (a OR b) is still -a -b.
        if isinstance(query, Or):
            return [item for part in query.parts for item in self.negations(part)]
        if isinstance(query, Field) and query.name == "author":
            return ["-" + self.author(query)]
        if isinstance(query, Term | Phrase):
            return ["-" + _native_sequence(query, self.network)]
        raise _NotExpressible


class _RedditRenderer:
    """Reddit (Lucene-like): AND, OR, NOT, quotes, parentheses, trailing `*`, `author:`."""

    network = "reddit"

    def render(self, query: Query) -> str:
        return self.expression(query)

    def expression(self, query: Query) -> str:
        if isinstance(query, And):
            positive = [self.grouped(p) for p in query.parts if not isinstance(p, Not)]
            negative = ["NOT " + self.grouped(p.part) for p in query.parts if isinstance(p, Not)]
            if not positive:
                raise _NotExpressible  # Lucene's NOT only subtracts from something
            return " AND ".join(positive + negative)
        if isinstance(query, Or):
            return " OR ".join(self.grouped(part) for part in query.parts)
        if isinstance(query, Field):
            if query.name != "author" or not _REDDIT_AUTHOR_RE.fullmatch(query.value):
                raise _NotExpressible
            return f"author:{query.value}"
        if isinstance(query, Not):
            raise _NotExpressible
        return _native_sequence(query, self.network)

    def grouped(self, query: Query) -> str:
        text = self.expression(query)
        return f"({text})" if isinstance(query, And | Or) else text


def _render_bluesky(query: Query) -> str:
    """Bluesky searchPosts: space = AND, phrases, lang:, from:, `-word`; nothing else."""
    parts = query.parts if isinstance(query, And) else (query,)
    positive: list[str] = []
    conditions: list[str] = []
    for part in parts:
        if isinstance(part, Field):
            if part.name == "lang":
                conditions.append(f"lang:{part.value}")
            elif part.name == "author" and _BLUESKY_HANDLE_RE.fullmatch(part.value):
                positive.append(f"from:{part.value}")
            else:
                raise _NotExpressible
        elif isinstance(part, Not):
            word = _native_sequence(part.part, "bluesky")
            if not isinstance(part.part, Term) or word.startswith('"'):
                raise _NotExpressible  # only single words can be negated
            conditions.append("-" + word)
        elif isinstance(part, Term | Phrase):
            positive.append(_native_sequence(part, "bluesky"))
        else:
            raise _NotExpressible
    if not positive:
        raise _NotExpressible
    return " ".join(positive + conditions)
