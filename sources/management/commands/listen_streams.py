"""Listen to every streaming source (Mastodon streaming API, Bluesky Jetstream) and store
what arrives, until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from accounts.models import Client
from sources.streaming import (
    BACKOFF_MAX_SECONDS,
    FLUSH_ITEMS,
    FLUSH_SECONDS,
    RESCAN_SECONDS,
    StreamListener,
    streams_run,
)


class Command(BaseCommand):
    help = (
        "Listen to the streaming sources of all clients (or one): Mastodon sources with "
        "streaming on, Bluesky sources with a Jetstream address. Items are filtered by each "
        "client's listening queries and stored in small batches. Re-scans for new, changed "
        "or disabled sources every minute; Ctrl-C stops after a last flush."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client", metavar="SLUG", help="only this client's sources")
        parser.add_argument(
            "--once-for",
            type=float,
            metavar="SECONDS",
            default=None,
            help="stop after this many seconds (default: run until Ctrl-C)",
        )
        parser.add_argument(
            "--rescan",
            type=float,
            metavar="SECONDS",
            default=RESCAN_SECONDS,
            help=f"look for new or disabled sources this often (default {RESCAN_SECONDS:g})",
        )
        parser.add_argument(
            "--flush-items",
            type=int,
            default=FLUSH_ITEMS,
            help=f"store after this many items (default {FLUSH_ITEMS})",
        )
        parser.add_argument(
            "--flush-seconds",
            type=float,
            default=FLUSH_SECONDS,
            help=f"or after this many seconds (default {FLUSH_SECONDS:g})",
        )
        parser.add_argument(
            "--max-backoff",
            type=float,
            default=BACKOFF_MAX_SECONDS,
            help=f"longest wait before reconnecting (default {BACKOFF_MAX_SECONDS:g} s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug: str | None = options["client"]
        once_for: float | None = options["once_for"]
        if once_for is not None and once_for <= 0:
            raise CommandError("--once-for must be positive")
        if options["rescan"] <= 0 or options["flush_items"] < 1 or options["flush_seconds"] <= 0:
            raise CommandError("--rescan, --flush-items and --flush-seconds must be positive")
        if (
            slug
            and not Client.objects.exclude(schema_name=get_public_schema_name())
            .filter(slug=slug)
            .exists()
        ):
            raise CommandError(f"No client {slug!r}")
        # One line per connect, disconnect and flush is ours to print; keep the libraries quiet.
        for name in ("httpx", "httpcore", "websockets"):
            logging.getLogger(name).setLevel(logging.WARNING)
        scope = f"client {slug}" if slug else "all clients"
        until = f"for {once_for:g} s" if once_for else "until Ctrl-C"
        self._write(f"Listening to streaming sources of {scope} {until}.")
        listeners = asyncio.run(
            self._main(
                slug=slug,
                once_for=once_for,
                rescan=options["rescan"],
                flush_items=options["flush_items"],
                flush_seconds=options["flush_seconds"],
                backoff_max=options["max_backoff"],
            )
        )
        stored = sum(listener.stats.stored for listener in listeners)
        failures = sum(listener.stats.failures for listener in listeners)
        self._write(
            self.style.SUCCESS(
                f"Stopped: {len(listeners)} listener(s), {stored} new mention(s) stored, "
                f"{failures} disconnect(s) with errors."
            )
        )

    async def _main(
        self,
        *,
        slug: str | None,
        once_for: float | None,
        rescan: float,
        flush_items: int,
        flush_seconds: float,
        backoff_max: float,
    ) -> list[StreamListener]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signum, self._stop, stop)
                    installed.append(signum)
        try:
            return await streams_run(
                client_slug=slug,
                duration=once_for,
                rescan_seconds=rescan,
                stop=stop,
                log=self._write,
                flush_items=flush_items,
                flush_seconds=flush_seconds,
                backoff_max=backoff_max,
            )
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)

    def _stop(self, stop: asyncio.Event) -> None:
        if not stop.is_set():
            self._write("Stopping (storing what has arrived)…")
        stop.set()

    def _write(self, message: str) -> None:
        self.stdout.write(f"{timezone.localtime().strftime('%H:%M:%S')}  {message}")
