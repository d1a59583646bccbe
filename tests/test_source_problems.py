"""A dead source says what is wrong in plain language; the raw error stays in the details."""

from __future__ import annotations

import itertools
import socket
import ssl

import httpcore
import httpx
import pytest
from django.db import connection

from sources.connectors import ConnectorError, RateLimited
from sources.connectors.http import BlockedAddress, SafeHttpClient, address_resolve_public
from sources.models import Source
from sources.services.polling import source_create_polled, source_poll
from sources.services.problems import source_problem_explain
from tests.conftest import web_client

URL = "https://feed.example/rss"


def chained(*errors: BaseException) -> BaseException:
    """errors[0] raised from errors[1] raised from ... (as httpx wraps httpcore wraps socket)."""
    for outer, inner in itertools.pairwise(errors):
        outer.__cause__ = inner
    return errors[0]


def connect_failure(cause: BaseException) -> BaseException:
    """What SafeHttpClient raises when the connection fails underneath."""
    return chained(
        ConnectorError(f"{URL} failed: {cause}"),
        httpx.ConnectError(str(cause)),
        httpcore.ConnectError(str(cause)),
        cause,
    )


def test_an_address_that_does_not_exist():
    error = connect_failure(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    problem = source_problem_explain(error=error, kind="rss")
    assert problem.kind == "dns"
    assert problem.message == "The address feed.example does not exist."
    assert problem.detail == f"{URL} failed: [Errno -2] Name or service not known"


def test_a_name_lookup_that_fails_for_now_is_not_called_missing():
    error = connect_failure(socket.gaierror(socket.EAI_AGAIN, "Temporary failure"))
    problem = source_problem_explain(error=error)
    assert problem.kind == "dns" and "could not be looked up" in problem.message


def test_an_address_refused_by_the_pinned_resolver_names_the_host():
    """Without private networks allowed, resolution happens in Lotse's own resolver."""
    error = chained(
        ConnectorError("Cannot resolve feed.example: Name or service not known"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
    )
    assert source_problem_explain(error=error).message == "The address feed.example does not exist."


def test_a_refused_connection_really_made():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    with pytest.raises(ConnectorError) as info, SafeHttpClient(allow_private=True) as http:
        http.get(f"http://127.0.0.1:{port}/feed")
    problem = source_problem_explain(error=info.value, kind="rss")
    assert problem.kind == "refused"
    assert problem.message == "The server 127.0.0.1 refused the connection."
    assert "Connection refused" in problem.detail


def test_a_server_that_does_not_answer_in_time():
    error = chained(
        ConnectorError(f"{URL} timed out"),
        httpx.ReadTimeout("The read operation timed out"),
        httpcore.ReadTimeout("The read operation timed out"),
        TimeoutError("The read operation timed out"),
    )
    problem = source_problem_explain(error=error, timeout_seconds=10)
    assert problem.kind == "timeout"
    assert problem.message == "The server feed.example did not answer within 10 s."
    assert problem.detail == f"{URL} timed out"


def test_a_certificate_that_is_not_valid():
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "certificate has expired"
    problem = source_problem_explain(error=connect_failure(cause))
    assert problem.kind == "tls"
    assert problem.message == (
        "The secure connection to feed.example failed: its certificate is not valid "
        "(certificate has expired)."
    )


def test_another_tls_failure():
    cause = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    problem = source_problem_explain(error=connect_failure(cause))
    assert (problem.kind, problem.message) == (
        "tls",
        "The secure connection (TLS) to feed.example failed.",
    )


@pytest.mark.parametrize(
    ("status", "kind", "message"),
    [
        (404, "rss", "The feed answered 404 Not Found: check the address."),
        (
            401,
            "mastodon",
            "The server answered 401 Unauthorized: check the access token or credentials.",
        ),
        (
            503,
            "rss",
            "The feed answered 503 Service Unavailable: the server has a problem; "
            "Lotse tries again later.",
        ),
        (418, "reviews", "The review page answered 418 I'm a Teapot."),
        (499, "rss", "The feed answered 499."),
    ],
)
def test_an_http_status(status, kind, message):
    problem = source_problem_explain(error=ConnectorError(f"{URL} answered {status}"), kind=kind)
    assert (problem.kind, problem.message) == ("http", message)


def test_something_that_is_not_a_feed():
    error = ConnectorError(f"{URL} is not a readable feed: not well-formed (invalid token)")
    problem = source_problem_explain(error=error, kind="rss")
    assert problem.kind == "not_a_feed"
    assert problem.message == "feed.example answered, but what it sent is not an RSS or Atom feed."
    assert "not well-formed" in problem.detail


def test_a_private_address_is_blocked():
    with pytest.raises(BlockedAddress) as info:
        address_resolve_public("127.0.0.1", 80)
    problem = source_problem_explain(error=info.value, url="http://127.0.0.1/feed")
    assert problem.kind == "blocked"
    assert problem.message == (
        "The address 127.0.0.1 points into a private or local network; "
        "Lotse reads only public addresses."
    )


def test_a_rate_limit_says_when_the_next_try_is():
    problem = source_problem_explain(error=RateLimited(600, url=URL))
    assert problem.kind == "rate_limited" and "next try is in 600 s" in problem.message


def test_an_error_stored_as_text_only_is_explained_too():
    problem = source_problem_explain(error=f"{URL} failed: [Errno -2] Name or service not known")
    assert problem.message == "The address feed.example does not exist."


def test_an_unknown_error_still_names_the_address_and_keeps_the_raw_text():
    problem = source_problem_explain(error=ConnectorError("something odd"), url=URL)
    assert (problem.kind, problem.message, problem.detail) == (
        "unknown",
        "feed.example could not be read.",
        "something odd",
    )


@pytest.mark.django_db
def test_a_dead_feed_shows_a_sentence_and_the_raw_error_in_details(world, in_acme):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    source = source_create_polled(
        kind="rss", name="Dead feed", config={"url": f"http://127.0.0.1:{port}/feed"}
    )
    outcome = source_poll(source_id=source.pk)
    assert outcome.problem.kind == "refused"
    source = Source.objects.get(pk=source.pk)
    assert source.last_error == "The server 127.0.0.1 refused the connection."
    assert "Connection refused" in source.last_error_detail
    assert source.last_error_detail == outcome.error
    connection.set_schema_to_public()
    page = web_client(world.acme, world.alice).get("/sources/").content.decode()
    assert "The server 127.0.0.1 refused the connection." in page
    assert '<details class="error-detail"><summary>Details</summary>' in page
    assert "Connection refused" in page


@pytest.mark.django_db
def test_an_error_stored_before_it_was_explained_is_explained_on_the_page(world, in_acme):
    source = source_create_polled(kind="rss", name="Old feed", config={"url": URL})
    Source.objects.filter(pk=source.pk).update(
        last_error=f"{URL} failed: [Errno -2] Name or service not known",
        consecutive_failures=1,
    )
    connection.set_schema_to_public()
    page = web_client(world.acme, world.alice).get("/sources/").content.decode()
    assert '<span class="source-error">The address feed.example does not exist.</span>' in page
    assert "<code>https://feed.example/rss failed: [Errno -2] Name or service not known" in page
