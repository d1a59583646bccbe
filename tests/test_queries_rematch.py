"""Matching existing mentions against the listening queries after the upgrade that added
`Mention.matched_queries`: the migration leaves it empty, `manage.py queries_rematch`
queues the rematch per client (or runs it with --now, printing progress), and share of
voice says how far a running rematch is."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from mentions.models import Author, Mention
from mentions.queries import RematchProgress, mentions_queries_rematch
from reports import figures
from reports.figures import Period, Slice
from sources.services.queries import listening_query_save
from tests.conftest import api_client

DAY = datetime(2026, 5, 10, 10, 0, tzinfo=UTC)


def mentions_from_before_the_upgrade(source, texts: list[str]) -> None:
    """Rows as the migration leaves them: no query matched yet."""
    author, _ = Author.objects.get_or_create(network="test", handle="someone")
    for n, text in enumerate(texts):
        Mention.objects.create(
            source=source,
            external_id=f"rematch-{n}",
            text=text,
            published_at=DAY,
            received_at=DAY,
            author=author,
        )


def brand_and_rival() -> None:
    listening_query_save(name="Acme", expression="acme", role="brand", rematch=False)
    listening_query_save(name="Rival", expression="rivalco", role="competitor", rematch=False)


def voice(world) -> dict:
    api = api_client(world.acme, world.acme.read_token)
    return api.get("/api/v1/reports/share-of-voice?from=2026-05-10&to=2026-05-10").json()


@pytest.mark.django_db
def test_rematch_command_now_counts_share_of_voice_of_mentions_from_before_the_upgrade(
    world, in_acme
):
    mentions_from_before_the_upgrade(
        world.acme.source, ["acme is late", "Acme again", "rivalco is cheaper", "nothing"]
    )
    brand_and_rival()
    assert (voice(world)["brand"], voice(world)["competitors"]) == (0, 0)
    out = io.StringIO()
    call_command("queries_rematch", "--now", "--client", "c_acme", stdout=out)
    assert "c_acme: 4 of 4 mentions checked, 3 changed" in out.getvalue()
    assert "c_acme: done, 3 mentions changed" in out.getvalue()
    body = voice(world)
    assert (body["brand"], body["competitors"], body["brand_share"]) == (2, 1, 2 / 3)
    assert body["matching"] is None
    # Run again, nothing changes and nothing is counted twice.
    call_command("queries_rematch", "--now", "--client", "c_acme", stdout=io.StringIO())
    assert (voice(world)["brand"], voice(world)["competitors"]) == (2, 1)


@pytest.mark.django_db
def test_rematch_command_queues_one_rematch_per_active_client(world, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "mentions.management.commands.queries_rematch.task_send",
        lambda *args: sent.append(args),
    )
    call_command("queries_rematch", stdout=io.StringIO())
    assert ("mentions.queries_rematch", "c_acme") in sent
    assert ("mentions.queries_rematch", "c_globex") in sent
    assert {name for name, _ in sent} == {"mentions.queries_rematch"}
    assert len(sent) == len({schema for _, schema in sent})


@pytest.mark.django_db
def test_rematch_command_refuses_an_unknown_client(world):
    with pytest.raises(CommandError, match="c_nobody"):
        call_command("queries_rematch", "--client", "c_nobody", stdout=io.StringIO())


@pytest.mark.django_db
def test_share_of_voice_says_how_far_a_running_rematch_is(world, in_acme):
    mentions_from_before_the_upgrade(world.acme.source, ["acme", "acme too", "rivalco"])
    brand_and_rival()
    period = Period(DAY.date(), DAY.date(), ZoneInfo("UTC"))
    seen: list[tuple[RematchProgress | None, int]] = []

    def report(progress: RematchProgress) -> None:
        found = figures.share_of_voice(period=period, slice_=Slice())
        seen.append((found.matching, found.role_total("brand")))

    assert mentions_queries_rematch(chunk=1, report=report) == 3
    assert seen == [
        ({"done": 1, "total": 3, "changed": 1}, 1),
        ({"done": 2, "total": 3, "changed": 2}, 2),
        ({"done": 3, "total": 3, "changed": 3}, 2),
    ]
    assert figures.share_of_voice(period=period, slice_=Slice()).matching is None
