"""A small inline SVG chart of volume against baseline (no scripts, no CDN): geometry only,
the template draws it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from reports.figures import VolumePoint
from reports.models import Alert
from reports.selectors import SeriesPoint


@dataclass(frozen=True)
class Band:
    x: float
    width: float
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class VolumeChart:
    width: int
    height: int
    top: int  # mentions per hour at the top edge
    volume: str  # polyline points
    baseline: str  # polyline points, where a baseline exists
    bands: list[Band]  # alerts
    ticks: list[Tick]
    empty: bool


def volume_chart(
    points: list[SeriesPoint],
    alerts: list[Alert],
    *,
    now: datetime,
    zone: tzinfo = UTC,
    width: int = 720,
) -> VolumeChart:
    """Hourly volume against baseline; the hour ticks are read in `zone` (the reader's)."""
    height = 160
    if not points:
        return VolumeChart(width, height, 0, "", "", [], [], True)
    values = [p.volume for p in points] + [p.baseline or 0 for p in points]
    top = max(4, int(max(values) * 1.15) + 1)
    start = points[0].start
    span = (points[-1].start + timedelta(hours=1) - start).total_seconds()

    def x(when: datetime) -> float:
        return round(min(max((when - start).total_seconds() / span, 0.0), 1.0) * width, 1)

    def y(value: float) -> float:
        return round(height - value / top * height, 1)

    half = timedelta(minutes=30)
    volume = " ".join(f"{x(p.start + half)},{y(p.volume)}" for p in points)
    baseline = " ".join(
        f"{x(p.start + half)},{y(p.baseline)}" for p in points if p.baseline is not None
    )
    bands = []
    for alert in alerts:
        end = alert.closed_at or now
        if end < start:
            continue
        left = x(alert.opened_at)
        bands.append(
            Band(left, max(x(end) - left, 2.0), f"{alert.get_kind_display()} {alert.summary}")
        )
    local = [(p.start, p.start.astimezone(zone)) for p in points]
    ticks = [Tick(x(at), f"{seen:%a %H:%M}") for at, seen in local if seen.hour % 12 == 0]
    return VolumeChart(
        width,
        height,
        top,
        volume,
        baseline,
        bands,
        ticks,
        empty=not any(p.volume for p in points),
    )


# --- report charts --------------------------------------------------------------------------
# Colours (lotse.css) follow the Okabe-Ito palette, which colour-blind readers can tell apart:
# negative vermillion, neutral grey, positive blue; every shape has a <title> tooltip.

SENTIMENT_ORDER = ("negative", "neutral", "positive", "other")


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    css: str


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    segments: list[Segment]
    title: str
    first: date  # the local days the bar covers (for drill-down links)
    last: date


@dataclass(frozen=True)
class AxisTick:
    at: float  # x or y in chart units
    label: str


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[AxisTick]
    y_ticks: list[AxisTick]
    zone: str
    empty: bool


@dataclass(frozen=True)
class LinePoint:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    line: str
    points: list[LinePoint]
    x_ticks: list[AxisTick]
    y_ticks: list[AxisTick]
    zone: str
    empty: bool


def _nice_top(value: int) -> int:
    """A round number at or above `value` for the top of an axis."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value


_LABEL = {"hour": "%d %b %H:%M", "day": "%a %d %b", "week": "week of %d %b %Y", "month": "%B %Y"}
_TICK = {"hour": "%H:%M", "day": "%d %b", "week": "%d %b", "month": "%b %Y"}


def _bucket_days(start: datetime, interval: str, following: datetime | None) -> tuple[date, date]:
    first = start.date()
    if interval == "hour":
        return first, first
    if following is not None:
        return first, following.date() - timedelta(days=1)
    if interval == "day":
        return first, first
    if interval == "week":
        return first, first + timedelta(days=6)
    return first, ((first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(1))


def _x_ticks(points: list[VolumePoint], interval: str, x: list[float]) -> list[AxisTick]:
    if not points:
        return []
    every = max(1, round(len(points) / 7))
    return [
        AxisTick(x[i], f"{points[i].start:{_TICK[interval]}}") for i in range(0, len(points), every)
    ]


def stacked_volume_chart(
    points: list[VolumePoint], *, interval: str, width: int = 720, height: int = 180
) -> StackedChart:
    """Bars per bucket, stacked by sentiment (negative at the bottom)."""
    zone = str(points[0].start.tzinfo) if points else ""
    top = _nice_top(max((p.total for p in points), default=0))
    slot = width / max(len(points), 1)
    gap = min(2.0, slot * 0.15)
    bars = []
    for i, point in enumerate(points):
        other = point.total - point.negative - point.neutral - point.positive
        values = dict(
            zip(
                SENTIMENT_ORDER, (point.negative, point.neutral, point.positive, other), strict=True
            )
        )
        base = float(height)
        segments = []
        for name in SENTIMENT_ORDER:
            h = values[name] / top * height
            if h > 0:
                base -= h
                segments.append(Segment(round(base, 1), round(h, 1), name))
        following = points[i + 1].start if i + 1 < len(points) else None
        first, last = _bucket_days(point.start, interval, following)
        title = (
            f"{point.start:{_LABEL[interval]}} ({zone}): {point.total} mentions, "
            f"{point.negative} negative, {point.neutral} neutral, {point.positive} positive"
        )
        bars.append(
            Bar(round(i * slot + gap / 2, 1), round(slot - gap, 1), segments, title, first, last)
        )
    xs = [bar.x for bar in bars]
    y_ticks = [AxisTick(round(height - height * f, 1), f"{int(top * f):,}") for f in (0, 0.5, 1)]
    return StackedChart(
        width,
        height,
        bars,
        _x_ticks(points, interval, xs),
        y_ticks,
        zone,
        empty=not any(p.total for p in points),
    )


def negative_share_chart(
    points: list[VolumePoint], *, interval: str, width: int = 720, height: int = 140
) -> LineChart:
    """The share of negative mentions per bucket (buckets without mentions are skipped)."""
    zone = str(points[0].start.tzinfo) if points else ""
    slot = width / max(len(points), 1)
    drawn = []
    for i, point in enumerate(points):
        share = point.negative_share
        if share is None:
            continue
        drawn.append(
            LinePoint(
                round(i * slot + slot / 2, 1),
                round(height - share * height, 1),
                f"{point.start:{_LABEL[interval]}} ({zone}): {share:.0%} negative "
                f"({point.negative} of {point.total})",
            )
        )
    y_ticks = [AxisTick(round(height - height * f, 1), f"{f:.0%}") for f in (0, 0.25, 0.5, 0.75, 1)]
    xs = [round(i * slot + slot / 2, 1) for i in range(len(points))]
    return LineChart(
        width,
        height,
        " ".join(f"{p.x},{p.y}" for p in drawn),
        drawn,
        _x_ticks(points, interval, xs),
        y_ticks,
        zone,
        empty=not drawn,
    )


def sparkline(values: list[int], *, width: int = 96, height: int = 24) -> str:
    """Polyline points for a small trend line (the agency overview)."""
    if not values:
        return ""
    top = max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{round(i * step, 1)},{round(height - 2 - v / top * (height - 4), 1)}"
        for i, v in enumerate(values)
    )
