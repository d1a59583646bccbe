"""One report, as figures ready to show: key figures with their change against the
previous period, the charts' geometry, breakdowns as bars and the tables. The reports page,
the PDF and the scheduled mails all read a `ReportDocument`, so they show the same
figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mentions.models import Mention, ProblemCluster
from reports import figures
from reports.care_figures import (
    Approvals,
    Bucket,
    CareClocks,
    CareRow,
    Escalations,
    approvals,
    care_by,
    care_clocks,
    care_times_of,
    escalations,
    first_response_distribution,
)
from reports.chart import LineChart, StackedChart, negative_share_chart, stacked_volume_chart
from reports.crisis import Crisis, crisis
from reports.formatting import count, duration, pct
from reports.terms import RisingTerms, rising_terms

Fmt = Literal["count", "pct", "time"]


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str  # "" when there is nothing to compare
    direction: str  # "up", "down" or ""
    good: bool | None  # whether the change is good news (None: neither)


def kpi(
    label: str,
    now: float | None,
    before: float | None,
    *,
    fmt: Fmt,
    higher_is_good: bool | None,
) -> Kpi:
    """A key figure and how it changed against the previous period."""
    shown = {"count": count, "pct": pct, "time": duration}[fmt](now)
    if now is None or before is None or now == before:
        unchanged = now == before and now is not None
        return Kpi(label, shown, "no change" if unchanged else "", "", None)
    change = now - before
    if fmt == "pct":
        delta = f"{change * 100:+.0f} pts"
    elif fmt == "time":
        delta = ("+" if change > 0 else "-") + duration(abs(change))
    else:
        delta = f"{change:+,.0f}" + (f" ({change / before:+.0%})" if before else "")
    good = None if higher_is_good is None else (change > 0) == higher_is_good
    return Kpi(label, shown, delta, "up" if change > 0 else "down", good)


@dataclass(frozen=True)
class BarRow:
    """A breakdown row with its bar: width against the largest row, sentiment parts in %."""

    row: figures.BreakdownRow
    width: float
    neg: float
    neu: float
    pos: float


def bar_rows(rows: list[figures.BreakdownRow]) -> list[BarRow]:
    top = max((row.total for row in rows), default=1) or 1

    def part(n: int, total: int) -> float:
        return round(n / total * 100, 1) if total else 0.0

    return [
        BarRow(
            row=row,
            width=round(row.total / top * 100, 1),
            neg=part(row.negative, row.total),
            neu=part(row.neutral, row.total),
            pos=part(row.positive, row.total),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class VoiceRow:
    row: figures.VoiceRow
    share: float  # % of brand and competitor mentions


def report_interval(period: figures.Period) -> str:
    """The bucket a period's charts use: hours up to two days, days up to a quarter."""
    if period.days <= 2:
        return "hour"
    if period.days <= 92:
        return "day"
    return "week"


@dataclass(frozen=True)
class ReportDocument:
    period: figures.Period
    previous: figures.Period
    interval: str
    now: figures.Summary
    before: figures.Summary
    kpis: list[Kpi]
    series: list[figures.VolumePoint]
    volume: StackedChart
    share: LineChart
    by_source: list[BarRow]
    by_language: list[BarRow]
    by_kind: list[BarRow]
    by_department: list[BarRow]
    aspects: list[BarRow]
    voice: figures.ShareOfVoice
    voice_rows: list[VoiceRow]
    authors: list[figures.TopAuthor]
    ideas: figures.Ideas
    cases: list[ProblemCluster]
    care_departments: list[CareRow]
    care_people: list[CareRow]
    first_responses: list[Bucket]
    clocks: CareClocks
    approvals: Approvals
    escalations: Escalations
    terms: RisingTerms
    crisis: Crisis

    @property
    def zone(self) -> str:
        return self.period.zone.key

    @property
    def idea_examples(self) -> list[Mention]:
        return self.ideas.examples


def report_kpis(now: figures.Summary, before: figures.Summary) -> list[Kpi]:
    return [
        kpi("Mentions", now.total, before.total, fmt="count", higher_is_good=None),
        kpi(
            "Negative share",
            now.negative_share,
            before.negative_share,
            fmt="pct",
            higher_is_good=False,
        ),
        kpi(
            "Net sentiment", now.net_sentiment, before.net_sentiment, fmt="pct", higher_is_good=True
        ),
        kpi(
            "Response rate", now.response_rate, before.response_rate, fmt="pct", higher_is_good=True
        ),
        kpi(
            "First response (median)",
            now.care.median_seconds,
            before.care.median_seconds,
            fmt="time",
            higher_is_good=False,
        ),
        kpi(
            "SLA met",
            now.care.sla_met_share,
            before.care.sla_met_share,
            fmt="pct",
            higher_is_good=True,
        ),
    ]


def report_document(
    *, period: figures.Period, slice_: figures.Slice, interval: str | None = None
) -> ReportDocument:
    """Every figure of the report for the period and slice (the reader's departments are
    part of the slice)."""
    interval = interval or report_interval(period)
    previous = period.previous()
    # One pass over the period's answers for both clocks and the SLA counts.
    clocks = care_clocks(period=period, slice_=slice_)
    now = figures.summary(period=period, slice_=slice_, care=care_times_of(clocks))
    before = figures.summary(period=previous, slice_=slice_)
    series = figures.volume_series(period=period, interval=interval, slice_=slice_)

    def rows(dimension: str, limit: int = 12) -> list[BarRow]:
        return bar_rows(
            figures.breakdown(period=period, dimension=dimension, slice_=slice_, limit=limit)
        )

    voice = figures.share_of_voice(period=period, slice_=slice_)
    voice_total = voice.role_total("brand") + voice.role_total("competitor")
    return ReportDocument(
        period=period,
        previous=previous,
        interval=interval,
        now=now,
        before=before,
        kpis=report_kpis(now, before),
        series=series,
        volume=stacked_volume_chart(series, interval=interval),
        share=negative_share_chart(series, interval=interval),
        by_source=rows("source"),
        by_language=rows("language"),
        by_kind=rows("kind"),
        by_department=rows("department"),
        aspects=rows("aspect", limit=20),
        voice=voice,
        voice_rows=[
            VoiceRow(row, round(row.mentions / voice_total * 100, 1) if voice_total else 0.0)
            for row in voice.rows
        ],
        authors=figures.top_authors(period=period, slice_=slice_),
        ideas=figures.ideas(period=period, slice_=slice_, limit=5),
        cases=figures.top_cases(period=period, slice_=slice_, limit=8),
        care_departments=care_by(period=period, by="department", slice_=slice_),
        care_people=care_by(period=period, by="person", slice_=slice_),
        first_responses=first_response_distribution(period=period, slice_=slice_),
        clocks=clocks,
        approvals=approvals(period=period, slice_=slice_),
        escalations=escalations(period=period, slice_=slice_),
        terms=rising_terms(period=period, slice_=slice_),
        crisis=crisis(period=period, slice_=slice_),
    )
