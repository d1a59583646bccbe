"""Search in the inbox and the API: the listening query language over PostgreSQL full text,
German and English words, umlauts, hashtags, authors and URLs; sorting; bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from mentions.models import Author, Mention
from mentions.pipeline import mentions_store
from mentions.search import search_parse
from sources.formats import mention_item_validate
from tests.conftest import api_client, web_client
from tests.factories import mention_item

pytestmark = pytest.mark.django_db

TEXTS = {
    "late": "Schon wieder Verspätungen auf der Strecke nach Uelzen, die App zeigt nichts an",
    "login": "Die App hat beim Login einen Fehler, ich komme nicht rein",
    "spam": "App Login Gewinnspiel spam klick hier",
    "english": "The app crashes every time I try to log in, login is broken",
    "tag": "Heute wieder #Bahn Chaos am Hauptbahnhof",
    "plain": "Mit der Bahn ist es heute angenehm",
    "strasse": "Baustelle in der Strasse vor dem Bahnhof",
    "phrase": "Die deutsche Bahn ist pünktlich",
    "reverse": "Bahn deutsche Qualität, haha",
    "near": "Zug fällt aus und die ganze Familie wartet am Gleis mit viel Gepäck auf den Ersatz",
}


def _store(world, texts: dict[str, str], **extra) -> dict[str, int]:
    items = {}
    for key, text in texts.items():
        overrides = {"text": text, "external_id": f"search-{key}", "language": "de"}
        overrides.update(extra.get(key, {}))
        items[key] = mention_item_validate(mention_item(**overrides))[0]
    with tenant_context(world.acme.client), transaction.atomic():
        mentions_store(source=world.acme.source, items=list(items.values()))
        ids = dict(
            Mention.objects.filter(external_id__startswith="search-").values_list(
                "external_id", "pk"
            )
        )
    connection.set_schema_to_public()
    return {key: ids[f"search-{key}"] for key in texts}


@pytest.fixture
def stored(world):
    extra = {
        "english": {"language": "en"},
        "login": {"author": {"handle": "pendlerin_hh", "name": "Paula Pendler"}},
        "tag": {"url": "https://bahnforum.example/thread/77"},
    }
    return _store(world, TEXTS, **extra)


def _found(world, q: str, **params) -> set[str] | dict:
    api = api_client(world.acme, world.acme.token)
    response = api.get("/api/v1/mentions/", {"q": q, "page_size": 200, **params})
    assert response.status_code == 200, response.content
    return {row["external_id"].removeprefix("search-") for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # German stemming: a different form of the word.
        ("Verspätung", {"late"}),
        # Umlauts spelled out find the umlaut, and ß finds ss.
        ("verspaetung", {"late"}),
        ("Straße", {"strasse"}),
        # English stemming.
        ("crash", {"english"}),
        # A hashtag finds only the hashtag; the bare word finds both.
        ("#bahn", {"tag"}),
        ("#Bahn", {"tag"}),
        # Plain words: all of them, punctuation ignored.
        ("App Fehler?", {"login"}),
        ("Zug, Gleis!", {"near"}),
        # The query language.
        ('"app" AND login NOT spam lang:de', {"login"}),
        ("app AND login", {"login", "spam", "english"}),
        ("app login -spam", {"login", "english"}),
        ("(uelzen OR hauptbahnhof) lang:de", {"late", "tag"}),
        ("login lang:en", {"english"}),
        ('"deutsche bahn"', {"phrase"}),
        ("verspät*", {"late"}),
        # Five words between "Zug" and "Familie".
        ("zug NEAR/5 familie", {"near"}),
        ("zug NEAR/4 familie", set()),
        ('"ganze familie" NEAR/2 gleis', {"near"}),
        ("zug NEAR/3 gepäck", set()),
        ("gleis NEAR/10 zug", {"near"}),
        # Author handle and name, and the URL.
        ("pendlerin_hh", {"login"}),
        ("author:pendlerin_hh", {"login"}),
        ("author:@pendler*", {"login"}),
        ("Paula", {"login"}),
        ("bahnforum.example", {"tag"}),
        # Nothing matches.
        ("Flughafen", set()),
    ],
)
def test_search_finds_what_the_query_says(world, stored, q, expected):
    assert _found(world, q) == expected


def test_the_bare_word_finds_the_hashtag_and_the_word(world, stored):
    assert {"tag", "plain"} <= _found(world, "bahn")


def test_source_filter_by_kind_and_name(world, stored):
    assert _found(world, "source:webhook app") == {"late", "login", "spam", "english"}
    assert _found(world, "source:push app") == {"late", "login", "spam", "english"}
    assert _found(world, "source:reddit app") == set()


def test_a_changed_text_is_searched_as_changed(world, stored):
    with tenant_context(world.acme.client):
        Mention.objects.filter(pk=stored["plain"]).update(text="Jetzt mit Straßenbahn")
    connection.set_schema_to_public()
    assert _found(world, "straßenbahn") == {"plain"}
    assert "plain" not in _found(world, "angenehm")


def test_search_combines_with_filters_and_sort(world, stored):
    assert _found(world, "app", sort="oldest", language="en") == {"english"}


@pytest.mark.parametrize("q", ['"app AND (login', "lang:xx1234567890", "app AND", "(login"])
def test_a_query_with_a_syntax_error_is_a_400_with_where(world, stored, q):
    api = api_client(world.acme, world.acme.token)
    response = api.get("/api/v1/mentions/", {"q": q})
    assert response.status_code == 400
    body = response.json()
    assert "q" in str(body)


def test_a_search_of_only_punctuation_is_a_400(world, stored):
    api = api_client(world.acme, world.acme.token)
    assert api.get("/api/v1/mentions/", {"q": "?!"}).status_code == 400


def test_a_search_never_finds_another_clients_mentions(world, stored):
    api = api_client(world.globex, world.globex.token)
    response = api.get("/api/v1/mentions/", {"q": "app"})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_search_parse_reads_plain_words_when_the_text_is_no_query():
    search = search_parse(text="Zug heute?")
    assert search is not None and search.plain
    assert search_parse(text="   ") is None
    query = search_parse(text='"app" AND login')
    assert query is not None and not query.plain


# --- sorting -------------------------------------------------------------------------------


@pytest.fixture
def sortable(world):
    ids = _store(world, {"a": "eins", "b": "zwei", "c": "drei"})
    now = datetime.now(UTC)
    with tenant_context(world.acme.client):
        Mention.objects.filter(pk=ids["a"]).update(
            priority=4, first_response_due=now + timedelta(hours=3)
        )
        Mention.objects.filter(pk=ids["b"]).update(
            priority=1, first_response_due=now + timedelta(minutes=5)
        )
        Mention.objects.filter(pk=ids["c"]).update(priority=2, first_response_due=None)
        for key, influence in (("a", 0.1), ("b", 0.2), ("c", 0.9)):
            author_id = Mention.objects.get(pk=ids[key]).author_id
            Author.objects.filter(pk=author_id).update(influence=influence)
    connection.set_schema_to_public()
    return ids


def _order(world, sort: str, **params) -> list[str]:
    api = api_client(world.acme, world.acme.token)
    response = api.get("/api/v1/mentions/", {"sort": sort, **params})
    assert response.status_code == 200, response.content
    return [row["external_id"].removeprefix("search-") for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("newest", ["c", "b", "a"]),
        ("oldest", ["a", "b", "c"]),
        ("sla", ["b", "a", "c"]),
        ("priority", ["a", "c", "b"]),
        ("influence", ["c", "b", "a"]),
    ],
)
def test_sort_orders(world, sortable, sort, expected):
    assert _order(world, sort) == expected


def test_sorted_pages_follow_each_other(world, sortable):
    api = api_client(world.acme, world.acme.token)
    first = api.get("/api/v1/mentions/", {"sort": "priority", "page_size": 2}).json()
    assert [r["external_id"] for r in first["results"]] == ["search-a", "search-c"]
    second = api.get(first["next"]).json()
    assert [r["external_id"] for r in second["results"]] == ["search-b"]
    assert second["next"] is None


@pytest.mark.parametrize("params", [{"sort": "loudest"}, {"sort": "sla", "offset": "x"}])
def test_bad_sort_or_offset_is_a_400(world, sortable, params):
    api = api_client(world.acme, world.acme.token)
    assert api.get("/api/v1/mentions/", params).status_code == 400


# --- the inbox page ------------------------------------------------------------------------


def test_the_inbox_searches_and_says_what_it_found(world, stored):
    web = web_client(world.acme, world.rita)
    page = web.get("/", {"q": "#bahn", "status": "all"}).content.decode()
    assert 'name="q"' in page
    assert "Hauptbahnhof" in page
    assert "angenehm" not in page


def test_the_inbox_explains_a_query_it_cannot_read(world, stored):
    web = web_client(world.acme, world.rita)
    response = web.get("/", {"q": '"app AND (login'})
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()


def test_the_inbox_sorts(world, sortable):
    web = web_client(world.acme, world.rita)
    page = web.get("/", {"sort": "priority", "status": "all"}).content.decode()
    assert page.index("eins") < page.index("drei") < page.index("zwei")


def test_a_mention_is_found_by_the_name_its_author_already_has(world):
    # The second post carries no name: its search text takes the name the author row holds.
    first = {"author": {"handle": "gleisgreta", "name": "Greta Gleisberg"}}
    second = {"author": {"handle": "gleisgreta", "name": ""}}
    _store(world, {"first": "Der Zug ist voll"}, first=first)
    _store(world, {"second": "Der Zug ist leer"}, second=second)
    assert _found(world, "Gleisberg") == {"first", "second"}
