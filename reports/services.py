"""Writes for reports: the spike check that opens and closes crisis alerts, and the
client's alert settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Role, User
from accounts.selectors import client_members
from accounts.services import client_domain
from config.errors import DomainError
from config.live import live_send_on_commit
from config.mail import mail_send_on_commit
from config.tenancy import current_client
from reports import clock_rollup
from reports.models import Alert, AlertKind, AlertSettings
from reports.selectors import alert_settings_get, alert_thresholds, spike_stats
from reports.spikes import KINDS, WINDOW_MINUTES, Baseline, Counts, verdict
from routing.services.notifications import notification_create
from webhooks.outbox import webhook_events_emit

logger = logging.getLogger(__name__)

ALERT_OPENED = "alert.opened"
ALERT_CLOSED = "alert.closed"
ALERT_ACKNOWLEDGED = "alert.acknowledged"
MAX_PR_CONTACTS = 20


@dataclass
class SpikeOutcome:
    opened: list[Alert] = field(default_factory=list)
    closed: list[Alert] = field(default_factory=list)


@transaction.atomic
def spike_check(*, now: datetime | None = None) -> SpikeOutcome:
    """Compare the last window with the client's baseline; open, keep or close alerts.

    Idempotent and safe to run twice at once: the open alerts are locked, and the one-open-
    alert-per-kind constraint refuses a second opening."""
    now = now or timezone.now()
    settings = alert_settings_get()
    thresholds = alert_thresholds(settings)
    stats = spike_stats(now=now, baseline_days=settings.baseline_days)
    outcome = SpikeOutcome()
    open_alerts = {
        alert.kind: alert
        for alert in Alert.objects.select_for_update().filter(closed_at__isnull=True)
    }
    for kind in KINDS:
        alert = open_alerts.get(kind)
        if stats.baseline is None:
            continue
        decided = verdict(
            kind,
            stats.window,
            stats.baseline,
            is_open=alert is not None,
            calm_since=alert.calm_since if alert else None,
            now=now,
            thresholds=thresholds,
        )
        if decided.action == "open":
            opened = _alert_open(kind=kind, window=stats.window, baseline=stats.baseline, now=now)
            if opened is not None:
                outcome.opened.append(opened)
        elif alert is not None:
            alert.last_checked_at = now
            alert.peak_volume = max(alert.peak_volume, stats.window.total)
            alert.peak_share = max(alert.peak_share, stats.window.share)
            alert.calm_since = decided.calm_since
            if decided.action == "close":
                alert.closed_at = now
                outcome.closed.append(alert)
            alert.save()
    for alert in outcome.closed:
        audit_record(
            actor=None,
            action="alert.closed",
            target_type="alert",
            target_id=alert.pk,
            summary=f"{alert.get_kind_display()} alert {alert.pk} closed (calm again)",
        )
    _broadcast(ALERT_CLOSED, outcome.closed)
    return outcome


def _alert_open(*, kind: str, window: Counts, baseline: Baseline, now: datetime) -> Alert | None:
    settings = alert_settings_get()
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                opened_at=now,
                last_checked_at=now,
                window_minutes=WINDOW_MINUTES,
                volume=window.total,
                negative=window.negative,
                baseline_volume=baseline.volume,
                baseline_share=baseline.share,
                basis=baseline.basis[:200],
                peak_volume=window.total,
                peak_share=window.share,
                emailed_to=list(settings.pr_emails),
            )
    except IntegrityError:  # another check opened it a moment ago
        return None
    audit_record(
        actor=None,
        action="alert.opened",
        target_type="alert",
        target_id=alert.pk,
        summary=f"{alert.get_kind_display()} alert {alert.pk}: {alert.summary}",
        after={"volume": alert.volume, "negative": alert.negative, "basis": alert.basis},
    )
    _notify_managers(alert)
    _broadcast(ALERT_OPENED, [alert])
    if alert.emailed_to:
        client = current_client()
        _email(alert, client_name=client.name, host=client_domain(client.slug))
    return alert


def _notify_managers(alert: Alert) -> None:

    for member in client_members(client=current_client(), min_role=Role.MANAGER):
        notification_create(
            user_id=member.pk,
            text=f"{alert.get_kind_display()} alert: {alert.summary}",
            link=f"/alerts/#alert-{alert.pk}",
        )


def _email(alert: Alert, *, client_name: str, host: str) -> None:
    """Mail the PR contacts once the alert is committed (a worker sends it, and tries again
    while the mail server is away: `config.mail`)."""
    mail_send_on_commit(
        subject=f"[Lotse] {client_name}: {alert.get_kind_display()} alert",
        body=(
            f"{alert.summary}.\n\n"
            f"Baseline: {alert.basis}.\n"
            f"Opened at {alert.opened_at:%Y-%m-%d %H:%M} UTC. It stays open while the "
            "numbers stay high and closes by itself once they have been calm for a while.\n\n"
            f"All alerts of {client_name}: https://{host}/alerts/\n"
        ),
        to=list(alert.emailed_to),
    )


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The alert as live events and pages show it (checked by tests)."""
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "label": AlertKind(alert.kind).label,
        "summary": alert.summary,
        "opened_at": alert.opened_at,
        "closed_at": alert.closed_at,
        "volume": alert.volume,
        "negative": alert.negative,
        "baseline_volume": round(alert.baseline_volume, 2),
        "baseline_share": round(alert.baseline_share, 4),
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by_name or None,
    }


def _broadcast(event_type: str, alerts: list[Alert]) -> None:
    """To the client's group only (people who see all of the client's mentions)."""
    if alerts:
        live_send_on_commit(
            client_id=current_client().pk,
            events=[{"type": event_type, "alert": alert_payload(alert)} for alert in alerts],
        )
        # The same events to the client's webhooks, in this transaction (the outbox).
        webhook_events_emit(
            event_type=event_type, items=[{"alert": alert_payload(alert)} for alert in alerts]
        )


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by: User) -> Alert:
    """A manager is on it: the banner goes for everyone (audited, pushed live). The alert
    stays open until the numbers calm down; acknowledging twice changes nothing."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by_id = by.pk
    alert.acknowledged_by_name = by.display_name[:200]
    alert.save(update_fields=["acknowledged_at", "acknowledged_by_id", "acknowledged_by_name"])
    audit_record(
        actor=by,
        action="alert.acknowledged",
        target_type="alert",
        target_id=alert.pk,
        summary=f"{alert.get_kind_display()} alert {alert.pk} acknowledged: {alert.summary}",
        after={"acknowledged_at": alert.acknowledged_at.isoformat()},
    )
    _broadcast(ALERT_ACKNOWLEDGED, [alert])
    return alert


# What managers may set, with the range each must lie in.
THRESHOLD_LIMITS: dict[str, tuple[float, float]] = {
    "baseline_days": (1, 60),
    "open_z": (1.0, 20.0),
    "min_volume": (1, 10_000),
    "share_open_min": (0.05, 1.0),
    "share_open_lift": (0.01, 1.0),
}


@transaction.atomic
def alert_thresholds_update(*, values: dict[str, float], by: User) -> AlertSettings:
    """Change when alerts open (managers; the caller checks the role). Every value is
    checked first; nothing changes unless all are valid. Audited with before and after."""
    unknown = sorted(set(values) - THRESHOLD_LIMITS.keys())
    problems: dict[str, list[str]] = {name: ["not a threshold"] for name in unknown}
    cleaned: dict[str, float] = {}
    for name, value in values.items():
        if name not in THRESHOLD_LIMITS:
            continue
        low, high = THRESHOLD_LIMITS[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (low <= value <= high)
        ):
            problems[name] = [f"between {low:g} and {high:g}"]
        elif name in ("baseline_days", "min_volume") and int(value) != value:
            problems[name] = ["a whole number"]
        else:
            cleaned[name] = value
    if problems:
        raise DomainError("Some thresholds are out of range.", fields=problems)
    settings = AlertSettings.objects.select_for_update().order_by("pk").first() or AlertSettings()
    before = {name: getattr(settings, name) for name in THRESHOLD_LIMITS}
    for name, value in cleaned.items():
        setattr(settings, name, int(value) if name in ("baseline_days", "min_volume") else value)
    settings.updated_at = timezone.now()
    settings.save()
    after = {name: getattr(settings, name) for name in THRESHOLD_LIMITS}
    if before != after:
        changed = ", ".join(
            f"{k} {before[k]:g} → {after[k]:g}" for k in after if before[k] != after[k]
        )
        audit_record(
            actor=by,
            action="alerts.thresholds",
            target_type="alert_settings",
            target_id=settings.pk,
            summary=f"Alert thresholds: {changed}",
            before=before,
            after=after,
        )
    return settings


@transaction.atomic
def alert_settings_update(*, pr_emails: list[str], by: User) -> AlertSettings:
    """Set who is e-mailed when an alert opens (client admins; the caller checks the role)."""
    cleaned: list[str] = []
    bad: list[str] = []
    for raw in pr_emails:
        email = raw.strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            bad.append(f"{email[:100]} is not an e-mail address")
            continue
        if email not in cleaned:
            cleaned.append(email)
    if bad:
        raise DomainError("Some PR contacts are not e-mail addresses.", fields={"pr_emails": bad})
    if len(cleaned) > MAX_PR_CONTACTS:
        raise DomainError(
            f"At most {MAX_PR_CONTACTS} PR contacts.", fields={"pr_emails": ["too many"]}
        )
    settings = AlertSettings.objects.select_for_update().order_by("pk").first() or AlertSettings()
    before = list(settings.pr_emails)
    settings.pr_emails = cleaned
    settings.updated_at = timezone.now()
    settings.save()
    if before != cleaned:
        audit_record(
            actor=by,
            action="alerts.contacts",
            target_type="alert_settings",
            target_id=settings.pk,
            summary=f"PR contacts for alerts: {', '.join(cleaned) or 'none'}",
            before={"pr_emails": before},
            after={"pr_emails": cleaned},
        )
    return settings


# -- rollups ---------------------------------------------------------------------------------
# The triggers of migration 0002 keep the rollups current; this recounts them from scratch
# (after a bulk load with the triggers disabled, or to repair), with the same aggregates.
# Every mention once per dimension it counts under (one row per aspect), for the
# one-dimension rollups.
_EACH_DIMENSION = f"FROM mentions_mention AS m {clock_rollup.EACH_DIMENSION}"
# The one-dimension counts also count each listening query a mention matches (share of
# voice; the response histograms do not).
_EACH_DIMENSION_AND_QUERY = _EACH_DIMENSION.replace(
    "unnest(m.aspects) AS a\n",
    "unnest(m.aspects) AS a UNION ALL\n"
    "    SELECT 'query', q::text FROM unnest(m.matched_queries) AS q\n",
)
_REBUILD = """
TRUNCATE reports_mentionhour, reports_aspecthour, reports_dimensionhour, reports_authormonth,
    reports_dimensionday;
INSERT INTO reports_mentionhour
    (bucket, source_id, language, kind, sentiment, department_id, mentions, responded,
     sla_answered, sla_met, first_response_seconds)
SELECT date_trunc('hour', published_at, 'UTC'), source_id, language, kind, sentiment,
       COALESCE(department_id, 0), count(*), count(first_response_at),
       count(*) FILTER (WHERE first_response_at IS NOT NULL AND first_response_due IS NOT NULL),
       count(*) FILTER (WHERE first_response_at <= first_response_due),
       COALESCE(sum(GREATEST(0, floor(extract(epoch FROM
           first_response_at - received_at)))::bigint), 0)
FROM mentions_mention WHERE relevant GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO reports_aspecthour
    (bucket, aspect, source_id, language, kind, sentiment, department_id, mentions)
SELECT date_trunc('hour', published_at, 'UTC'), a, source_id, language, kind, sentiment,
       COALESCE(department_id, 0), count(*)
FROM mentions_mention, unnest(aspects) AS a WHERE relevant GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO reports_dimensionhour
    (bucket, dimension, value, sentiment, mentions, responded, sla_answered, sla_met,
     first_response_seconds, responded_1h, responded_4h, responded_8h, responded_24h)
SELECT date_trunc('hour', m.published_at, 'UTC'), d.dimension, d.value, m.sentiment, count(*),
       count(m.first_response_at),
       count(*) FILTER (WHERE m.first_response_at IS NOT NULL
                        AND m.first_response_due IS NOT NULL),
       count(*) FILTER (WHERE m.first_response_at <= m.first_response_due),
       COALESCE(sum(GREATEST(0, floor(extract(epoch FROM
           m.first_response_at - m.received_at)))::bigint), 0),
       count(*) FILTER (WHERE m.first_response_at - m.received_at < interval '1 hour'),
       count(*) FILTER (WHERE m.first_response_at - m.received_at < interval '4 hours'),
       count(*) FILTER (WHERE m.first_response_at - m.received_at < interval '8 hours'),
       count(*) FILTER (WHERE m.first_response_at - m.received_at < interval '24 hours')
{each_dimension_and_query}
WHERE m.relevant GROUP BY 1, 2, 3, 4;
INSERT INTO reports_dimensionday
    (dimension, value, day, sentiment, mentions, responded, sla_answered, sla_met,
     first_response_seconds, responded_1h, responded_4h, responded_8h, responded_24h)
SELECT dimension, value, date_trunc('day', bucket, 'UTC'), sentiment, sum(mentions),
       sum(responded), sum(sla_answered), sum(sla_met), sum(first_response_seconds),
       sum(responded_1h), sum(responded_4h), sum(responded_8h), sum(responded_24h)
FROM reports_dimensionhour GROUP BY 1, 2, 3, 4;
INSERT INTO reports_authormonth (month, author_id, mentions, negative)
SELECT date_trunc('month', published_at, 'UTC'), author_id, count(*),
       count(*) FILTER (WHERE sentiment = 'negative')
FROM mentions_mention WHERE relevant GROUP BY 1, 2;
ANALYZE reports_dimensionhour;
ANALYZE reports_mentionhour;
ANALYZE reports_aspecthour;
ANALYZE reports_authormonth;
ANALYZE reports_dimensionday;
"""


@transaction.atomic
def rollups_rebuild() -> None:
    """Recount the current client's hourly rollups from its mentions (locks the mentions
    against writes meanwhile, so nothing is counted twice or missed)."""
    with connection.cursor() as cursor:
        cursor.execute("LOCK TABLE mentions_mention IN SHARE MODE")
        cursor.execute(
            _REBUILD.replace("{each_dimension_and_query}", _EACH_DIMENSION_AND_QUERY).replace(
                "{each_dimension}", _EACH_DIMENSION
            )
        )
        cursor.execute(clock_rollup.BACKFILL)
