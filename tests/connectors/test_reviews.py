"""The review-page connector against real shop, recipe and portal pages served from loopback."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, datetime

import pytest

from sources.connectors.base import ConfigError, ConnectorError, FetchWindow, RateLimited
from sources.connectors.http import SafeHttpClient
from sources.connectors.registry import connector_class
from sources.connectors.reviews import MAX_SEEN, ReviewsConnector, reviews_extract
from sources.formats import json_make_storable, mention_item_validate
from tests.replay import RECORDINGS, ReplayServer

needs_recordings = pytest.mark.skipif(
    not RECORDINGS.exists(), reason="../shared/data/recordings is not here"
)
REVIEWS = RECORDINGS / "reviews"
HTML = {"Content-Type": "text/html; charset=utf-8"}
IKEA = "897bc5b59e376abf58fce20d8ac28b645e29de0d59219781a3313f9d6756f339.html.gz"
EDUSCHO = "3ef9ddf56392c917ec60f444dd1071e26b6c797f29bcc00e6bab3e7187c39216.html.gz"
GETIT = "469894a59bfbe4d6c90d354400d8b61692cf3c95305758de4f666181a178c568.html.gz"
LEROY_MERLIN = "4b3a17058e7269c6361af74db8c66dfc2bb1d813e1be6ee596f3270069084d7a.html.gz"
TROIS_SUISSES = "5f885d1f831aaeeabd23917957753116a2f0d031abe9ebadbe08c1ac9dac3be9.html.gz"


def page_html(reviews_jsonld: list[dict], *, extra: str = "") -> str:
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Nordbahn Jahreskarte",
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": 3.5, "reviewCount": 2},
        "review": reviews_jsonld,
    }
    return f"""<!doctype html><html lang="de"><head>
<script type="application/ld+json">{json.dumps(product)}</script>
<script type="application/ld+json">{{"@type": "Review", "reviewBody": "kaputt", </script>
<script type="application/ld+json">{{"@context": "https://schema.org", "@graph": [
  {{"@type": "LocalBusiness", "name": "Reisezentrum Hbf", "review": {{
    "@type": "Review", "@id": "#r-graph", "author": "Ole",
    "datePublished": "2026-11-20", "reviewBody": "Freundlich, aber lange Schlange.",
    "reviewRating": {{"@type": "Rating", "ratingValue": "3", "bestRating": "5"}}}}}}]}}
</script>
<script>var notJsonLd = {{"@type": "Review"}};</script>
</head><body>
<div itemscope itemtype="https://schema.org/Product">
  <h1 itemprop="name">Nordbahn App</h1>
  <div itemprop="review" itemscope itemtype="https://schema.org/Review">
    <span itemprop="author" itemscope itemtype="https://schema.org/Person">
      <span itemprop="name">Mika</span></span>
    <meta itemprop="datePublished" content="2026.11.19">
    <h3 itemprop="name">Absturz beim Start</h3>
    <div itemprop="reviewBody"><p>Seit dem Update <b>stürzt</b> sie ab.</p></div>
    <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">
      <meta itemprop="ratingValue" content="1"><meta itemprop="bestRating" content="5"></div>
  </div>
</div>{extra}
</body></html>"""


REVIEW_A = {
    "@type": "Review",
    "@id": "https://shop.example/p/1#review-a",
    "author": {"@type": "Person", "name": "Jana"},
    "datePublished": "2026-11-22T08:00:00Z",
    "name": "Pünktlich",
    "reviewBody": "Meistens pünktlich, <b>gutes</b> WLAN.",
    "reviewRating": {"@type": "Rating", "ratingValue": 4, "bestRating": 5},
}
REVIEW_B = {
    "@type": "Review",
    "author": "Tom",
    "datePublished": "2026-11-21",
    "reviewBody": "Zu teuer.",
    "reviewRating": {"@type": "Rating", "ratingValue": "3,0"},
}


def connector(*urls: str) -> ReviewsConnector:
    return ReviewsConnector(
        config={"urls": list(urls)}, credentials={}, http=SafeHttpClient(allow_private=True)
    )


def assert_valid(items: list[dict]) -> None:
    for item in items:
        _data, errors = mention_item_validate(json_make_storable(item))
        assert errors is None, (item, errors)


def test_inline_page_json_ld_graph_and_microdata_reviews_are_normalized():
    with ReplayServer() as server:
        server.add("GET", "/p/1", body=page_html([REVIEW_A, REVIEW_B]), headers=HTML)
        page = connector(f"{server.url}/p/1").fetch({})
    by_author = {item["author"]["handle"]: item for item in page.items}
    assert set(by_author) == {"Jana", "Tom", "Ole", "Mika"}

    jana = by_author["Jana"]
    assert jana["external_id"] == "https://shop.example/p/1#review-a"
    assert jana["text"] == "Pünktlich\n\nMeistens pünktlich, gutes WLAN."
    assert jana["published_at"] == datetime(2026, 11, 22, 8, tzinfo=UTC).isoformat()
    assert jana["raw"]["rating"] == 4 and jana["raw"]["best_rating"] == 5
    assert jana["raw"]["item_reviewed"] == "Nordbahn Jahreskarte"
    assert jana["raw"]["format"] == "json-ld"

    tom = by_author["Tom"]  # no @id, no url: a content hash
    assert tom["external_id"].startswith("sha1:")
    assert tom["text"] == "Zu teuer."
    assert tom["raw"]["rating"] == 3.0 and tom["raw"]["best_rating"] is None
    assert tom["url"] == f"{server.url}/p/1"

    ole = by_author["Ole"]  # inside @graph, relative @id made absolute
    assert ole["external_id"] == f"{server.url}/p/1#r-graph"
    assert ole["raw"]["item_reviewed"] == "Reisezentrum Hbf"

    mika = by_author["Mika"]  # microdata, date in dotted form
    assert mika["text"] == "Absturz beim Start\n\nSeit dem Update stürzt sie ab."
    assert mika["published_at"] == datetime(2026, 11, 19, tzinfo=UTC).isoformat()
    assert mika["raw"] | {"rating": 1.0, "best_rating": 5.0} == mika["raw"]
    assert mika["raw"]["item_reviewed"] == "Nordbahn App"
    assert mika["raw"]["format"] == "microdata"

    # The broken block costs itself only.
    assert len(page.errors) == 1 and "JSON-LD block 2 is not valid JSON" in page.errors[0]
    assert_valid(page.items)


def test_second_poll_returns_only_new_reviews():
    review_c = {**REVIEW_B, "author": "Ines", "reviewBody": "Neu: Sitzplätze!"}
    with ReplayServer() as server:
        server.add("GET", "/p/1", body=page_html([REVIEW_A, REVIEW_B]), headers=HTML)
        server.add("GET", "/p/1", body=page_html([REVIEW_A, REVIEW_B]), headers=HTML)
        server.add("GET", "/p/1", body=page_html([review_c, REVIEW_A, REVIEW_B]), headers=HTML)
        reviews = connector(f"{server.url}/p/1")
        first = reviews.fetch({})
        second = reviews.fetch(first.cursor)
        third = reviews.fetch(second.cursor)
    assert len(first.items) == 4
    assert second.items == []
    assert [item["author"]["handle"] for item in third.items] == ["Ines"]
    seen = third.cursor["seen"][f"{server.url}/p/1"]
    assert len(seen) == 5 and all(isinstance(h, str) and len(h) == 16 for h in seen)


def test_backfill_returns_everything_on_the_page_again():
    with ReplayServer() as server:
        server.add("GET", "/p/1", body=page_html([REVIEW_A]), headers=HTML)
        reviews = connector(f"{server.url}/p/1")
        first = reviews.fetch({})
        again = reviews.fetch(first.cursor, FetchWindow())
    assert len(again.items) == len(first.items) == 3
    assert not again.has_more


def test_cursor_is_capped_and_ignores_garbage():
    hashes = [f"{n:016x}" for n in range(MAX_SEEN + 100)]
    with ReplayServer() as server:
        server.add("GET", "/p/1", body=page_html([REVIEW_A]), headers=HTML)
        url = f"{server.url}/p/1"
        page = connector(url).fetch({"seen": {url: hashes, "https://gone.example/": ["x"]}})
        junk = connector(url).fetch({"seen": {url: "not a list"}})
        junk2 = connector(url).fetch({"seen": ["not", "a", "dict"]})
    assert len(page.cursor["seen"][url]) == MAX_SEEN
    assert list(page.cursor["seen"]) == [url]
    assert len(junk.items) == len(junk2.items) == 3


def test_reviews_sharing_one_url_or_repeated_get_their_own_ids_once():
    """Shops often give every review the product page as `url`; carousels repeat reviews."""
    card = """<div itemprop="review" itemscope itemtype="http://schema.org/Review">
      <span itemprop="url" content="/p/1#reviews"></span><span itemprop="author">{a}</span>
      <span itemprop="description">{t}</span></div>"""
    body = (
        '<div itemscope itemtype="http://schema.org/Product"><span itemprop="name">Bahn</span>'
        + card.format(a="A", t="gut")
        + card.format(a="B", t="schlecht")
        + card.format(a="A", t="gut")  # a slick-cloned copy
        + "</div>"
    )
    with ReplayServer() as server:
        server.add("GET", "/p/1", body=body, headers=HTML)
        page = connector(f"{server.url}/p/1").fetch({})
    assert [item["text"] for item in page.items] == ["gut", "schlecht"]
    assert all(item["external_id"].startswith("sha1:") for item in page.items)
    assert page.items[0]["url"] == f"{server.url}/p/1#reviews"


def test_rate_limits_server_errors_and_partial_failures():
    with ReplayServer() as server:
        server.add("GET", "/limited", status=429, headers={"Retry-After": "90"})
        server.add("GET", "/down", status=500)
        server.add("GET", "/ok", body=page_html([REVIEW_A]), headers=HTML)
        with pytest.raises(RateLimited) as info:
            connector(f"{server.url}/limited").fetch({})
        assert info.value.retry_after == 90
        with pytest.raises(ConnectorError, match="500"):
            connector(f"{server.url}/down").fetch({})
        mixed = connector(f"{server.url}/down", f"{server.url}/ok").fetch(
            {"seen": {f"{server.url}/down": ["0123456789abcdef"]}}
        )
    assert len(mixed.items) == 3
    assert any("500" in error for error in mixed.errors)
    assert mixed.cursor["seen"][f"{server.url}/down"] == ["0123456789abcdef"]


def test_garbage_and_empty_pages_yield_nothing_without_crashing():
    with ReplayServer() as server:
        server.add("GET", "/garbage", body=b"\x00\xff<<<\x89PNG not html <![ weird [")
        server.add("GET", "/empty", body=b"")
        page = connector(f"{server.url}/garbage", f"{server.url}/empty").fetch({})
    assert page.items == []


def test_hostile_values_are_tolerated():
    hostile = """<script type="application/ld+json">[
      {"@type": "Review", "reviewBody": "nan", "reviewRating": {"ratingValue": NaN}},
      {"@type": ["Review"], "reviewBody": "inf", "reviewRating": {"ratingValue": Infinity},
       "author": [{"name": ["Ada"]}], "datePublished": "2026-02-30", "url": "javascript:x()"},
      {"@type": "Review", "reviewBody": "big", "reviewRating": 1e999, "@id": 5},
      {"@type": "Review"}
    ]</script>"""
    with ReplayServer() as server:
        server.add("GET", "/p", body=hostile, headers=HTML)
        page = connector(f"{server.url}/p").fetch({})
    assert [item["text"] for item in page.items] == ["nan", "inf", "big"]
    assert all(item["raw"]["rating"] is None for item in page.items)
    assert page.items[1]["author"]["handle"] == "Ada"
    assert page.items[1]["url"] == f"{server.url}/p"
    json.dumps([item["raw"] for item in page.items], allow_nan=False)
    assert_valid(page.items)


def test_pathological_markup_finishes_quickly():
    nested = '<div itemscope itemtype="https://schema.org/Review">' + (
        '<span itemprop="reviewBody">x' * 20_000
    )
    deep_json = '<script type="application/ld+json">' + "[" * 100_000 + "</script>"
    started = time.monotonic()
    found, _ = reviews_extract(nested, page_url="https://x.example/")
    _, errors = reviews_extract(deep_json, page_url="https://x.example/")
    assert time.monotonic() - started < 3
    assert len(found) == 1
    assert errors and "not valid JSON" in errors[0]


def test_config_is_validated():
    assert ReviewsConnector.validate_config(
        {"urls": "https://a.example/1 https://a.example/1"}
    ) == {"urls": ["https://a.example/1"]}
    bad_configs: list[dict] = [{}, {"urls": []}, {"urls": ["ftp://x"]}, {"urls": 5}]
    for bad in bad_configs:
        with pytest.raises(ConfigError):
            ReviewsConnector.validate_config(bad)


# --- recordings --------------------------------------------------------------------------


def recorded(name: str) -> bytes:
    content = (REVIEWS / name).read_bytes()
    return gzip.decompress(content) if name.endswith(".gz") else content


def fetch_recorded(name: str, cursor: dict | None = None, *, headers: dict | None = None):
    with ReplayServer() as server:
        server.add(
            "GET", "/page", body=recorded(name), headers=HTML if headers is None else headers
        )
        page = connector(f"{server.url}/page").fetch(cursor or {})
    return page, f"{server.url}/page"


@needs_recordings
@pytest.mark.parametrize(
    "name", sorted(path.name for path in REVIEWS.glob("*")) if REVIEWS.exists() else []
)
def test_every_recorded_page_is_read_cleanly_and_quickly(name):
    started = time.monotonic()
    page, _ = fetch_recorded(name, headers={"Content-Type": "text/html"})
    assert time.monotonic() - started < 3
    assert_valid(page.items)
    assert len({item["external_id"] for item in page.items}) == len(page.items)


@needs_recordings
def test_recorded_ikea_page_yields_its_twenty_reviews():
    page, _ = fetch_recorded(IKEA)
    assert len(page.items) == 20
    first = page.items[0]
    assert first["author"]["handle"] == "Ommy70"
    assert first["text"].startswith("My best friend\n\nI didn\u2019t even know this bear existed")
    assert first["raw"]["rating"] == 5
    assert first["raw"]["item_reviewed"] == "DJUNGELSKOG Soft toy - brown bear"
    assert page.errors == []


@needs_recordings
def test_recorded_eduscho_page_with_cdata_wrapped_json_ld_is_repaired():
    page, _ = fetch_recorded(EDUSCHO)
    assert len(page.items) == 5
    assert "Ute G." in {item["author"]["handle"] for item in page.items}
    assert {item["raw"]["item_reviewed"] for item in page.items} == {
        "Massivholz-Waschmaschinenregal"
    }
    assert all(item["raw"]["rating"] is None for item in page.items)


@needs_recordings
@pytest.mark.parametrize(
    ("name", "found", "distinct"),
    [("chefjeanpierre_1.testhtml", 24, 12), ("recept.testhtml", 10, 5), (TROIS_SUISSES, 26, 12)],
)
def test_recorded_repeated_reviews_are_delivered_once(name, found, distinct):
    assert len(reviews_extract(recorded(name).decode(), page_url="https://x.example/")[0]) == found
    page, _ = fetch_recorded(name)
    assert len(page.items) == distinct


@needs_recordings
def test_recorded_ten_point_scale_and_rating_only_reviews():
    page, _ = fetch_recorded(GETIT)
    assert len(page.items) == 9
    first = page.items[0]
    assert first["author"]["handle"] == "\u05d9.\u05e4"  # Hebrew initials
    assert first["raw"] | {"rating": 10.0, "best_rating": 10.0, "worst_rating": 1.0} == first["raw"]
    km = next(item for item in page.items if item["author"]["handle"] == "k.m")
    assert km["text"] == "Rating 9/10"  # an empty description
    assert km["published_at"] == datetime(2020, 12, 2, tzinfo=UTC).isoformat()


@needs_recordings
def test_recorded_leroy_merlin_microdata_with_shared_url_and_dotted_dates():
    page, url = fetch_recorded(LEROY_MERLIN)
    assert [item["author"]["handle"] for item in page.items] == ["płock", "Danielos303", "Paweł"]
    assert len({item["external_id"] for item in page.items}) == 3
    first = page.items[0]
    assert first["published_at"] == datetime(2020, 11, 6, tzinfo=UTC).isoformat()
    assert first["language"] == "pl"
    assert first["raw"]["rating"] == 4 and first["raw"]["best_rating"] == 5
    assert first["url"].startswith(url.rsplit("/", 1)[0] + "/ceramika-lazienkowa/")


@needs_recordings
def test_recorded_critic_review_on_a_hundred_point_scale():
    page, _ = fetch_recorded("pcgamer.com.darkest.html")
    (review,) = page.items
    assert review["author"]["handle"] == "Luke Kemp"
    assert review["raw"]["rating"] == 87 and review["raw"]["best_rating"] == 100
    assert review["text"].startswith("Through the Darkest of Times review\n\n")


@needs_recordings
@pytest.mark.parametrize(
    "name",
    ["pauladeen_1.testhtml", "culy_1.testhtml", "blank-file-header.xhtml", "infinite-loop.html"],
)
def test_recorded_pages_without_reviews_give_nothing(name):
    page, _ = fetch_recorded(name, headers={"Content-Type": "text/html"})
    assert page.items == []
    assert page.errors == []


@needs_recordings
def test_recorded_page_second_poll_is_empty_and_cursor_stays_bounded():
    with ReplayServer() as server:
        server.add("GET", "/page", body=recorded("realmomnutrition_1.testhtml"), headers=HTML)
        reviews = connector(f"{server.url}/page")
        page = reviews.fetch({})
        again = reviews.fetch(page.cursor)
    assert len(page.items) == 100
    assert sum(1 for item in page.items if item["text"].startswith("Rating ")) > 50
    assert again.items == []
    assert len(json.dumps(again.cursor)) < 20 * MAX_SEEN + 200


def test_page_without_http_charset_is_decoded_from_its_meta_charset():
    body = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'
        '<script type="application/ld+json">{"@type": "Review", "author": "J\u00fcrgen",'
        ' "reviewBody": "Sch\u00f6ne Gr\u00fc\u00dfe"}</script></head>'
        '<body><div itemscope itemtype="https://schema.org/Review">'
        '<span itemprop="author">Bj\u00f6rn</span><p itemprop="reviewBody">Gr\u00fc\u00dfe</p>'
        "</div></body></html>"
    ).encode("latin-1")
    with ReplayServer() as server:
        server.add("GET", "/page", body=body, headers={"Content-Type": "text/html"})
        page = connector(f"{server.url}/page").fetch({})
    assert [(i["author"]["handle"], i["text"]) for i in page.items] == [
        ("Jürgen", "Schöne Grüße"),
        ("Björn", "Grüße"),
    ]


@needs_recordings
def test_recorded_reader_comment_marked_up_as_a_review():
    with ReplayServer() as server:
        server.add("GET", "/page", body=recorded("madame.lefigaro.fr.dintestin.html"))
        page = connector(f"{server.url}/page").fetch({})
    (review,) = page.items
    assert review["author"]["handle"] == "link78"
    assert review["text"].startswith("Manger du quinoa ? mais les anciens n'en mangeaient pas")
    assert review["raw"]["item_reviewed"].startswith("Les clés pour donner")


def test_the_connector_registers_itself():
    assert connector_class("reviews") is ReviewsConnector
    assert ReviewsConnector.kind == ReviewsConnector.network == "reviews"
