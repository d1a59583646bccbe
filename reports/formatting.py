"""How report figures are written for people, the same on the page, in the PDF, the CSV
tables and the mails: whole percentages, durations in minutes, hours or days, and an en dash
where there is no figure."""

from __future__ import annotations

NO_FIGURE = "\N{EN DASH}"  # shown where there is no figure to show


def pct(value: float | None) -> str:
    """A share (0..1) as a whole percentage; a dash when there is none."""
    return NO_FIGURE if value is None else f"{value:.0%}"


def duration(seconds: float | None) -> str:
    """Seconds as minutes, hours or days for people; a dash when there are none."""
    if seconds is None:
        return NO_FIGURE
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


def count(value: float | None) -> str:
    """A count with thousands separators (0 when there is none)."""
    return f"{int(value or 0):,}"
