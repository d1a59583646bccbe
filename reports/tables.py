"""Every table of the report as rows for a CSV file: the same figures as the reports page
and the PDF, for the same period and filters. Shares are fractions (0..1) and times are
seconds, so a spreadsheet can compute with them; cells are formula-safe (`csv_safe`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reports import figures
from reports.care_figures import (
    Durations,
    approvals,
    care_by,
    care_clocks,
    escalations,
    first_response_distribution,
)
from reports.crisis import crisis
from reports.document import report_interval
from reports.exports import csv_safe
from reports.terms import rising_terms

TABLES = (
    "volume",
    "sources",
    "languages",
    "kinds",
    "departments",
    "aspects",
    "share-of-voice",
    "authors",
    "ideas",
    "cases",
    "care-departments",
    "care-teams",
    "care-people",
    "care-times",
    "first-responses",
    "approvals",
    "escalations",
    "terms",
    "alerts",
)


@dataclass(frozen=True)
class Table:
    name: str
    header: list[str]
    rows: list[list[Any]]

    def csv_rows(self) -> list[list[str]]:
        return [self.header, *([csv_safe(_cell(cell)) for cell in row] for row in self.rows)]


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return value


_SENTIMENT = ["total", "negative", "neutral", "positive", "negative_share"]


def _breakdown(dimension: str) -> Callable[[figures.Period, figures.Slice], Table]:
    def build(period: figures.Period, slice_: figures.Slice) -> Table:
        rows = figures.breakdown(period=period, dimension=dimension, slice_=slice_, limit=500)
        return Table(
            dimension,
            [dimension, "key", *_SENTIMENT],
            [
                [r.label, r.key, r.total, r.negative, r.neutral, r.positive, r.negative_share]
                for r in rows
            ],
        )

    return build


def _volume(period: figures.Period, slice_: figures.Slice) -> Table:
    interval = report_interval(period)
    series = figures.volume_series(period=period, interval=interval, slice_=slice_)
    return Table(
        "volume",
        [f"{interval}_start ({period.zone.key})", *_SENTIMENT],
        [
            [p.start.isoformat(), p.total, p.negative, p.neutral, p.positive, p.negative_share]
            for p in series
        ],
    )


def _voice(period: figures.Period, slice_: figures.Slice) -> Table:
    voice = figures.share_of_voice(period=period, slice_=slice_)
    both = voice.role_total("brand") + voice.role_total("competitor")
    return Table(
        "share-of-voice",
        ["query", "role", "mentions", "share", "sampled"],
        [
            [r.name, r.role, r.mentions, r.mentions / both if both else None, voice.sampled]
            for r in voice.rows
        ],
    )


def _authors(period: figures.Period, slice_: figures.Slice) -> Table:
    authors = figures.top_authors(period=period, slice_=slice_, limit=100)
    return Table(
        "authors",
        ["handle", "name", "network", "segment", "followers", "influence", "mentions", "negative"],
        [
            [
                a.handle,
                a.name,
                a.network,
                a.segment,
                a.followers,
                a.influence,
                a.mentions,
                a.negative,
            ]
            for a in authors
        ],
    )


def _ideas(period: figures.Period, slice_: figures.Slice) -> Table:
    found = figures.ideas(period=period, slice_=slice_, limit=500)
    zone = period.zone
    return Table(
        "ideas",
        ["id", f"published_at ({zone.key})", "author", "aspects", "text", "url"],
        [
            [
                m.pk,
                m.published_at.astimezone(zone).isoformat(),
                m.author.handle,
                " ".join(m.aspects),
                m.text,
                m.url,
            ]
            for m in found.examples
        ],
    )


def _cases(period: figures.Period, slice_: figures.Slice) -> Table:
    zone = period.zone
    return Table(
        "cases",
        ["id", "title", "aspect", "reports", "status", "department", "first_seen", "last_seen"],
        [
            [
                c.pk,
                c.title,
                c.aspect,
                c.member_count,
                c.status,
                c.department.name if c.department else "",
                c.first_seen.astimezone(zone).isoformat(),
                c.last_seen.astimezone(zone).isoformat(),
            ]
            for c in figures.top_cases(period=period, slice_=slice_, limit=500)
        ],
    )


def _care(by: str) -> Callable[[figures.Period, figures.Slice], Table]:
    def build(period: figures.Period, slice_: figures.Slice) -> Table:
        rows = care_by(period=period, by=by, slice_=slice_)
        return Table(
            f"care-{by}",
            [
                by,
                "mentions",
                "responded",
                "response_rate",
                "first_response_median_seconds",
                "first_response_p90_seconds",
                "first_response_mean_seconds",
                "sla_answered",
                "sla_met",
                "sla_met_share",
                "open_now",
                "overdue_now",
            ],
            [
                [
                    r.label,
                    r.received,
                    r.care.responded,
                    r.response_rate,
                    r.care.median_seconds,
                    r.care.p90_seconds,
                    r.care.mean_seconds,
                    r.care.sla_answered,
                    r.care.sla_met,
                    r.care.sla_met_share,
                    r.open,
                    r.overdue,
                ]
                for r in rows
            ],
        )

    return build


def _care_times(period: figures.Period, slice_: figures.Slice) -> Table:
    """First response and resolution, in calendar and in business hours."""
    found = care_clocks(period=period, slice_=slice_)

    def row(measure: str, clock: str, times: Durations) -> list[Any]:
        return [
            measure,
            clock,
            times.count,
            times.median_seconds,
            times.p90_seconds,
            times.mean_seconds,
            found.sampled,
            found.sample_every_hours,
        ]

    return Table(
        "care-times",
        [
            "measure",
            "clock",
            "mentions",
            "median_seconds",
            "p90_seconds",
            "mean_seconds",
            "sampled",
            "sample_every_hours",
        ],
        [
            row("first_response", "calendar", found.first_response),
            row("first_response", "business", found.first_response_business),
            row("resolution", "calendar", found.resolution),
            row("resolution", "business", found.resolution_business),
        ],
    )


def _first_responses(period: figures.Period, slice_: figures.Slice) -> Table:
    buckets = first_response_distribution(period=period, slice_=slice_)
    return Table(
        "first-responses",
        ["time_to_first_response", "responses", "share"],
        [[b.label, b.count, b.share] for b in buckets],
    )


def _approvals(period: figures.Period, slice_: figures.Slice) -> Table:
    found = approvals(period=period, slice_=slice_)
    return Table(
        "approvals",
        ["needed_approval", "approved", "rejected", "pending", "median_wait_seconds"],
        [
            [
                found.requested,
                found.approved,
                found.rejected,
                found.pending,
                found.median_wait_seconds,
            ]
        ],
    )


def _escalations(period: figures.Period, slice_: figures.Slice) -> Table:
    found = escalations(period=period, slice_=slice_)
    return Table(
        "escalations",
        ["department", "escalated"],
        [[name, n] for name, n in found.by_department],
    )


def _terms(period: figures.Period, slice_: figures.Slice) -> Table:
    found = rising_terms(period=period, slice_=slice_, limit=100)
    return Table(
        "terms",
        [
            "term",
            "hashtag",
            "mentions",
            "mentions_before",
            "growth",
            "sampled",
            "mentions_read",
            "mentions_read_before",
        ],
        [
            [r.term, r.hashtag, r.now, r.before, r.growth, found.sampled, *found.read]
            for r in found.rows
        ],
    )


def _alerts(period: figures.Period, slice_: figures.Slice) -> Table:
    """The period's alerts and the slice's figures in the hours around each."""
    zone = period.zone

    def at(value: datetime | None) -> str:
        return value.astimezone(zone).isoformat() if value else ""

    return Table(
        "alerts",
        [
            "id",
            "kind",
            f"opened_at ({zone.key})",
            "acknowledged_at",
            "closed_at",
            "peak_volume",
            "peak_negative_share",
            "around_from",
            "around_to",
            "mentions_around",
            "negative_around",
            "negative_share_around",
            "mentions_day_before",
            "negative_share_day_before",
            "top_aspects",
            "top_cases",
        ],
        [
            [
                w.alert.pk,
                w.alert.kind,
                at(w.alert.opened_at),
                at(w.alert.acknowledged_at),
                at(w.alert.closed_at),
                w.alert.peak_volume if w.client_wide else None,
                w.alert.peak_share if w.client_wide else None,
                at(w.start),
                at(w.end),
                w.total,
                w.negative,
                w.negative_share,
                w.before_total,
                w.before_negative_share,
                " ".join(f"{aspect}:{n}" for aspect, n in w.aspects),
                " | ".join(case.title for case in w.cases),
            ]
            for w in crisis(period=period, slice_=slice_).alerts
        ],
    )


_BUILDERS: dict[str, Callable[[figures.Period, figures.Slice], Table]] = {
    "volume": _volume,
    "sources": _breakdown("source"),
    "languages": _breakdown("language"),
    "kinds": _breakdown("kind"),
    "departments": _breakdown("department"),
    "aspects": _breakdown("aspect"),
    "share-of-voice": _voice,
    "authors": _authors,
    "ideas": _ideas,
    "cases": _cases,
    "care-departments": _care("department"),
    "care-teams": _care("team"),
    "care-people": _care("person"),
    "care-times": _care_times,
    "first-responses": _first_responses,
    "approvals": _approvals,
    "escalations": _escalations,
    "terms": _terms,
    "alerts": _alerts,
}


def report_table(*, name: str, period: figures.Period, slice_: figures.Slice) -> Table:
    """One table of the report (`name` in TABLES)."""
    return _BUILDERS[name](period, slice_)


def report_tables_csv(*, period: figures.Period, slice_: figures.Slice) -> Iterator[list[str]]:
    """Every table of the report in one CSV: each starts with a row naming it and ends with
    an empty row."""
    yield [csv_safe(f"Report {period.first} to {period.last} ({period.zone.key})")]
    yield []
    for name in TABLES:
        yield [name]
        yield from report_table(name=name, period=period, slice_=slice_).csv_rows()
        yield []
