"""Time-range bounds in query strings (the inbox's `from` and `to`): whole days in the
reader's zone, or instants, with or without a UTC offset, DST included; anything else is
ignored, never an error."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from frontend.params import form_instant

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("value", "end", "expected"),
    [
        # A day is its midnight, or the next midnight as an end (the day is included).
        ("2026-11-25", False, datetime(2026, 11, 24, 23, 0, tzinfo=UTC)),
        ("2026-11-25", True, datetime(2026, 11, 25, 23, 0, tzinfo=UTC)),
        # The day clocks go back has 25 hours; the end is the next local midnight.
        ("2026-10-25", True, datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),
        # A wall-clock time in the reader's zone, summer and winter.
        ("2026-07-01T10:00", False, datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        ("2026-11-25T10:00", True, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
        ("2026-11-25T10:00:30", False, datetime(2026, 11, 25, 9, 0, 30, tzinfo=UTC)),
        # An offset is exact: the second 02:30 of the night clocks go back.
        ("2026-10-25T02:30+01:00", False, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ("2026-10-25T02:30+02:00", False, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-11-25T09:00Z", False, datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
    ],
)
def test_days_and_instants_become_aware_bounds(value, end, expected):
    assert form_instant(value, zone=BERLIN, end=end) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "2026-13-01",
        "2026-11-25 10:00",
        "2026-11-25T25:00",
        "2026-11-25T10",
        "2026-11-25T10:00+01:00" + "0" * 50,
        "\uff12\uff10\uff12\uff16-11-25T10:00",  # full-width digits
    ],
)
def test_anything_else_is_no_bound(value):
    assert form_instant(value, zone=BERLIN) is None
