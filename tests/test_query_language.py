"""The boolean query language (`sources.query`): matching, errors, printing, native syntax.

Pure Python: no database, no fixtures.
"""

from __future__ import annotations

import pickle
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sources.query import (
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    Query,
    QueryDocument,
    QuerySyntaxError,
    Term,
    compile_query,
    parse,
    positive_terms,
    query_matches,
    query_to_string,
    to_native,
)

BAHN = "Bahn AND (Verspätung OR ausgefallen) NOT Autobahn"
DB_APP = '"deutsche bahn" NEAR/3 app'


def doc(text: str = "", **attributes: str) -> QueryDocument:
    return QueryDocument(text=text, **attributes)


# --- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "document", "expected"),
    [
        (BAHN, doc("Die Bahn hat mal wieder Verspätung."), True),
        (BAHN, doc("Mein Zug der BAHN ist ausgefallen!"), True),
        (BAHN, doc("Bahn und Autobahn: überall Verspätung"), False),
        (BAHN, doc("Stau auf der Autobahn, 30 Minuten Verspätung"), False),
        (BAHN, doc("Die Bahn ist heute pünktlich"), False),
        (BAHN, doc("Bahn, Verspätungen"), False),  # a term is a whole word
        (DB_APP, doc("Die Deutsche Bahn hat eine neue App"), True),
        (DB_APP, doc("Die App der Deutsche-Bahn"), True),  # either order, punctuation
        (DB_APP, doc("App? Erst mal fragen: die deutsche  Bahn"), False),  # 4 words between
        (DB_APP, doc("Deutschen Bahn App"), False),
        (DB_APP, doc("Deutsche Bahn"), False),
        (
            '"deutsche bahn" NEAR app',
            doc("Deutsche Bahn: Fahrplan, Tickets, Preise, die App"),
            True,
        ),
        ("bahn NEAR/1 app", doc("Bahn App"), True),
        ("bahn NEAR/1 app", doc("App der Bahn"), True),
        ("bahn NEAR/1 app", doc("App von der Bahn"), False),
        ("bahn NEAR/2 bahn", doc("Bahn, Bahn"), True),
        ("bahn NEAR/2 bahn", doc("Bahn"), False),
        ("verspät*", doc("Der Zug verspätet sich"), True),
        ("verspät*", doc("VERSPÄTUNG!!"), True),
        ("verspät*", doc("unverspätet"), False),
        ("deutsch*bahn", doc("#DeutscheBahn"), True),
        ("deutsch*bahn", doc("Deutsche Bahn"), False),  # never across spaces
        ("ver*ung NEAR/2 zug", doc("Verspätung beim Zug"), True),
        ("lang:de author:@nordbahn", doc("x", language="de", author="NordBahn"), True),
        ("lang:de author:@nordbahn", doc("x", language="de-AT", author="@nordbahn"), True),
        ("lang:de author:@nordbahn", doc("x", language="en", author="nordbahn"), False),
        ("lang:de author:@nordbahn", doc("x", language="de", author="nordbahn_info"), False),
        ("author:nord*", doc("x", author="@NordBahn_Info"), True),
        ("source:reddit", doc("x", source="r/bahn", source_kind="reddit"), True),
        ('source:"r/*"', doc("x", source="r/bahn", source_kind="reddit"), True),
        ('source:"Bahn Forum"', doc("x", source="bahn forum", source_kind="rss"), True),
        ("source:rss", doc("x", source="Reddit", source_kind="reddit"), False),
        ("country:de", doc("x", country="DE"), True),
        ("country:DE", doc("x", country="AT"), False),
        ("bahn -source:reddit", doc("Bahn", source_kind="reddit"), False),
        ("bahn -source:reddit", doc("Bahn", source_kind="rss"), True),
        ("münchen", doc("MÜNCHEN Hbf"), True),
        ("münchen", doc("Mu\u0308nchen Hbf"), True),  # decomposed umlaut
        ("straße", doc("STRASSE gesperrt"), True),
        ('"über uns"', doc("ÜBER, uns!"), True),
        ("BAHN", doc("bahn"), True),
        ("bahn or zug", doc("Zug"), False),  # lower-case `or` is a word
        ("bahn or zug", doc("Bahn or Zug"), True),
        ("bahn", doc("#Bahn!"), True),
        ("#bahn", doc("Bahn"), False),
        ("#bahn", doc("Ich liebe #bahn."), True),
        ("@nordbahn", doc("danke @NordBahn"), True),
        ("t-mobile", doc("T-Mobile Netz"), True),
        ("t-mobile", doc("T Mobile Netz"), False),
        ('"t-mobile"', doc("T Mobile Netz"), True),
        ("e.on", doc("Strom von E.ON."), True),
        ("bahn_fan", doc("bahn fan"), False),
        (r'"say \"hi\""', doc('they say "hi"'), True),
        ("-zug", doc("Bahn"), True),
        ("-(zug OR bus)", doc("Bus"), False),
        ("NOT NOT bahn", doc("Bahn"), True),
        ("a OR b c", doc("a"), True),  # AND binds tighter than OR
        ("(a OR b) c", doc("a"), False),
        ("NOT a b", doc("b"), True),  # NOT binds tighter than AND
        ("NOT a b", doc("a b"), False),
    ],
)
def test_matching(query: str, document: QueryDocument, expected: bool) -> None:
    parsed = parse(query)

    assert parsed.matches(document) is expected
    assert query_matches(parsed, document) is expected
    assert compile_query(query).matches(document) is expected


def test_compiled_query_is_fast_enough() -> None:
    compiled = compile_query('bahn (verspät* OR ausfall) -autobahn "deutsche bahn" lang:de')
    document = doc(
        "Die Deutsche Bahn meldet heute wieder Verspätungen im Fernverkehr, weil zwischen "
        "Hamburg und Berlin eine Oberleitung gestört ist; die Bahn bittet um Geduld und "
        "empfiehlt die App",
        language="de",
    )
    assert compiled.matches(document)

    started = time.perf_counter()
    for _ in range(2000):
        compiled.matches(document)

    assert time.perf_counter() - started < 1.0


# --- errors --------------------------------------------------------------------------------

OPERAND = "a term, phrase or '('"


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("", 0, OPERAND),
        ("   ", 0, OPERAND),
        ("bahn AND (zug", 9, "a closing ')' for this '('"),
        ("((bahn) OR zug", 0, "a closing ')' for this '('"),
        ("bahn AND (", 10, OPERAND),
        ("bahn)", 4, "a term, phrase, operator or end of query"),
        ("(bahn))", 6, "a term, phrase, operator or end of query"),
        ("()", 1, OPERAND),
        ('"deutsche bahn', 0, "a closing '\"' for this quote"),
        ('bahn "zug \\"', 5, "a closing '\"' for this quote"),
        ('""', 0, "at least one word between the quotes"),
        ("OR bahn", 0, OPERAND),
        ("bahn OR OR zug", 8, OPERAND),
        ("bahn NOT", 8, OPERAND),
        ("bahn -", 6, OPERAND),
        ("bahn - zug", 6, OPERAND),
        ("bahn NEAR/0 zug", 10, "a distance from 1 to 50 after NEAR/"),
        ("bahn NEAR/x zug", 10, "a distance from 1 to 50 after NEAR/"),
        ("bahn NEAR/51 zug", 10, "a distance from 1 to 50 after NEAR/"),
        ("bahn NEAR/ zug", 10, "a distance from 1 to 50 after NEAR/"),
        ("(bahn OR db) NEAR zug", 0, "a term or phrase before NEAR"),
        ("(bahn) NEAR zug", 0, "a term or phrase before NEAR"),
        ("lang:de NEAR zug", 0, "a term or phrase before NEAR"),
        ("bahn NEAR (zug OR bus)", 10, "a term or phrase"),
        ("bahn NEAR -zug", 10, "a term or phrase"),
        ("bahn NEAR zug NEAR bus", 14, "a term or phrase before NEAR"),
        ("bahn NEAR", 9, "a term or phrase"),
        ("foo:bar", 0, "one of the fields author, country, lang, source"),
        ("bahn Lang:", 10, "a value after 'Lang:'"),
        ('author:""', 7, "a value after 'author:'"),
        ("author:@", 7, "a value after 'author:'"),
        ("country:deu", 8, "a two-letter ISO 3166 country code such as 'DE'"),
        ("lang:deutsch", 5, "a language code such as 'de' or 'en'"),
        ("*", 0, "a letter or digit before '*'"),
        ("bahn AND (* OR zug)", 10, "a letter or digit before '*'"),
        ("*bahn", 0, "a letter or digit before '*'"),
        ("author:*", 7, "a value with letters or digits after 'author:', not a lone '*'"),
        ("bahn.", 5, "a letter or digit after '.'"),
        ("bahn, zug", 4, "a term, phrase, operator or parenthesis"),
        ("x" * 4001, 4000, "a query of at most 4000 characters"),
        ("(" * 51 + "a" + ")" * 51, 50, "at most 50 levels of nesting"),
        ("NOT " * 51 + "a", 200, "at most 50 levels of nesting"),
    ],
)
def test_syntax_errors(query: str, position: int, expected: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)

    assert (caught.value.position, caught.value.expected) == (position, expected)
    assert str(caught.value).startswith(f"at position {position}: expected {expected}")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "deutsche AND",
            "at position 12: expected a term, phrase or '(' after AND, found end of query",
        ),
        (
            "bahn AND (zug OR bus",
            "at position 9: expected a closing ')' for this '(', found end of query",
        ),
        ("bahn OR OR", "at position 8: expected a term, phrase or '(' after OR, found OR"),
        (
            "x:1",
            "at position 0: expected one of the fields author, country, lang, source, "
            "found unknown field 'x'",
        ),
        ("*", "at position 0: expected a letter or digit before '*', found a lone '*'"),
        (
            "a NEAR/0 b",
            "at position 7: expected a distance from 1 to 50 after NEAR/, found '0'",
        ),
        (
            "(a OR b) NEAR c",
            "at position 0: expected a term or phrase before NEAR, found a group in parentheses",
        ),
    ],
)
def test_error_messages(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=f"^{re.escape(message)}$"):
        parse(query)


def test_syntax_error_is_a_value_error_and_pickles() -> None:
    with pytest.raises(ValueError, match="position") as caught:
        parse("bahn AND")

    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 - our own object

    assert isinstance(copy, QuerySyntaxError)
    assert (copy.position, copy.expected, str(copy)) == (8, OPERAND, str(caught.value))


# --- AST and printing ----------------------------------------------------------------------


def test_parse_builds_a_flat_normalised_ast() -> None:
    assert parse(BAHN) == And(
        (Term("bahn"), Or((Term("verspätung"), Term("ausgefallen"))), Not(Term("autobahn")))
    )
    assert parse("a AND (b AND c) d") == And((Term("a"), Term("b"), Term("c"), Term("d")))
    assert parse(DB_APP) == Near(Phrase("deutsche bahn"), Term("app"), 3)
    assert parse("a NEAR b") == Near(Term("a"), Term("b"), 5)
    assert parse("-a -(b OR c)") == And((Not(Term("a")), Not(Or((Term("b"), Term("c"))))))
    assert parse("LANG:DE author:@NordBahn Country:de") == And(
        (Field("lang", "de"), Field("author", "nordbahn"), Field("country", "DE"))
    )
    assert Term("Bahn") == Term("bahn")


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        (BAHN, "bahn AND (verspätung OR ausgefallen) AND NOT autobahn"),
        ("a OR b c", "a OR (b AND c)"),
        ('"Deutsche Bahn" NEAR app', '"deutsche bahn" NEAR/5 app'),
        (r'"say \"hi\" \\o/"', r'"say \"hi\" \\o/"'),
        ('source:"Bahn Forum" -author:@db', 'source:"bahn forum" AND NOT author:db'),
        ("NOT (a b)", "NOT (a AND b)"),
    ],
)
def test_canonical_string(query: str, canonical: str) -> None:
    parsed = parse(query)

    assert str(parsed) == query_to_string(parsed) == canonical
    assert parse(canonical) == parsed


def test_queries_pickle_after_matching() -> None:
    query = parse(BAHN)
    assert query.matches(doc("Bahn Verspätung"))

    copy = pickle.loads(pickle.dumps(query))  # noqa: S301 - our own object

    assert copy == query
    assert copy.matches(doc("Bahn Verspätung"))


def test_nodes_reject_values_the_language_cannot_express() -> None:
    with pytest.raises(ValueError, match="before '\\*'"):
        Term("*")
    with pytest.raises(ValueError, match="fields"):
        Field("colour", "red")
    with pytest.raises(ValueError, match="two parts"):
        And((Term("a"),))
    with pytest.raises(ValueError, match="distance"):
        Near(Term("a"), Term("b"), 0)


# --- keywords and native syntax ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        (
            'Bahn AND (Verspätung OR "Deutsche Bahn") NOT Autobahn bahn lang:de',
            ["bahn", "verspätung", "deutsche bahn"],
        ),
        ('"deutsche bahn" NEAR/3 app -(zug OR "ice")', ["deutsche bahn", "app"]),
        ("verspät* -bahn", ["verspät*"]),
        ("NOT NOT bahn", []),
        ("lang:de", []),
    ],
)
def test_positive_terms(query: str, terms: list[str]) -> None:
    assert positive_terms(parse(query)) == terms


@pytest.mark.parametrize(
    ("query", "network", "native"),
    [
        (BAHN, "x", "bahn (verspätung OR ausgefallen) -autobahn"),
        ('"deutsche bahn" lang:de author:@DB_Info', "x", '"deutsche bahn" from:db_info lang:de'),
        ("bahn -(zug OR bus)", "x", "bahn -zug -bus"),
        ("bahn OR #db OR t-mobile", "x", 'bahn OR #db OR "t-mobile"'),
        ("bahn -author:spam", "x", "bahn -from:spam"),
        ("bahn -(zug bus)", "x", None),  # X cannot negate a group
        ("-bahn", "x", None),  # negations cannot stand alone
        ("lang:de", "x", None),  # lang: needs a standalone operator
        ("verspät*", "x", None),
        (DB_APP, "x", None),
        ("bahn country:DE", "x", None),
        ("bahn source:reddit", "x", None),
        ("bahn OR NOT zug", "x", None),
        (BAHN, "reddit", "bahn AND (verspätung OR ausgefallen) AND NOT autobahn"),
        ("verspät* author:nordbahn", "reddit", "verspät* AND author:nordbahn"),
        ('"Deutsche Bahn" OR and', "reddit", '"deutsche bahn" OR "and"'),
        ("deutsch*bahn", "reddit", None),
        ("bahn lang:de", "reddit", None),
        ("NOT bahn", "reddit", None),
        (DB_APP, "reddit", None),
        (
            'bahn "deutsche bahn" lang:de author:@db.bsky.social -zug',
            "bluesky",
            'bahn "deutsche bahn" from:db.bsky.social lang:de -zug',
        ),
        ("#bahn", "bluesky", "#bahn"),
        ("bahn OR zug", "bluesky", None),
        ('bahn -"deutsche bahn"', "bluesky", None),
        ("bahn -(zug)", "bluesky", "bahn -zug"),
        ("verspät*", "bluesky", None),
        ("-bahn", "bluesky", None),
        ("bahn country:DE", "bluesky", None),
        (BAHN, "mastodon", None),
        ("bahn", "mastodon", None),
    ],
)
def test_to_native(query: str, network: str, native: str | None) -> None:
    assert to_native(parse(query), network=network) == native


def test_to_native_rejects_unknown_networks() -> None:
    with pytest.raises(ValueError, match="bluesky, mastodon, reddit, x"):
        to_native(parse("bahn"), network="myspace")


# --- properties ----------------------------------------------------------------------------

_segment = st.text(alphabet="abäß1_", min_size=1, max_size=3).filter(lambda s: s[0] != "_")


@st.composite
def _terms(draw: st.DrawFn) -> Term:
    def piece() -> str:
        text = draw(_segment)
        if draw(st.booleans()):
            text += "*" + draw(st.sampled_from(["", "a", "b"]))
        return text

    value = draw(st.sampled_from(["", "", "", "#", "@"])) + piece()
    if draw(st.integers(0, 3)) == 0:
        value += draw(st.sampled_from("-.#@")) + piece()
    return Term(value)


_phrases = st.lists(
    st.tuples(_segment, st.sampled_from([" ", ", ", ' "', "\\", "-", "*"])), min_size=1, max_size=3
).map(lambda pairs: Phrase("".join(word + sep for word, sep in pairs)))

_fields = st.one_of(
    st.builds(Field, st.just("lang"), st.sampled_from(["de", "EN", "de-at"])),
    st.builds(Field, st.just("country"), st.sampled_from(["DE", "at"])),
    st.builds(Field, st.just("author"), st.sampled_from(["nordbahn", "@NordBahn", "nord*", "db"])),
    st.builds(Field, st.just("source"), st.sampled_from(["reddit", "Bahn Forum", "r*", 'a "b"'])),
)
_sequences = st.one_of(_terms(), _phrases)
_leaves = st.one_of(
    _sequences, _fields, st.builds(Near, _sequences, _sequences, st.integers(1, 50))
)
queries = st.recursive(
    _leaves,
    lambda children: st.one_of(
        children.map(Not),
        st.lists(children, min_size=2, max_size=3).map(lambda parts: And(tuple(parts))),
        st.lists(children, min_size=2, max_size=3).map(lambda parts: Or(tuple(parts))),
    ),
    max_leaves=6,
)

_words = st.sampled_from(["a", "b", "ab", "ba", "ä", "äb", "ß", "ss", "1", "A", "ÄB", "a_b"])
_separators = st.sampled_from([" ", "  ", ", ", "-", ". ", " #", " @", ".", "\n"])
documents = st.builds(
    QueryDocument,
    text=st.lists(st.tuples(_words, _separators), max_size=12).map(
        lambda pairs: "".join(word + sep for word, sep in pairs)
    ),
    language=st.sampled_from(["", "de", "de-AT", "en"]),
    author=st.sampled_from(["", "nordbahn", "@NordBahn", "db"]),
    source=st.sampled_from(["", "Bahn Forum", "rss feed"]),
    source_kind=st.sampled_from(["", "reddit", "rss"]),
    country=st.sampled_from(["", "DE", "at"]),
)
PROPERTIES = settings(max_examples=200, deadline=None)


@PROPERTIES
@given(queries)
def test_canonical_string_parses_back_to_an_equal_query(query: Query) -> None:
    assert parse(str(query)) == query


@PROPERTIES
@given(queries, documents)
def test_not_negates(query: Query, document: QueryDocument) -> None:
    assert Not(query).matches(document) == (not query.matches(document))


@PROPERTIES
@given(queries, queries, documents)
def test_and_or_combine_their_parts(left: Query, right: Query, document: QueryDocument) -> None:
    both, either = left.matches(document), right.matches(document)

    assert And((left, right)).matches(document) == (both and either)
    assert Or((left, right)).matches(document) == (both or either)


@PROPERTIES
@given(queries, queries, documents)
def test_de_morgan(left: Query, right: Query, document: QueryDocument) -> None:
    assert Not(And((left, right))).matches(document) == Or((Not(left), Not(right))).matches(
        document
    )
    assert Not(Or((left, right))).matches(document) == And((Not(left), Not(right))).matches(
        document
    )


_plain_terms = st.builds(lambda word, star: Term(word + star), _segment, st.sampled_from(["", "*"]))


@PROPERTIES
@given(_plain_terms, _plain_terms, st.integers(1, 4), documents)
def test_terms_and_near_agree_with_a_word_list_model(
    left: Term, right: Term, distance: int, document: QueryDocument
) -> None:
    words = re.findall(r"\w+", document.text.casefold())

    def positions(term: Term) -> list[int]:
        pattern = re.escape(term.value.casefold()).replace(r"\*", r"\w*")
        return [i for i, word in enumerate(words) if re.fullmatch(pattern, word)]

    near = any(
        i != j and abs(i - j) - 1 <= distance for i in positions(left) for j in positions(right)
    )

    assert left.matches(document) == bool(positions(left))
    assert Near(left, right, distance).matches(document) == near


_query_tokens = st.sampled_from(
    [*'ab -*()"\\:#@./0ä,', "AND", "OR", "NOT", "NEAR", "NEAR/", "3", "lang:", "author:", "  "]
)
_query_like_text = st.lists(_query_tokens, max_size=30).map("".join)


@PROPERTIES
@given(st.one_of(st.text(), _query_like_text))
def test_parse_raises_only_query_syntax_errors(text: str) -> None:
    try:
        query = parse(text)
    except QuerySyntaxError as error:
        assert 0 <= error.position <= len(text)
        assert str(error).startswith(f"at position {error.position}: expected ")
    else:
        assert isinstance(query, Query)
        assert parse(str(query)) == query


def test_huge_and_deep_inputs_are_rejected_cleanly() -> None:
    for text in ["(" * 3000, "NOT " * 999, "-" * 3999 + "a", '"' * 4000]:
        with pytest.raises(QuerySyntaxError):
            parse(text)
    assert len(parse("a " * 1999 + "a").parts) == 2000
