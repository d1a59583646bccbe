"""An author's influence (0..1) and segment, from the numbers we know about them.

The formula is written once (`_formula`) and evaluated two ways: on Python numbers by
`influence_score` (triage, routing previews, tests) and as a SQL expression by
`influence_sql` (the bulk author update in `mentions.pipeline.mentions_store`, which runs
for thousands of mentions per second and must stay one statement per batch). A test checks
that both give the same figures.

Components, each scaled to 0..1 and log-scaled because all of these numbers are heavy-tailed
(10 → 100 followers matters as much as 100k → 1M):

- reach: followers, log10(1 + followers) / 6, so one million followers is full reach.
- following ratio: followers per account followed, log10((followers+1)/(following+1)),
  mapped from 1:10 (0) to 100:1 (1). Follow-back farms have many followers and a ratio near
  1; people others choose to follow have a high ratio. Unknown following counts as neutral
  (0.5), so networks that do not tell us are neither rewarded nor punished.
- activity: how much the account writes at all (statuses count, log10(1 + posts) / 5, so
  100k posts is full) and how much it writes about this client (mentions in a recent window,
  log10(1 + n) / log10(21), so 20 recent mentions is full). The recent window is an
  exponentially decayed count with a half-life of TOPIC_HALF_LIFE_DAYS: old mentions fade
  out smoothly without storing per-day counts.
- engagement rate: average likes + 2 x reposts + replies per mention, per follower (with 100
  pseudo-followers so a new account with two likes is not a star); 5 % is full. Reposts count
  twice because they carry the mention to new audiences.

Weights: reach 0.40, ratio 0.15, activity 0.10, topic 0.15, engagement 0.20 (they sum to 1).
Reach dominates because the care question is "how many people see this"; engagement is next
because it shows that people listen.

Segments (the words of the source material):
- "mass_connector": spreads: at least CONNECTOR_MIN_FOLLOWERS followers, and (when known) at
  least CONNECTOR_MIN_RATIO times as many followers as accounts followed.
- "mass_maven": writes a lot about the topic: at least MAVEN_MIN_TOPIC_MENTIONS mentions in
  the recent window (decayed count).
- "regular": everyone else. A connector who also writes a lot is a connector (reach is what
  PR acts on first).

These are constants, not settings: they define what the labels mean in reports and routing
rules, so every client must get the same meaning; change them here, with the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

MASS_CONNECTOR = "mass_connector"
MASS_MAVEN = "mass_maven"
REGULAR = "regular"
SEGMENTS = (MASS_CONNECTOR, MASS_MAVEN, REGULAR)

CONNECTOR_MIN_FOLLOWERS = 10_000
CONNECTOR_MIN_RATIO = 2.0
MAVEN_MIN_TOPIC_MENTIONS = 5.0
TOPIC_HALF_LIFE_DAYS = 14.0

FULL_REACH_LOG = 6.0  # 10^6 followers
FULL_POSTS_LOG = 5.0  # 10^5 posts
FULL_TOPIC_MENTIONS = 20.0
FULL_ENGAGEMENT_RATE = 0.05
ENGAGEMENT_PSEUDO_FOLLOWERS = 100.0
REPOST_WEIGHT = 2.0

W_REACH = 0.40
W_RATIO = 0.15
W_ACTIVITY = 0.10
W_TOPIC = 0.15
W_ENGAGEMENT = 0.20


class _Ops(Protocol):
    def log10p(self, x: Any) -> Any: ...  # log10(1 + x)
    def log10(self, x: Any) -> Any: ...
    def clamp01(self, x: Any) -> Any: ...
    def known(self, x: Any, then: Callable[[Any], Any], otherwise: float) -> Any: ...
    def num(self, x: float) -> Any: ...


def _formula(
    o: _Ops, *, followers: Any, following: Any, posts: Any, topic: Any, engagement: Any
) -> Any:
    reach = o.clamp01(o.log10p(followers) / FULL_REACH_LOG)
    ratio = o.known(
        following,
        lambda f: o.clamp01((o.log10((followers + 1) / (f + 1)) + 1) / 3),
        0.5,
    )
    activity = o.known(posts, lambda p: o.clamp01(o.log10p(p) / FULL_POSTS_LOG), 0.0)
    topic_part = o.clamp01(o.log10p(topic) / math.log10(1 + FULL_TOPIC_MENTIONS))
    full = math.log10(1 + 1000 * FULL_ENGAGEMENT_RATE)
    engaged = o.known(
        engagement,
        lambda e: o.clamp01(
            o.log10p(o.num(1000.0) * e / (followers + ENGAGEMENT_PSEUDO_FOLLOWERS)) / full
        ),
        0.0,
    )
    return (
        W_REACH * reach
        + W_RATIO * ratio
        + W_ACTIVITY * activity
        + W_TOPIC * topic_part
        + W_ENGAGEMENT * engaged
    )


class _PythonOps:
    def log10p(self, x: float) -> float:
        return math.log10(1 + max(x, 0.0))

    def log10(self, x: float) -> float:
        return math.log10(x)

    def clamp01(self, x: float) -> float:
        return min(max(x, 0.0), 1.0)

    def known(self, x: float | None, then: Callable[[float], float], otherwise: float) -> float:
        return otherwise if x is None else then(x)

    def num(self, x: float) -> float:
        return x


@dataclass(frozen=True)
class _Sql:
    """A SQL expression that composes with Python's arithmetic operators."""

    text: str

    @staticmethod
    def of(value: Any) -> _Sql:
        return value if isinstance(value, _Sql) else _Sql(f"{float(value)!r}::float8")

    def _op(self, op: str, other: Any, *, swap: bool = False) -> _Sql:
        left, right = (_Sql.of(other), self) if swap else (self, _Sql.of(other))
        return _Sql(f"({left.text} {op} {right.text})")

    def __add__(self, other: Any) -> _Sql:
        return self._op("+", other)

    def __radd__(self, other: Any) -> _Sql:
        return self._op("+", other, swap=True)

    def __sub__(self, other: Any) -> _Sql:
        return self._op("-", other)

    def __mul__(self, other: Any) -> _Sql:
        return self._op("*", other)

    def __rmul__(self, other: Any) -> _Sql:
        return self._op("*", other, swap=True)

    def __truediv__(self, other: Any) -> _Sql:
        return self._op("/", other)


class _SqlOps:
    def log10p(self, x: _Sql) -> _Sql:
        return _Sql(f"log(1 + GREATEST({x.text}, 0))")

    def log10(self, x: _Sql) -> _Sql:
        return _Sql(f"log({x.text})")

    def clamp01(self, x: _Sql) -> _Sql:
        return _Sql(f"LEAST(GREATEST({x.text}, 0), 1)")

    def known(self, x: _Sql, then: Callable[[_Sql], _Sql], otherwise: float) -> _Sql:
        return _Sql(f"(CASE WHEN {x.text} IS NULL THEN {otherwise!r} ELSE {then(x).text} END)")

    def num(self, x: float) -> _Sql:
        return _Sql.of(x)


def average_engagement(
    *, likes: int, reposts: int, replies: int, engaged_mentions: int
) -> float | None:
    """Average engagement per mention whose engagement we know (None if we know none)."""
    if engaged_mentions <= 0:
        return None
    return (likes + REPOST_WEIGHT * reposts + replies) / engaged_mentions


def segment_for(*, followers: int, following: int | None, topic_mentions: float) -> str:
    if followers >= CONNECTOR_MIN_FOLLOWERS and (
        following is None or followers >= CONNECTOR_MIN_RATIO * following
    ):
        return MASS_CONNECTOR
    if topic_mentions >= MAVEN_MIN_TOPIC_MENTIONS:
        return MASS_MAVEN
    return REGULAR


@dataclass(frozen=True)
class Influence:
    score: float
    segment: str


def influence_score(
    *,
    followers: int,
    following: int | None = None,
    posts: int | None = None,
    topic_mentions: float = 0.0,
    engagement: float | None = None,
) -> Influence:
    """Score (0..1) and segment of an author. `engagement` is the average engagement per
    mention (see `average_engagement`); None (unknown) counts as no evidence."""
    score = _formula(
        _PythonOps(),
        followers=float(max(followers, 0)),
        following=None if following is None else float(following),
        posts=None if posts is None else float(posts),
        topic=float(topic_mentions),
        engagement=engagement,
    )
    segment = segment_for(followers=followers, following=following, topic_mentions=topic_mentions)
    return Influence(score=round(score, 6), segment=segment)


def topic_decay(*, count: float, seconds: float) -> float:
    """The recent-mention count `seconds` later (exponential decay)."""
    return count * 0.5 ** (max(seconds, 0.0) / (TOPIC_HALF_LIFE_DAYS * 86_400))


def topic_decay_sql(*, count: str, since: str, now: str) -> str:
    """SQL for `topic_decay` over columns/placeholders (`since` NULL means no history)."""
    half_life = TOPIC_HALF_LIFE_DAYS * 86_400
    return (
        f"(COALESCE({count}, 0) * power(0.5, GREATEST(EXTRACT(EPOCH FROM ({now} - "
        f"COALESCE({since}, {now}))), 0) / {half_life!r}))"
    )


def influence_sql(
    *, followers: str, following: str, posts: str, topic: str, engagement: str
) -> tuple[str, str]:
    """SQL expressions for (score, segment) over the given column expressions."""
    score = _formula(
        _SqlOps(),
        followers=_Sql(f"({followers})::float8"),
        following=_Sql(f"({following})::float8"),
        posts=_Sql(f"({posts})::float8"),
        topic=_Sql(f"({topic})::float8"),
        engagement=_Sql(f"({engagement})::float8"),
    )
    segment = (
        f"CASE WHEN {followers} >= {CONNECTOR_MIN_FOLLOWERS} AND ({following} IS NULL OR "
        f"{followers} >= {CONNECTOR_MIN_RATIO!r} * {following}) THEN '{MASS_CONNECTOR}' "
        f"WHEN {topic} >= {MAVEN_MIN_TOPIC_MENTIONS!r} THEN '{MASS_MAVEN}' "
        f"ELSE '{REGULAR}' END"
    )
    return f"round(({score.text})::numeric, 6)::float8", segment


def influence_of_author(author: dict[str, Any]) -> dict[str, Any]:
    """For the triage batch interface (`manage.py triage_jsonl`): score and segment from an
    item's author in the mention format, knowing only what that one item says (no history,
    no engagement)."""

    def count(key: str) -> int | None:
        value = author.get(key)
        if isinstance(value, bool):
            return None
        try:
            number = int(value) if value is not None else None
        except (TypeError, ValueError):
            return None
        return None if number is None or number < 0 else number

    found = influence_score(
        followers=count("followers") or 0, following=count("following"), posts=count("posts")
    )
    return {"score": round(found.score, 4), "segment": found.segment}
