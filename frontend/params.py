"""Reading numbers from forms and query strings."""

from __future__ import annotations


def form_int(value: str | None) -> int | None:
    """A whole number typed or sent in a form: ASCII digits only, small enough for a database
    id or count. Anything else ("", "²", "-1", a 5,000-digit string) is None, never a 500."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
