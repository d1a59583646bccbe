"""Rising terms and hashtags: words (normalised as problem clusters normalise them) and
hashtags that more of the period's mentions use than the previous period's. Counts are
per mention (a word said five times in one post counts once), over the newest
TERMS_SAMPLE mentions of each period (the answer says when it was sampled, and how many
mentions were read of how many)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from mentions.clusters import text_terms
from mentions.models import Mention
from reports.figures import Period, Slice, summary_total

TERMS_SAMPLE = 5_000
MIN_COUNT = 3  # a term needs this many mentions in the period to be "rising"
_HASHTAG = re.compile(r"#(\w{2,60})", re.UNICODE)


@dataclass(frozen=True)
class TermRow:
    term: str  # as people wrote it (hashtags with their #)
    now: int  # mentions of the period using it
    before: int  # mentions of the previous period using it
    hashtag: bool

    @property
    def growth(self) -> float:
        """How many times more often than before (with one added to both, so a new term
        has a finite growth)."""
        return (self.now + 1) / (self.before + 1)


@dataclass(frozen=True)
class RisingTerms:
    rows: list[TermRow]
    sampled: bool
    # Mentions read for the counts, and the periods' mentions (this period, the previous).
    read: tuple[int, int] = (0, 0)
    mentions: tuple[int, int] = (0, 0)


def _counts(period: Period, slice_: Slice) -> tuple[Counter[str], dict[str, str], int]:
    texts = list(
        slice_.mentions(Mention.objects.all())
        .filter(published_at__gte=period.start, published_at__lt=period.end)
        .order_by("-published_at")
        .values_list("text", flat=True)[:TERMS_SAMPLE]
    )
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for text in texts:
        keys = set()
        tags = _HASHTAG.findall(text[:2000])
        for tag in tags:
            key = "#" + tag.lower()
            keys.add(key)
            surface.setdefault(key, "#" + tag)
        tagged = {tag.lower() for tag in tags}
        for stem, word in text_terms(text).items():
            if word.lower() in tagged:
                continue  # counted as its hashtag
            keys.add(stem)
            surface.setdefault(stem, word)
        counts.update(keys)
    return counts, surface, len(texts)


def rising_terms(*, period: Period, slice_: Slice, limit: int = 15) -> RisingTerms:
    """The terms that rose most against the previous period, most grown first."""
    now, surface, read_now = _counts(period, slice_)
    before, _, read_before = _counts(period.previous(), slice_)
    rows = [
        TermRow(surface[key], n, before.get(key, 0), key.startswith("#"))
        for key, n in now.items()
        if n >= MIN_COUNT and n > before.get(key, 0)
    ]
    rows.sort(key=lambda row: (-row.growth, -row.now, row.term))
    read = (read_now, read_before)
    mentions = read
    if TERMS_SAMPLE in read:
        mentions = (
            summary_total(period=period, slice_=slice_),
            summary_total(period=period.previous(), slice_=slice_),
        )
    return RisingTerms(rows=rows[:limit], sampled=mentions != read, read=read, mentions=mentions)
