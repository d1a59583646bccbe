"""Reading numbers from forms and query strings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo


def form_int(value: str | None) -> int | None:
    """A whole number typed or sent in a form: ASCII digits only, small enough for a database
    id or count. Anything else ("", "²", "-1", a 5,000-digit string) is None, never a 500."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def form_date(value: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) from a form or query string, or None."""
    value = (value or "").strip()
    if len(value) != 10 or not value.isascii():
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def form_instant(value: str | None, *, zone: tzinfo, end: bool = False) -> datetime | None:
    """A bound of a time range from a query string, as an aware datetime, or None.

    A date (YYYY-MM-DD) is a whole day in `zone`: its midnight, or with `end` the next
    midnight (a last day is included). A date and time (YYYY-MM-DDTHH:MM, seconds allowed)
    is that instant: with a UTC offset ("+01:00", "Z") exactly, without one a wall-clock
    time in `zone` (an end is excluded)."""
    day = form_date(value)
    if day is not None:
        return datetime.combine(day + timedelta(days=1) if end else day, time(), zone)
    value = (value or "").strip()
    if not 16 <= len(value) <= 25 or not value.isascii() or value[10] != "T":
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=zone)


def form_float(value: str | None) -> float | None:
    """A decimal number typed in a form ("4", "2.5", "2,5"), finite and short, or None."""
    value = (value or "").strip().replace(",", ".")
    if not value or len(value) > 20 or not value.isascii():
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None
