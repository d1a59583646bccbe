"""Polled sources: create them, poll them on their interval, backfill date ranges.

A page and the cursor after it are stored in one transaction, so a crash or restart never
loses items nor fetches them twice. Network calls happen outside transactions; a lease on
the source row keeps two workers from polling the same source at once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Func, JSONField, Q, Value
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from config.celery import task_send
from config.errors import DomainError
from config.metrics import INGEST_CPU, POLL_ERRORS, metric_inc
from config.tenancy import current_schema
from mentions.pipeline import mentions_statistics_refresh, mentions_store
from sources import events
from sources.connectors import (
    ConfigError,
    Connector,
    ConnectorError,
    FetchPage,
    RateLimited,
    connector_class,
)
from sources.connectors.base import FetchWindow
from sources.connectors.http import SafeHttpClient
from sources.connectors.registry import connector_for_source
from sources.connectors.text import parse_iso
from sources.credentials import credentials_encrypt
from sources.formats import json_make_storable, mention_item_validate
from sources.models import PUSH_KINDS, BackfillJob, JobStatus, Source
from sources.services.problems import SourceProblem, source_problem_explain
from sources.services.queries import (
    ActiveQueries,
    item_query_document,
    listening_queries_active,
)

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_BACKOFF_SECONDS = 3600
MAX_BACKFILL_PAGES = 500


def source_create_polled(
    *,
    kind: str,
    name: str,
    config: dict[str, Any],
    credentials: dict[str, str] | None = None,
    poll_interval_seconds: int | None = None,
    apply_queries: bool = True,
) -> Source:
    try:
        cls = connector_class(kind)
    except KeyError as exc:
        raise DomainError(f"No connector for {kind!r}", fields={"kind": ["unknown"]}) from exc
    if not cls.pollable:
        raise DomainError(f"{cls.label} sources are not polled", fields={"kind": ["not polled"]})
    try:
        cleaned = cls.validate_config(config)
    except ConfigError as exc:
        raise DomainError(
            "The source settings are not valid.",
            fields={key: [value] for key, value in exc.fields.items()},
        ) from exc
    interval = poll_interval_seconds or cls.default_interval_seconds
    if interval < 30:
        raise DomainError("Poll at most every 30 seconds.", fields={"poll_interval": ["< 30"]})
    return Source.objects.create(
        kind=kind,
        name=name,
        network=cls.network,
        config=cleaned,
        credentials_encrypted=credentials_encrypt(
            {k: v for k, v in (credentials or {}).items() if v}
        ),
        poll_interval_seconds=interval,
        apply_queries=apply_queries,
        next_poll_at=timezone.now(),
    )


def source_connector(
    *, source: Source, http: SafeHttpClient, queries: ActiveQueries | None = None
) -> Connector:
    queries = queries if queries is not None else listening_queries_active()
    return connector_for_source(
        source=source,
        http=http,
        search_terms=queries.search_terms(),
        native_query=queries.native(connector_class(source.kind).network),
    )


def source_ids_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Source.objects.filter(enabled=True)
        .exclude(kind__in=PUSH_KINDS)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .filter(Q(backoff_until__isnull=True) | Q(backoff_until__lte=now))
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .order_by("next_poll_at")
        .values_list("pk", flat=True)[:200]
    )


@dataclass
class PageOutcome:
    fetched: int
    stored: int
    rejected: list[str]
    oldest: datetime | None


def _page_store(
    *, source: Source, page: FetchPage, queries: ActiveQueries, window: FetchWindow | None
) -> tuple[PageOutcome, list[dict[str, Any]]]:
    """Validate, filter and store one page's items (inside the caller's transaction)."""
    rejected = list(page.errors)
    kept: list[dict[str, Any]] = []
    oldest: datetime | None = None
    for item in page.items:
        data, errors = mention_item_validate(json_make_storable(item))
        if data is None:
            rejected.append(f"{item.get('external_id', '?')}: {errors}")
            continue
        published = parse_iso(data["published_at"])
        if published and (oldest is None or published < oldest):
            oldest = published
        outside = (
            window is not None
            and published is not None
            and (
                (window.since is not None and published < window.since)
                or (window.until is not None and published > window.until)
            )
        )
        if outside:
            continue
        if source.apply_queries and not queries.keeps(
            item_query_document(data, source_name=source.name, source_kind=source.kind)
        ):
            continue
        kept.append(data)
    stored = mentions_store(source=source, items=kept).stored if kept else 0
    return PageOutcome(len(page.items), stored, rejected, oldest), kept


@dataclass
class PollOutcome:
    pages: int = 0
    fetched: int = 0
    stored: int = 0
    error: str = ""  # the raw error
    problem: SourceProblem | None = None  # the same in plain language


def source_poll(*, source_id: int) -> PollOutcome | None:
    """Poll one source once (a few pages at most). None when another worker holds it."""
    now = timezone.now()
    claimed = (
        Source.objects.filter(pk=source_id, enabled=True)
        .exclude(kind__in=PUSH_KINDS)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=now + LEASE)
    )
    if not claimed:
        return None
    cpu = time.process_time()
    source = Source.objects.get(pk=source_id)
    outcome = PollOutcome()
    queries = listening_queries_active()
    failure: str = ""
    failed: Exception | None = None
    retry_after: float | None = None
    try:
        with SafeHttpClient() as http:
            connector = source_connector(source=source, http=http, queries=queries)
            cursor = dict(source.cursor)
            for _ in range(settings.LOTSE_POLL_MAX_PAGES):
                page = connector.fetch(cursor)
                with transaction.atomic():
                    stored, _ = _page_store(source=source, page=page, queries=queries, window=None)
                    Source.objects.filter(pk=source.pk).update(
                        cursor=_cursor_keeping_stream_position(page.cursor),
                        items_fetched=F("items_fetched") + stored.fetched,
                        last_item_errors=stored.rejected[:20],
                    )
                cursor = page.cursor
                outcome.pages += 1
                outcome.fetched += stored.fetched
                outcome.stored += stored.stored
                if not page.has_more:
                    break
    except RateLimited as exc:
        failure, retry_after, failed = str(exc), exc.retry_after, exc
    except ConnectorError as exc:
        failure, failed = str(exc), exc
    except (ConfigError, KeyError, ValueError) as exc:
        failure, failed = f"{type(exc).__name__}: {exc}", exc
        logger.warning("Source %s (%s) failed: %s", source.pk, source.kind, failure)
    problem = None if failed is None else _problem(source=source, error=failed)
    _poll_finish(source=source, problem=problem, retry_after=retry_after)
    if failure:
        metric_inc(POLL_ERRORS, connector=source.kind)
    outcome.error, outcome.problem = failure, problem
    # The worker's CPU for the poll: fetching, parsing, validating and storing its pages.
    metric_inc(INGEST_CPU, time.process_time() - cpu)
    return outcome


def _problem(*, source: Source, error: BaseException) -> SourceProblem:
    return source_problem_explain(
        error=error,
        url=str(source.config.get("url") or source.config.get("instance") or ""),
        kind=source.kind,
    )


# Cursor keys owned by a stream listener (sources.streaming); a poll must not reset them.
STREAM_CURSOR_KEYS = ("jetstream_time_us",)


def _cursor_keeping_stream_position(cursor: dict[str, Any]) -> Any:
    """The page's cursor, plus the stream listener's position as stored right now (read in
    the UPDATE itself, so a listener writing at the same time is not overwritten)."""
    expression: Any = Value(cursor, output_field=JSONField())
    for key in STREAM_CURSOR_KEYS:
        expression = Func(
            expression,
            Func(
                Func(Value(key), KeyTransform(key, "cursor"), function="jsonb_build_object"),
                function="jsonb_strip_nulls",
            ),
            function="",
            arg_joiner=" || ",
            output_field=JSONField(),
        )
    return expression


def _poll_finish(
    *, source: Source, problem: SourceProblem | None, retry_after: float | None
) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"poll_lease_until": None, "last_polled_at": now}
    interval = timedelta(seconds=source.poll_interval_seconds)
    if problem is None:
        fields |= {
            "last_success_at": now,
            "consecutive_failures": 0,
            "backoff_until": None,
            "next_poll_at": now + interval,
        }
    else:
        failures = source.consecutive_failures + 1
        if retry_after is not None:
            wait = timedelta(seconds=min(max(retry_after, 1), MAX_BACKOFF_SECONDS))
        else:
            wait = timedelta(
                seconds=min(source.poll_interval_seconds * 2 ** (failures - 1), MAX_BACKOFF_SECONDS)
            )
        fields |= {
            "last_error_at": now,
            "last_error": problem.message[:2000],
            "last_error_detail": problem.detail[:2000],
            "consecutive_failures": failures,
            "backoff_until": now + wait,
            "next_poll_at": now + max(wait, interval),
        }
    Source.objects.filter(pk=source.pk).update(**fields)


def source_test_connection(*, source: Source) -> tuple[bool, str, str]:
    """Fetch one page without storing anything; say what came back (ok, message, raw error)."""
    try:
        with SafeHttpClient() as http:
            page = source_connector(source=source, http=http).fetch(dict(source.cursor))
    except (ConnectorError, ConfigError, KeyError, ValueError) as exc:
        problem = _problem(source=source, error=exc)
        return False, problem.message, problem.detail
    problems = f", {len(page.errors)} unreadable" if page.errors else ""
    return True, f"Connected: {len(page.items)} new items{problems}.", ""


# --- backfill -------------------------------------------------------------------------


def backfill_start(*, source: Source, since: datetime, until: datetime) -> BackfillJob:
    if source.kind in PUSH_KINDS:
        raise DomainError("Only polled sources can be backfilled.", fields={"source": ["push"]})
    if since >= until:
        raise DomainError("The start must be before the end.", fields={"since": ["after until"]})
    schema_name = current_schema()
    with transaction.atomic():
        job = BackfillJob.objects.create(source=source, since=since, until=until)
        transaction.on_commit(lambda: task_send("sources.backfill_run", schema_name, job.pk))
    return job


def backfill_run(*, job_id: int) -> BackfillJob | None:
    """Run a backfill to its end (or until rate-limited: then the caller retries later).

    Returns the job; `retry_after` is set on the instance when it should be resumed."""

    claimed = BackfillJob.objects.filter(
        pk=job_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).update(status=JobStatus.RUNNING)
    if not claimed:
        return None
    job = BackfillJob.objects.select_related("source").get(pk=job_id)
    source = job.source
    window = FetchWindow(since=job.since, until=job.until)
    queries = listening_queries_active()
    span = max((job.until - job.since).total_seconds(), 1.0)
    job.retry_after = None  # type: ignore[attr-defined]
    try:
        with SafeHttpClient() as http:
            connector = source_connector(source=source, http=http, queries=queries)
            while job.pages < MAX_BACKFILL_PAGES:
                page = connector.fetch(dict(job.cursor), window)
                with transaction.atomic():
                    stored, _ = _page_store(
                        source=source, page=page, queries=queries, window=window
                    )
                    job.cursor = page.cursor
                    job.pages += 1
                    job.fetched += stored.fetched
                    job.stored += stored.stored
                    if stored.oldest is not None:
                        reached = (job.until - max(stored.oldest, job.since)).total_seconds()
                        job.progress = max(job.progress, min(reached / span, 1.0))
                    done = not page.has_more or (
                        stored.oldest is not None and stored.oldest <= job.since
                    )
                    if done:
                        job.status, job.progress, job.finished_at = (
                            JobStatus.DONE,
                            1.0,
                            timezone.now(),
                        )
                    job.save()
                    events.backfill_progress(job=job)
                if done:
                    break
            else:
                job.status, job.finished_at = JobStatus.DONE, timezone.now()
                job.error = f"Stopped after {MAX_BACKFILL_PAGES} pages."
                job.save()
                events.backfill_progress(job=job)
    except RateLimited as exc:
        job.retry_after = exc.retry_after  # type: ignore[attr-defined]
    except (ConnectorError, ConfigError, KeyError, ValueError) as exc:
        job.status, job.error, job.finished_at = JobStatus.FAILED, str(exc)[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        with transaction.atomic():
            events.backfill_progress(job=job)
    else:
        # A backfill is a bulk load: the planner needs statistics for the grown table.
        mentions_statistics_refresh(stored=job.stored)
    return job


def source_test_request(*, source: Source) -> None:
    """Ask a worker to test the connection; the result lands on the source and is pushed."""
    schema_name = current_schema()
    transaction.on_commit(
        lambda: task_send("sources.test_connection", schema_name, source.pk), robust=True
    )


def source_test_record(*, source_id: int) -> Source:

    source = Source.objects.get(pk=source_id)
    ok, message, detail = source_test_connection(source=source)
    source.last_test_at, source.last_test_ok, source.last_test_message = (
        timezone.now(),
        ok,
        message[:500],
    )
    source.last_test_detail = detail[:2000]
    source.save(
        update_fields=["last_test_at", "last_test_ok", "last_test_message", "last_test_detail"]
    )
    with transaction.atomic():
        events.source_tested(source=source)
    return source
