"""A small inline SVG chart of volume against baseline (no scripts, no CDN): geometry only,
the template draws it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
    points: list[SeriesPoint], alerts: list[Alert], *, now: datetime, width: int = 720
) -> VolumeChart:
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
    ticks = [Tick(x(p.start), f"{p.start:%a %H:%M}") for p in points if p.start.hour % 12 == 0]
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
