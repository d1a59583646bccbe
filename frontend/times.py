"""Times as the reader reads them: in their zone (their profile's, else the client's, else
UTC), with the zone named, and relative ("12 min ago", "in 8 min") where that helps.

The middleware (`frontend.middleware.reader_timezone`) activates `reader_zone` for each
request, so Django's `{{ value }}`, `|date` and `localtime` all use it; the `{% when %}` tag
(`frontend.templatetags.lotse`) writes `time_html`, which live.js keeps current."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

UTC = ZoneInfo("UTC")
# Beyond this, "3 weeks ago" says less than the date itself.
RELATIVE_LIMIT_DAYS = 7


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone called `name`, or None when blank or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def reader_zone(*, profile_zone: str | None, client_zone: str | None) -> ZoneInfo:
    """The zone a person reads times in: their profile's, else their client's, else UTC."""
    return zone_named(profile_zone) or zone_named(client_zone) or UTC


def active_zone() -> ZoneInfo:
    """The zone the middleware activated for this request (the reader's)."""
    zone = timezone.get_current_timezone()
    return zone if isinstance(zone, ZoneInfo) else UTC


def _span(minutes: int) -> str:
    if minutes < 90:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{round(minutes / 60)} h"
    return f"{round(minutes / 1440)} d"


def relative_text(*, at: datetime, now: datetime) -> str:
    """`at` from `now`: "just now", "12 min ago", "in 8 min", "3 h ago", "2 d ago"; "" when
    more than a week away (then the date says more)."""
    seconds = (at - now).total_seconds()
    if abs(seconds) > RELATIVE_LIMIT_DAYS * 86400:
        return ""
    minutes = round(abs(seconds) / 60)
    if minutes < 1:
        return "just now"
    return f"in {_span(minutes)}" if seconds > 0 else f"{_span(minutes)} ago"


def sla_text(*, due: datetime, paused: bool, now: datetime) -> str:
    """An SLA clock as live.js keeps it: "due in 8 min", "overdue 5 min" or "paused"."""
    if paused:
        return "paused"
    minutes = round((due - now).total_seconds() / 60)
    return f"overdue {_span(-minutes)}" if minutes < 0 else f"due in {_span(minutes)}"


# Django's date format letters the pages use, read without its per-letter lookups (a page
# formats a few hundred times; `django.utils.dateformat` costs about 45 µs a time).
_FAST_LETTERS = frozenset("dDjMYHiT")
_SPLIT = re.compile(r"([dDjMYHiT])")


@functools.lru_cache(maxsize=8)
def _names(language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Weekday (Monday first) and month abbreviations in the active language, as Django's
    `D` and `M` write them."""
    return (
        tuple(str(WEEKDAYS_ABBR[day]) for day in range(7)),
        ("", *(str(MONTHS_3[month]).title() for month in range(1, 13))),
    )


@functools.lru_cache(maxsize=32)
def _pieces(pattern: str) -> tuple[str, ...] | None:
    """The pattern split into literals and letters, or None when it uses other letters."""
    if any((ch.isalpha() and ch not in _FAST_LETTERS) or ch == "\\" for ch in pattern):
        return None
    return tuple(_SPLIT.split(pattern))


def format_local(local: datetime, pattern: str) -> str:
    """`django.utils.dateformat.format(local, pattern)` for an aware `local`, faster for
    patterns of the letters d D j M Y H i T (others go to Django)."""
    pieces = _pieces(pattern)
    zone = local.tzinfo
    if pieces is None or zone is None:
        return date_format(local, pattern)
    weekdays, months = _names(translation.get_language())
    # As Django: no abbreviation for an ambiguous or skipped local time.
    ambiguous = zone.utcoffset(local.replace(fold=not local.fold)) != zone.utcoffset(local)
    values = {
        "d": f"{local.day:02d}",
        "D": weekdays[local.weekday()],
        "j": str(local.day),
        "M": months[local.month],
        "Y": f"{local.year:04d}",
        "H": f"{local.hour:02d}",
        "i": f"{local.minute:02d}",
        "T": "" if ambiguous else str(zone.tzname(local)),
    }
    return "".join(values[piece] if i % 2 else piece for i, piece in enumerate(pieces))


def absolute_text(*, at: datetime, pattern: str = "d M H:i T") -> str:
    """`at` in the active zone (the reader's), the zone's abbreviation included."""
    return format_local(timezone.localtime(at), pattern)


def full_text(*, at: datetime) -> str:
    """The unambiguous form for tooltips: "Sun 6 Dec 2026, 14:05 CET (Europe/Berlin)"."""
    local = timezone.localtime(at)
    return f"{format_local(local, 'D j M Y, H:i T')} ({timezone.get_current_timezone_name()})"


def time_html(
    *, at: datetime | None, relative: bool = False, now: datetime | None = None
) -> SafeString:
    """A `<time>` element: the exact instant in `datetime`, the full form as its title, and
    as text the relative form (when asked and near) or the short absolute one with zone."""
    if at is None:
        return format_html("{}", "—")
    text = relative_text(at=at, now=now or timezone.now()) if relative else ""
    return format_html(
        '<time datetime="{}" title="{}"{}>{}</time>',
        at.astimezone(UTC).isoformat(),
        full_text(at=at),
        mark_safe(" data-relative") if relative else "",
        text or absolute_text(at=at),
    )
