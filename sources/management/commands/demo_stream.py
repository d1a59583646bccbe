"""Feed the demo clients' "Demo stream" sources with made-up mentions over real HTTP, and
run the demo network those mentions come from (where replies sent from Lotse land)."""

from __future__ import annotations

import json
import logging
import random
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Client
from accounts.services import client_domain
from mentions.models import Mention
from sources.demo_content import DEMO_CLIENTS, demo_hourly_rate, demo_mention
from sources.demo_network import DemoNetworkServer, DemoNetworkStore
from sources.models import BatchStatus, IngestBatch, Source, SourceKind
from sources.services import SIGNATURE_HEADER, signature_compute

DEMO_SOURCE_NAME = "Demo stream"
RETRY_SECONDS = 2.0
# Backlog mentions are spread over this many past minutes, so the inbox does not start
# with thirty posts of the same second.
BACKLOG_SPREAD_MINUTES = 240
# Now and then a push carries two or three mentions.
MULTI_SHARE = 0.15
MEAN_PUSH_SIZE = 1 + MULTI_SHARE * 1.5
# However quiet the hour, say something at least this often.
LONGEST_WAIT_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class Target:
    slug: str
    source_id: int
    secret: str
    host: str
    known: int  # mentions stored or waiting in unfinished batches when the command started
    zone: ZoneInfo


class Command(BaseCommand):
    help = (
        "Push made-up mentions to the demo clients' 'Demo stream' sources, signed, over "
        "HTTP, like an integrator would: first a backlog for clients with few mentions, then "
        "one mention (now and then two or three) at the pace of each client's usual "
        "traffic. Each is first posted on the demo network this command serves "
        "(settings.LOTSE_DEMO_NETWORK_URL), where replies sent from Lotse land. Needs "
        "`demo_setup` and a running web server; a Celery worker stores what arrives."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="where the web server listens (default http://127.0.0.1:8000); the client "
            "is chosen by the Host header",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="mean seconds between pushes, varied by ±50 %%. Default: each client's "
            "usual traffic for its local hour and weekday (the level its back history "
            "ends at, about one mention a minute in the day), so the spike detector does "
            "not take the demo for a crisis",
        )
        parser.add_argument(
            "--backlog",
            type=int,
            default=30,
            help="push this many mentions at once to each client that has fewer (default 30; "
            "0 skips the backlog)",
        )
        parser.add_argument(
            "--count",
            type=int,
            default=0,
            help="stop after this many pushes after the backlog (default 0: run until Ctrl-C)",
        )
        parser.add_argument("--seed", type=int, default=None, help="seed for repeatable text")
        parser.add_argument(
            "--no-network",
            action="store_true",
            help="do not serve the demo network (another process serves it)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval: float | None = options["interval"]
        backlog: int = min(options["backlog"], settings.LOTSE_MAX_BATCH)
        count: int = options["count"]
        if (interval is not None and interval < 0) or backlog < 0 or count < 0:
            raise CommandError("--interval, --backlog and --count must not be negative")
        base_url = httpx.URL(options["base_url"])
        if base_url.scheme not in ("http", "https") or not base_url.host:
            raise CommandError(f"--base-url must be an http(s) URL, not {options['base_url']!r}")
        port = base_url.port
        self.rng = random.Random(options["seed"])
        # One line per push is ours to print; httpx would log every request again.
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
        targets = self._targets(port=port)
        self.pushes = 0
        self.sent = 0
        self.network_url = str(settings.LOTSE_DEMO_NETWORK_URL)
        self.store: DemoNetworkStore | None = None
        with ExitStack() as stack:
            if not options["no_network"]:
                self._network_start(stack)
            self._stream(base_url, targets, backlog=backlog, interval=interval, count=count)

    def _network_start(self, stack: ExitStack) -> None:
        address = httpx.URL(self.network_url)
        store = DemoNetworkStore(settings.LOTSE_DEMO_NETWORK_FILE)
        try:
            stack.enter_context(
                DemoNetworkServer(store, host=address.host or "127.0.0.1", port=address.port or 80)
            )
        except OSError as exc:
            self.stdout.write(
                self.style.WARNING(
                    f"Cannot serve the demo network on {self.network_url} ({exc}); mentions "
                    "are pushed, but replies to them cannot be delivered by this process."
                )
            )
            return
        self.store = store
        self.stdout.write(f"Demo network on {self.network_url}/ (where replies from Lotse land)")

    def _stream(
        self,
        base_url: httpx.URL,
        targets: list[Target],
        *,
        backlog: int,
        interval: float | None,
        count: int,
    ) -> None:
        self.stdout.write(
            f"Streaming demo mentions to {base_url} for {', '.join(t.slug for t in targets)}. "
            "Ctrl-C stops."
        )
        try:
            with httpx.Client(base_url=base_url, timeout=15.0) as http:
                for target in targets:
                    if backlog and target.known < backlog:
                        self._push(http, target, backlog, label="backlog")
                while not count or self.pushes < count:
                    wait, target = self._next(targets, interval=interval)
                    time.sleep(wait)
                    size = self.rng.randint(2, 3) if self.rng.random() < MULTI_SHARE else 1
                    self._push(http, target, size, label="live")
                    self.pushes += 1
        except KeyboardInterrupt:
            self.stdout.write("")
            self.stdout.write(f"Stopped after {self._summary()}.")
            return
        self.stdout.write(self.style.SUCCESS(f"Done: {self._summary()}."))

    def _next(self, targets: list[Target], *, interval: float | None) -> tuple[float, Target]:
        """How long to wait for the next push, and to whom."""
        if interval is not None:
            return interval * self.rng.uniform(0.5, 1.5), self.rng.choice(targets)
        now = timezone.now()
        # Pushes per second for each client at its local time: a Poisson stream.
        rates = [
            demo_hourly_rate(now.astimezone(target.zone)) / 3600 / MEAN_PUSH_SIZE
            for target in targets
        ]
        wait = min(LONGEST_WAIT_SECONDS, self.rng.expovariate(sum(rates)))
        return wait, self.rng.choices(targets, weights=rates)[0]

    def _summary(self) -> str:
        pushes = "push" if self.pushes == 1 else "pushes"
        mentions = "mention" if self.sent == 1 else "mentions"
        return f"{self.pushes} live {pushes}, {self.sent} {mentions} sent in all"

    def _targets(self, *, port: int | None) -> list[Target]:
        targets: list[Target] = []
        for slug in DEMO_CLIENTS:
            client = Client.objects.filter(slug=slug).first()
            if client is None:
                self.stdout.write(self.style.WARNING(f"No client {slug!r}; skipped."))
                continue
            with tenant_context(client):
                source = Source.objects.filter(
                    name=DEMO_SOURCE_NAME, kind__in=(SourceKind.DEMO, SourceKind.WEBHOOK)
                ).first()
                if source is None or not source.secret:
                    self.stdout.write(
                        self.style.WARNING(f"{slug}: no demo source {DEMO_SOURCE_NAME!r}.")
                    )
                    continue
                if not source.enabled:
                    self.stdout.write(
                        self.style.WARNING(f"{slug}: source {DEMO_SOURCE_NAME!r} is disabled.")
                    )
                    continue
                waiting = (
                    IngestBatch.objects.filter(source=source)
                    .exclude(status=BatchStatus.DONE)
                    .aggregate(total=Sum("received"))["total"]
                )
                known = Mention.objects.count() + (waiting or 0)
            host = client_domain(slug) + (f":{port}" if port else "")
            targets.append(
                Target(
                    slug=slug,
                    source_id=source.pk,
                    secret=source.secret,
                    host=host,
                    known=known,
                    zone=ZoneInfo(client.time_zone),
                )
            )
        if not targets:
            raise CommandError("No demo client is ready; run `manage.py demo_setup` first.")
        return targets

    def _push(self, http: httpx.Client, target: Target, size: int, *, label: str) -> None:
        now = timezone.now()
        mentions = [
            self._posted(demo_mention(client_slug=target.slug, rng=self.rng, now=now_or_then))
            for now_or_then in (self._when(now, label) for _ in range(size))
        ]
        body = json.dumps({"mentions": mentions}, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Host": target.host,
            SIGNATURE_HEADER: signature_compute(secret=target.secret, body=body),
        }
        url = f"/api/v1/sources/{target.source_id}/mentions"
        waiting = False
        while True:
            try:
                response = http.post(url, content=body, headers=headers)
                break
            except httpx.TransportError as exc:
                if not waiting:
                    self.stdout.write(
                        self.style.WARNING(
                            f"Cannot reach {http.base_url} ({type(exc).__name__}); "
                            f"retrying every {RETRY_SECONDS:g} s…"
                        )
                    )
                    waiting = True
                time.sleep(RETRY_SECONDS)
        self.sent += size
        self.stdout.write(self._line(target, label, size, response))

    def _posted(self, mention: dict[str, Any]) -> dict[str, Any]:
        """The mention as a post on the demo network: it lives there, and its link opens it."""
        if self.store is None:
            return mention
        author = mention["author"]
        self.store.post_add(
            post_id=mention["external_id"],
            handle=author["handle"],
            name=author.get("name") or "",
            text=mention["text"],
            at=datetime.fromisoformat(mention["published_at"]),
        )
        url = f"{self.network_url}/@{author['handle']}/{mention['external_id']}"
        return {**mention, "url": url}

    def _when(self, now: datetime, label: str) -> datetime:
        if label != "backlog":
            return now
        return now - timedelta(minutes=self.rng.uniform(0, BACKLOG_SPREAD_MINUTES))

    def _line(self, target: Target, label: str, size: int, response: httpx.Response) -> str:
        stamp = timezone.localtime().strftime("%H:%M:%S")
        prefix = f"{stamp}  {label:<7}  {target.slug:<10}  {response.status_code}"
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code == 202 and isinstance(payload, dict):
            accepted = payload.get("accepted", 0)
            rejected = payload.get("rejected", 0)
            text = f"{prefix}  accepted {accepted}/{size}"
            if rejected:
                return self.style.WARNING(f"{text}, rejected {rejected}")
            return self.style.SUCCESS(text)
        error = payload.get("error") if isinstance(payload, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return self.style.ERROR(f"{prefix}  {message or response.reason_phrase}")
