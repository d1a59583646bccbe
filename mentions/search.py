"""Search over mentions: the listening query language compiled to PostgreSQL full text.

`search_parse` reads what a person typed: the query language of listening queries
(`"app" AND login NOT spam lang:de`, see `sources.query`), or, when that does not parse and
the text uses none of its syntax, plain words (all of them must occur: "Zug heute?" finds
mentions with both words). `mentions_search` narrows a queryset to the matches.

Text parts compile to one `tsquery` per run of ANDs/ORs/NOTs, matched against the `search`
column (mentions migration 0014: German, English and `simple` lexemes, umlauts spelled out,
hashtags and @handles as written, the author's handle and name, the URL) through its GIN
index. How each node reads:

- a word: its German, English and exact (`simple`) forms, so "Verspätungen" finds
  "Verspätung"; with umlauts, also spelled out ("verspaetung");
- `#tag` / `@handle`: that hashtag or handle as written (never the bare word);
- `verspät*`: words starting with "verspät" (a `*` inside a word reads as one at its end);
- `"a phrase"`: the words in order;
- `a NEAR/n b`: both within n words, in either order (exact words);
- `lang:`, `country:`, `author:`, `source:` (name or kind): SQL on the columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from config.errors import DomainError
from mentions.models import Mention
from sources.query import (
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    Query,
    QuerySyntaxError,
    Term,
    parse,
)

MAX_SEARCH_LENGTH: Final = 500
_WORD_RE: Final = re.compile(r"\w+")
_PLAIN_WORD_RE: Final = re.compile(r"[#@]?\w+(?:[-.]\w+)*")
# Query syntax a person may have meant: then a parse error is reported, not guessed around.
_SYNTAX_RE: Final = re.compile(r'["()]|\b(?:AND|OR|NOT|NEAR)\b|\b\w+:')
_UMLAUTS: Final = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_CONFIGS: Final = ("pg_catalog.german", "pg_catalog.english", "pg_catalog.simple")


class SearchError(DomainError):
    """A search that cannot be read; says where and what was expected."""

    status_code = 400


@dataclass(frozen=True)
class Search:
    """What was typed, and the query it was read as."""

    text: str
    query: Query
    plain: bool  # read as plain words (it was not a valid query)


def search_parse(*, text: str) -> Search | None:
    """The search typed into the inbox or sent as `?q=`; None when it is blank.

    Raises `SearchError` (400, field `q`) for a query with a syntax error."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_SEARCH_LENGTH:
        raise SearchError(
            f"A search can be at most {MAX_SEARCH_LENGTH} characters long.",
            fields={"q": [f"at most {MAX_SEARCH_LENGTH} characters"]},
        )
    try:
        return Search(text=text, query=parse(text), plain=False)
    except QuerySyntaxError as exc:
        if _SYNTAX_RE.search(text):
            raise SearchError(
                f"The search could not be read {exc}.", fields={"q": [str(exc)]}
            ) from exc
    words = [Term(word) for word in _PLAIN_WORD_RE.findall(text)]
    if not words:
        raise SearchError(
            "Search for at least one word.", fields={"q": ["at least one letter or digit"]}
        )
    query: Query = words[0] if len(words) == 1 else And(tuple(words))
    return Search(text=text, query=query, plain=True)


def mentions_search(mentions: QuerySet[Mention], *, search: Search) -> QuerySet[Mention]:
    """`mentions` narrowed to those matching the search."""
    return mentions.filter(_as_q(_compile(search.query)))


# --- compiling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ts:
    """A tsquery SQL expression and its parameters."""

    sql: str
    params: tuple[str | int, ...]


_Compiled = _Ts | Q


def _as_q(node: _Compiled) -> Q:
    if isinstance(node, Q):
        return node
    # Only constant SQL is formatted in (configurations, operators); values are parameters.
    return Q(
        RawSQL(  # noqa: S611
            f'"mentions_mention"."search" @@ ({node.sql})',
            node.params,
            output_field=BooleanField(),
        )
    )


def _join(nodes: list[_Ts], operator: str) -> _Ts:
    if len(nodes) == 1:
        return nodes[0]
    return _Ts(
        "(" + f" {operator} ".join(f"({n.sql})" for n in nodes) + ")",
        tuple(param for n in nodes for param in n.params),
    )


def _compile(query: Query) -> _Compiled:
    if isinstance(query, Term):
        return _term(query.value)
    if isinstance(query, Phrase):
        return _words(query.text)
    if isinstance(query, Near):
        return _near(query)
    if isinstance(query, Field):
        return _field(query)
    if isinstance(query, Not):
        inner = _compile(query.part)
        return _Ts(f"!!({inner.sql})", inner.params) if isinstance(inner, _Ts) else ~inner
    if isinstance(query, And | Or):
        parts = [_compile(part) for part in query.parts]
        texts = [part for part in parts if isinstance(part, _Ts)]
        others = [part for part in parts if isinstance(part, Q)]
        if isinstance(query, And):
            # All text parts in one tsquery: one GIN index scan; fields are plain SQL.
            if not others:
                return _join(texts, "&&")
            combined = _as_q(_join(texts, "&&")) if texts else Q()
            for other in others:
                combined &= other
            return combined
        if not others:
            return _join(texts, "||")
        either = Q()
        for part in parts:
            either |= _as_q(part)
        return either
    raise TypeError(f"not a query node: {query!r}")


def _lexeme(word: str) -> str:
    """A quoted tsquery lexeme (the caller passes it as a parameter)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _term(value: str) -> _Ts:
    if "*" in value:
        return _prefix(value.split("*", 1)[0])
    if value[0] in "#@" and _WORD_RE.fullmatch(value[1:]):
        return _Ts("%s::tsquery", (_lexeme(value.lower()),))
    return _words(value.lstrip("#@") if value[0] in "#@" else value)


def _words(text: str) -> _Ts:
    """The words of `text` in order, in each configuration (and umlauts spelled out)."""
    sql = [f"phraseto_tsquery('{config}', %s)" for config in _CONFIGS]
    params: list[str | int] = [text] * len(_CONFIGS)
    folded = text.lower().translate(_UMLAUTS)
    if folded != text.lower():
        sql.append("phraseto_tsquery('pg_catalog.simple', %s)")
        params.append(folded)
    return _Ts("(" + " || ".join(sql) + ")", tuple(params))


def _prefix(text: str) -> _Ts:
    """Words as written, the last one a prefix (`t-mob*`: "t" then a word starting "mob")."""
    words = _WORD_RE.findall(text.lower())
    variants = {" <-> ".join([*map(_lexeme, words[:-1]), _lexeme(words[-1]) + ":*"])}
    folded = [word.translate(_UMLAUTS) for word in words]
    variants.add(" <-> ".join([*map(_lexeme, folded[:-1]), _lexeme(folded[-1]) + ":*"]))
    ordered = sorted(variants)
    return _Ts(
        "(" + " || ".join("to_tsquery('pg_catalog.simple', %s)" for _ in ordered) + ")",
        tuple(ordered),
    )


def _exact(operand: Term | Phrase) -> _Ts:
    """A NEAR operand: exact words among the `simple` lexemes (weight B), whose positions
    follow the text (the stemmed parts' positions would run into each other)."""
    text = operand.value if isinstance(operand, Term) else operand.text
    prefix = isinstance(operand, Term) and "*" in text
    words = _WORD_RE.findall(text.split("*", 1)[0].lower() if prefix else text.lower())
    lexemes = [_lexeme(word) + ":B" for word in words]
    if prefix:
        lexemes[-1] = _lexeme(words[-1]) + ":*B"
    return _Ts("to_tsquery('pg_catalog.simple', %s)", (" <-> ".join(lexemes),))


def _near(query: Near) -> _Ts:
    left, right = _exact(query.left), _exact(query.right)
    sql: list[str] = []
    params: list[str | int] = []
    # `tsquery_phrase(a, b, d)`: b exactly d positions after a; n words between is d = n + 1.
    for distance in range(1, query.distance + 2):
        for first, second in ((left, right), (right, left)):
            sql.append(f"tsquery_phrase({first.sql}, {second.sql}, %s)")
            params.extend([*first.params, *second.params, distance])
    return _Ts("(" + " || ".join(sql) + ")", tuple(params))


def _like(value: str) -> str:
    """A field value with `*` wildcards as a case-insensitive regular expression."""
    return "^" + ".*".join(re.escape(piece) for piece in value.split("*")) + "$"


def _field(query: Field) -> Q:
    value = query.value
    if query.name == "lang":
        return Q(language__iexact=value) | Q(language__istartswith=value + "-")
    if query.name == "country":
        return Q(country__iexact=value)
    if query.name == "author":
        if "*" in value:
            return Q(author__handle__iregex=_like(value.lstrip("@")))
        return Q(author__handle__iexact=value)
    if "*" in value:
        pattern = _like(value)
        return Q(source__name__iregex=pattern) | Q(source__kind__iregex=pattern)
    return Q(source__name__iexact=value) | Q(source__kind__iexact=value)
