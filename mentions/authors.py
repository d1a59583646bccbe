"""The author side of storing a batch: two bulk statements per batch, never one per author
(each takes its rows as one JSON parameter: psycopg quotes Python lists element by element).

1. `authors_upsert` before routing: inserts new authors, updates names, and returns each
   author with a preview of their influence that already counts this batch (its profile
   numbers and mentions), so routing rules on influence and segment see it.
2. `authors_count_stored` after the mentions are inserted: writes the profile numbers
   (followers, following, posts; an unknown count never erases a known one), adds what was
   really stored (duplicates do not count) to the counters, and recomputes influence and
   segment in SQL (mentions/influence.py, the same formula as the preview).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.backends.utils import CursorWrapper

from mentions.influence import (
    REPOST_WEIGHT,
    Influence,
    average_engagement,
    influence_score,
    influence_sql,
    topic_decay,
    topic_decay_sql,
)


@dataclass(frozen=True)
class AuthorNow:
    id: int
    followers: int
    influence: Influence
    # What this batch says about the profile (None: unknown or older than the one held,
    # keep the stored value), and when that profile was seen (its post's publication).
    profile: tuple[int | None, int | None, int | None]
    profile_seen_at: datetime | None = None
    # The name the author row holds after the upsert (the mention's search text has it).
    name: str = ""


@dataclass
class _Tally:
    n: int = 0
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    engaged: int = 0

    def add(self, item: dict[str, Any]) -> None:
        self.n += 1
        engagement = item.get("engagement")
        if engagement:
            self.likes += engagement.get("likes") or 0
            self.reposts += engagement.get("reposts") or 0
            self.replies += engagement.get("replies") or 0
            self.engaged += 1


# The name changes only with a profile at least as new as the one held (profile_seen_at is
# left as it was here and moved on by _COUNT_STORED, so RETURNING shows the held one).
_UPSERT = """
INSERT INTO mentions_author
    (network, handle, name, followers, following, posts_count, mention_count, first_seen_at,
     last_seen_at, likes_total, reposts_total, replies_total, engaged_mentions,
     recent_mentions, influence, segment, profile_seen_at)
SELECT %s, handle, name, COALESCE(followers, 0), following, posts, 0, %s, %s, 0, 0, 0, 0, 0,
       0, 'regular', seen
FROM json_to_recordset(%s::json)
    AS t(handle text, name text, followers bigint, following bigint, posts bigint,
         seen timestamptz)
ON CONFLICT (network, handle) DO UPDATE SET
    name = CASE
        WHEN mentions_author.profile_seen_at IS NULL
             OR EXCLUDED.profile_seen_at >= mentions_author.profile_seen_at
        THEN COALESCE(NULLIF(EXCLUDED.name, ''), mentions_author.name)
        ELSE mentions_author.name END,
    last_seen_at = GREATEST(mentions_author.last_seen_at, EXCLUDED.last_seen_at)
RETURNING id, handle, followers, following, posts_count, recent_mentions, recent_at,
          likes_total, reposts_total, replies_total, engaged_mentions, profile_seen_at, name
"""

_SCORE, _SEGMENT = influence_sql(
    followers="n.followers",
    following="n.following",
    posts="n.posts_count",
    topic="n.recent_mentions",
    engagement="n.engagement",
)

# Profile counts are written here rather than in the upsert: the upsert cannot tell an
# unknown follower count (null) from a known 0 once NOT NULL has made it 0.
# Only constants of mentions.influence are formatted in (S608).
_COUNT_STORED = f"""
UPDATE mentions_author AS a SET
    profile_seen_at = n.profile_seen_at,
    followers = n.followers,
    following = n.following,
    posts_count = n.posts_count,
    mention_count = n.mention_count,
    recent_mentions = n.recent_mentions,
    recent_at = n.now,
    likes_total = n.likes_total,
    reposts_total = n.reposts_total,
    replies_total = n.replies_total,
    engaged_mentions = n.engaged_mentions,
    influence = {_SCORE},
    segment = {_SEGMENT}
FROM (
    SELECT s.*, CASE WHEN s.engaged_mentions > 0 THEN
               (s.likes_total + {REPOST_WEIGHT!r} * s.reposts_total + s.replies_total)::float8
               / s.engaged_mentions END AS engagement
    FROM (
        SELECT a0.id, c.now,
               GREATEST(a0.profile_seen_at, t.seen) AS profile_seen_at,
               COALESCE(t.followers, a0.followers) AS followers,
               COALESCE(t.following, a0.following) AS following,
               COALESCE(t.posts, a0.posts_count) AS posts_count,
               a0.mention_count + t.n AS mention_count,
               {topic_decay_sql(count="a0.recent_mentions", since="a0.recent_at", now="c.now")}
                   + t.n AS recent_mentions,
               a0.likes_total + t.likes AS likes_total,
               a0.reposts_total + t.reposts AS reposts_total,
               a0.replies_total + t.replies AS replies_total,
               a0.engaged_mentions + t.engaged AS engaged_mentions
        FROM json_to_recordset(%s::json)
            AS t(author_id bigint, followers bigint, following bigint, posts bigint, n int,
                 likes bigint, reposts bigint, replies bigint, engaged int,
                 seen timestamptz)
        JOIN mentions_author AS a0 ON a0.id = t.author_id
        CROSS JOIN (SELECT %s::timestamptz AS now) AS c
    ) AS s
) AS n
WHERE a.id = n.id
"""  # noqa: S608


def authors_upsert(
    cursor: CursorWrapper, *, network: str, items: list[dict[str, Any]], now: datetime
) -> dict[str, AuthorNow]:
    """Upsert the authors of `items` (one statement); handle -> id, followers, influence."""
    profiles: dict[str, dict[str, Any]] = {}
    tallies: dict[str, _Tally] = {}
    seen: dict[str, datetime] = {}
    # The newest post's profile wins (a batch is not always in publication order).
    for item in sorted(items, key=_published):
        author = item["author"]
        handle = author["handle"]
        seen[handle] = _published(item)
        previous = profiles.get(handle, {})
        # The latest item's profile wins, but a blank name or an unknown count never erases
        # a known one.
        profiles[handle] = {
            "name": author.get("name") or previous.get("name", ""),
            **{
                key: author.get(key) if author.get(key) is not None else previous.get(key)
                for key in ("followers", "following", "posts")
            },
        }
        tallies.setdefault(handle, _Tally()).add(item)
    # One lock order for every worker (sorted handles): no deadlocks.
    handles = sorted(profiles)
    rows = [
        {
            "handle": h,
            "name": profiles[h]["name"],
            "followers": profiles[h]["followers"],
            "following": profiles[h]["following"],
            "posts": profiles[h]["posts"],
            "seen": seen[h].isoformat(),
        }
        for h in handles
    ]
    cursor.execute(_UPSERT, [network, now, now, json.dumps(rows, ensure_ascii=False)])
    result: dict[str, AuthorNow] = {}
    for row in cursor.fetchall():
        author_id, handle, followers, following, posts, recent, recent_at = row[:7]
        likes, reposts, replies, engaged, held_at, name = row[7:]
        tally = tallies[handle]
        profile = profiles[handle]
        if held_at is not None and seen[handle] < held_at:
            # An older observation (a late or replayed post): the held profile stands.
            profile = {**profile, "followers": None, "following": None, "posts": None}
        if profile["followers"] is not None:
            followers = profile["followers"]
        following = _known(profile["following"], following)
        posts = _known(profile["posts"], posts)
        seconds = (now - recent_at).total_seconds() if recent_at is not None else 0.0
        result[handle] = AuthorNow(
            id=author_id,
            followers=followers,
            profile=(profile["followers"], profile["following"], profile["posts"]),
            profile_seen_at=seen[handle],
            name=name,
            influence=influence_score(
                followers=followers,
                following=following,
                posts=posts,
                topic_mentions=topic_decay(count=recent, seconds=seconds) + tally.n,
                engagement=average_engagement(
                    likes=likes + tally.likes,
                    reposts=reposts + tally.reposts,
                    replies=replies + tally.replies,
                    engaged_mentions=engaged + tally.engaged,
                ),
            ),
        )
    return result


def authors_count_stored(
    cursor: CursorWrapper,
    *,
    authors: dict[str, AuthorNow],
    stored: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Count the stored items into their authors and recompute influence and segment for
    every author of the batch (one statement; profile changes count even when all of an
    author's items were duplicates)."""
    tallies = {handle: _Tally() for handle in authors}
    for item in stored:
        tallies[item["author"]["handle"]].add(item)
    handles = sorted(authors)
    rows = []
    for h in handles:
        author, tally = authors[h], tallies[h]
        seen = author.profile_seen_at
        rows.append(
            {
                "author_id": author.id,
                "followers": author.profile[0],
                "following": author.profile[1],
                "posts": author.profile[2],
                "n": tally.n,
                "likes": tally.likes,
                "reposts": tally.reposts,
                "replies": tally.replies,
                "engaged": tally.engaged,
                "seen": seen.isoformat() if seen is not None else None,
            }
        )
    cursor.execute(_COUNT_STORED, [json.dumps(rows), now])


def _published(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["published_at"])


def _known(value: int | None, stored: int | None) -> int | None:
    return stored if value is None else value
