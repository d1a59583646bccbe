"""Search and the filtered inbox at 1,000,000 mentions in one client: p50/p95 per request.

    LOTSE_DB_NAME=lotse_bench_inbox .venv/bin/python bench/inbox.py [--count 1000000]

Seeds like `bench/inbox_scale.py` (the same database and client; 2,000 real triaged
mentions multiplied in SQL, their `search` vectors copied with them, then VACUUM ANALYZE),
then times in process through Django's test client (no network), one request at a time:
the mentions API and the HTML inbox with searches (plain words, German stems, umlauts
spelled out, hashtags, the query language, phrases, prefixes, NEAR, authors; common and
rare), and the inbox filtered and sorted. Target (issue 13): p95 under 150 ms each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import inbox_scale  # creates and migrates the database, sets Django up

SLUG, _seed, _time = inbox_scale.SLUG, inbox_scale._seed, inbox_scale._time

from django.test import Client as WebClient
from django_tenants.utils import schema_context, tenant_context

from mentions.models import Mention
from routing.models import RoutingRule

TARGET_MS = 150


def _searches() -> list[tuple[str, str]]:
    return [
        ("word, common (app)", "app"),
        ("word, German stem (Verspätungen)", "Verspätungen"),
        ("umlaut spelled out (verspaetung)", "verspaetung"),
        ("two plain words", "Login Fehlermeldung"),
        ("query language", '"app" AND login NOT spam lang:de'),
        ("OR and NOT", "(gleis OR bahnsteig) -app"),
        ("phrase", '"zeigt beim login"'),
        ("prefix", "verspät*"),
        ("NEAR", "app NEAR/3 login"),
        ("hashtag", "#nordbahn"),
        ("author field", "author:a*"),
        ("rare word", "Flughafen"),
        ("nothing matches", "zzzxqy"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--fresh", action="store_true", help="drop the bench client first")
    args = parser.parse_args()
    client = _seed(args.count, args.fresh)
    with tenant_context(client):
        total = Mention.objects.count()
        busiest = (
            RoutingRule.objects.filter(is_default=True)
            .values_list("department__slug", flat=True)
            .first()
            or "customer-care"
        )
    with schema_context("public"):
        web = WebClient(HTTP_HOST=f"{SLUG}.localhost")
        web.force_login(client.memberships.get(user__email="bench@inbox.localhost").user)
    pages: list[tuple[str, str]] = []
    for label, q in _searches():
        pages.append((f"API search: {label}", "/api/v1/mentions/?" + urlencode({"q": q})))
    for label, q in _searches()[:5]:
        pages.append((f"inbox search, all: {label}", "/?" + urlencode({"q": q, "status": "all"})))
        pages.append((f"inbox search, open: {label}", "/?" + urlencode({"q": q})))
    pages += [
        ("API, status new", "/api/v1/mentions/?status=new"),
        (f"API, department {busiest}", f"/api/v1/mentions/?department={busiest}"),
        ("API, language en, negative", "/api/v1/mentions/?language=en&sentiment=negative"),
        ("API, open by SLA due", "/api/v1/mentions/?status=new&sort=sla"),
        ("API, new by priority", "/api/v1/mentions/?status=new&sort=priority"),
        ("API, new by influence", "/api/v1/mentions/?status=new&sort=influence"),
        ("API, search + department", f"/api/v1/mentions/?q=app&department={busiest}"),
        ("inbox, open", "/"),
        ("inbox, open by SLA due", "/?sort=sla"),
        ("inbox, open by priority", "/?sort=priority"),
        (f"inbox, department {busiest}", f"/?department={busiest}&status=all"),
        ("inbox, all, oldest first", "/?status=all&sort=oldest"),
    ]
    print(f"{total:,} mentions in {SLUG}; {args.rounds} requests each, one client (ms)")
    worst = 0.0
    for label, url in pages:
        times, _cpu = _time(web, url, args.rounds)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        worst = max(worst, p95)
        print(f"{label:<58} p50 {statistics.median(times):7.1f}  p95 {p95:7.1f}")
    verdict = "met" if worst < TARGET_MS else "NOT met"
    print(f"worst p95 {worst:.1f} ms; target p95 < {TARGET_MS} ms {verdict}")


if __name__ == "__main__":
    main()
