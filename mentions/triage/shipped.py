"""The models that ship in the repository (built by `manage.py triage_build`, with model cards).

`en.npz`: English sentiment (airline tweets) and complaint (complaint tweets plus airline
tweets) heads on one shared feature extractor. `de.npz`: German sentiment and rail relevance
(GermEval 2017) heads. See `shipped/MODEL_CARD.md` for data, licences, dates and scores.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from mentions.triage.linear import TextModel

DIRECTORY = Path(__file__).resolve().parent / "shipped"
LANGUAGES = ("en", "de")


def shipped_path(language: str) -> Path:
    return DIRECTORY / f"{language}.npz"


def shipped_model(language: str) -> TextModel | None:
    """The shipped model for a language, loaded once per process (None if there is none)."""
    # Only shipped languages reach the cache: a batch also holds French or Spanish posts,
    # and caching their None beside the two models evicted one of them, so mixed batches
    # decoded a model again (about 60 ms each time).
    return _shipped_model_load(language) if language in LANGUAGES else None


@lru_cache(maxsize=len(LANGUAGES))
def _shipped_model_load(language: str) -> TextModel | None:
    path = shipped_path(language)
    return TextModel.from_bytes(path.read_bytes()) if path.exists() else None
