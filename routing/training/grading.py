"""Pure training arithmetic: grading a quiz, the attempt limit with its cool-down, and when
a certificate expires (in the client's time zone). No database access."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuestionKey:
    id: int
    multiple: bool
    correct: frozenset[int]


@dataclass(frozen=True)
class Grade:
    score: float  # 0..1
    passed: bool
    results: dict[int, bool]  # question id → fully right
    points: dict[int, float]  # question id → 0..1


def question_points(key: QuestionKey, chosen: Collection[int]) -> float:
    """Single choice: 1 for the right choice, else 0. Multiple choice: each right choice
    earns a share, each wrong one takes a share back (never below 0)."""
    picked = set(chosen)
    if not key.correct:
        return 1.0 if not picked else 0.0
    if not key.multiple:
        return 1.0 if picked == set(key.correct) else 0.0
    right = len(picked & key.correct)
    wrong = len(picked - key.correct)
    return max(0.0, (right - wrong) / len(key.correct))


def quiz_grade(
    *, keys: Sequence[QuestionKey], answers: Mapping[int, Collection[int]], pass_mark: float
) -> Grade:
    """Score the answers (unanswered questions earn nothing) against the pass mark."""
    points = {key.id: question_points(key, answers.get(key.id, ())) for key in keys}
    results = {key.id: set(answers.get(key.id, ())) == set(key.correct) for key in keys}
    score = round(sum(points.values()) / len(keys), 4) if keys else 0.0
    return Grade(
        score=score, passed=bool(keys) and score >= pass_mark - 1e-9, results=results, points=points
    )


def attempt_blocked_until(
    *, failed_at: Sequence[datetime], max_attempts: int, cooldown: timedelta, now: datetime
) -> datetime | None:
    """When the next attempt is allowed, or None when it is allowed now: at most
    `max_attempts` failed attempts within any cool-down window (0 = no limit)."""
    if max_attempts <= 0:
        return None
    recent = sorted(at for at in failed_at if at > now - cooldown)
    if len(recent) < max_attempts:
        return None
    return recent[len(recent) - max_attempts] + cooldown


def months_add(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def certificate_expiry(*, issued_at: datetime, months: int, time_zone: str) -> datetime:
    """Valid through the whole day, in the client's time zone, `months` after the day of
    issue (31 January + 1 month → through 28/29 February)."""
    zone = ZoneInfo(time_zone or "UTC")
    day = months_add(issued_at.astimezone(zone).date(), months)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
