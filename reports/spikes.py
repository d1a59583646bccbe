"""Spike and crisis detection, pure: is the last window unusual for this client at this time?

Every minute (reports.tasks) the last WINDOW_MINUTES of mentions (by publication time, so a
backfill of old posts is not a spike) are compared with the client's own baseline:

- Baseline: the same hour of the week in each of the last BASELINE_WEEKS weeks (a Monday
  09:00 is compared with Mondays around 09:00, never with nights or Sundays), each week's
  hour scaled to the window length. The volume baseline is the median of those weeks, the
  spread 1.4826 x their median absolute deviation, but never less than the Poisson spread
  sqrt(median) (a client with 2 mentions an hour has no "steady" baseline). The negative
  share baseline pools those weeks' mentions.
- No baseline, no alert: until the client has BASELINE_DAYS of data (its oldest mention
  published that long ago; the client's `AlertSettings.baseline_days`) nothing is compared
  at all. Connecting the first sources, a demo's first minutes, a backlog arriving at once:
  none of it is a crisis.
- Cold start: a client with a baseline but less than MIN_HISTORY_WEEKS of history is
  compared with its last 24 hours instead (time of day unaware), and with
  DEFAULT_NEGATIVE_SHARE until it has MIN_SHARE_BASELINE mentions.
- Opening (`Thresholds`, which managers edit per client): volume when the window has at
  least MIN_VOLUME mentions and lies OPEN_Z spreads above the baseline; negative share
  when at least MIN_VOLUME mentions, of which at least SHARE_OPEN_MIN are negative and
  SHARE_OPEN_LIFT more than the baseline share.
- Hysteresis: an open alert stays open while the window is above the lower threshold
  (half the opening one: KEEP_Z spreads, SHARE_KEEP_LIFT); it closes only after
  CALM_MINUTES in a row below it.
  Only one alert of each kind is open at a time (a database constraint too), so an
  oscillating series gives one long alert, not a storm.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW_MINUTES = 15
BASELINE_WEEKS = 6
MIN_HISTORY_WEEKS = 2
MIN_HISTORY_MINUTES = 60
BASELINE_DAYS = 7
MIN_VOLUME = 10
OPEN_Z = 4.0
KEEP_Z = 2.0
SHARE_OPEN_MIN = 0.40
SHARE_OPEN_LIFT = 0.20
SHARE_KEEP_LIFT = 0.10
DEFAULT_NEGATIVE_SHARE = 0.15
MIN_SHARE_BASELINE = 30
CALM_MINUTES = 30

VOLUME = "volume"
NEGATIVE_SHARE = "negative_share"
KINDS = (VOLUME, NEGATIVE_SHARE)


@dataclass(frozen=True)
class Thresholds:
    """When an alert opens; it stays open above half of it (hysteresis)."""

    open_z: float = OPEN_Z
    min_volume: int = MIN_VOLUME
    share_open_min: float = SHARE_OPEN_MIN
    share_open_lift: float = SHARE_OPEN_LIFT

    @property
    def keep_z(self) -> float:
        return self.open_z / 2

    @property
    def share_keep_lift(self) -> float:
        return self.share_open_lift / 2


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Counts:
    total: int
    negative: int

    @property
    def share(self) -> float:
        return self.negative / self.total if self.total else 0.0


@dataclass(frozen=True)
class Baseline:
    volume: float  # expected mentions per window
    spread: float
    share: float  # expected negative share
    basis: str  # in words, for the alert and the page


def baseline_weekly(samples: list[Counts], *, bucket_minutes: int) -> Baseline:
    """From the same hour-of-week buckets of past weeks (only weeks the client existed)."""
    scale = WINDOW_MINUTES / bucket_minutes
    volumes = [sample.total * scale for sample in samples]
    median = statistics.median(volumes) if volumes else 0.0
    mad = statistics.median([abs(v - median) for v in volumes]) if volumes else 0.0
    total = sum(sample.total for sample in samples)
    negative = sum(sample.negative for sample in samples)
    return Baseline(
        volume=median,
        spread=_spread(median, 1.4826 * mad),
        share=negative / total if total >= MIN_SHARE_BASELINE else DEFAULT_NEGATIVE_SHARE,
        basis=f"same hour of the week, last {len(samples)} weeks",
    )


def baseline_recent(recent: Counts, *, minutes: float) -> Baseline:
    """Cold start: the last `minutes` (a day) before the window, time of day unaware."""
    rate = recent.total * WINDOW_MINUTES / minutes if minutes > 0 else 0.0
    return Baseline(
        volume=rate,
        spread=_spread(rate, 0.0),
        share=recent.share if recent.total >= MIN_SHARE_BASELINE else DEFAULT_NEGATIVE_SHARE,
        basis="last 24 hours (new client: too little history for weekly baselines)",
    )


def _spread(expected: float, observed: float) -> float:
    return max(observed, math.sqrt(max(expected, 1.0)))


def level(kind: str, window: Counts, baseline: Baseline) -> float:
    """How far above the baseline the window is: spreads (volume) or share points."""
    if kind == VOLUME:
        return (window.total - baseline.volume) / baseline.spread
    return window.share - baseline.share


def is_elevated(
    kind: str,
    window: Counts,
    baseline: Baseline,
    *,
    opening: bool,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> bool:
    """Above the opening threshold (`opening`) or above the lower keep-open one."""
    if window.total < thresholds.min_volume and opening:
        return False
    value = level(kind, window, baseline)
    if kind == VOLUME:
        return value >= (thresholds.open_z if opening else thresholds.keep_z)
    if opening:
        return window.share >= thresholds.share_open_min and value >= thresholds.share_open_lift
    return window.total > 0 and value >= thresholds.share_keep_lift


@dataclass(frozen=True)
class Verdict:
    action: str  # "open", "keep", "calm" (below, waiting), "close" or "none"
    calm_since: datetime | None = None


def verdict(
    kind: str,
    window: Counts,
    baseline: Baseline,
    *,
    is_open: bool,
    calm_since: datetime | None,
    now: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Verdict:
    """What to do with this kind's alert now (the hysteresis lives here)."""
    if not is_open:
        if is_elevated(kind, window, baseline, opening=True, thresholds=thresholds):
            return Verdict("open")
        return Verdict("none")
    if is_elevated(kind, window, baseline, opening=False, thresholds=thresholds):
        return Verdict("keep")
    since = calm_since or now
    if now - since >= timedelta(minutes=CALM_MINUTES):
        return Verdict("close", since)
    return Verdict("calm", since)
