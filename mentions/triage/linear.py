"""Word and character n-gram models: the triage workhorse, trained here and stored as plain arrays.

A `Features` extractor turns prepared text into TF-IDF word 1-2-grams plus character 2-4-grams
(within words). A `LinearHead` is one classifier on those features. Training fits three linear
learners on the same features (logistic regression, a linear SVM and NB-LR, i.e. logistic
regression on naive-Bayes log-count-ratio scaled features, Wang & Manning 2012), standardises
each one's decision scores and averages them. The average of linear scores is itself linear, so
the ensemble is stored and applied as one weight matrix: three learners' quality at one
learner's cost.

Models serialise to `.npz` bytes with `allow_pickle=False` (vocabularies as JSON text, weights
as float arrays): loading a client's model from the database never runs code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from mentions.triage.text import prepare, tokenize

FORMAT = "lotse-linear-1"
# Character n-gram lengths; the extractor's speed is dominated by these.
CHAR_NGRAMS = (2, 4)


def _word_vectorizer(**kwargs: Any) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        sublinear_tf=True,
        dtype=np.float32,
        **kwargs,
    )


def _char_vectorizer(**kwargs: Any) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=CHAR_NGRAMS,
        lowercase=False,
        sublinear_tf=True,
        dtype=np.float32,
        **kwargs,
    )


_CHAR_CACHE_WORDS = 300_000


def _char_wb_ngrams(word: str, low: int, high: int) -> list[str]:
    """scikit-learn's `char_wb` n-grams of one word (padded with spaces)."""
    padded = f" {word} "
    length = len(padded)
    grams = []
    for n in range(low, high + 1):
        offset = 0
        grams.append(padded[offset : offset + n])
        while offset + n < length:
            offset += 1
            grams.append(padded[offset : offset + n])
        if offset == 0:  # a short word counts once
            break
    return grams


class Features:
    """Prepared text → sparse TF-IDF features (word 1-2-grams and char 2-4-grams)."""

    def __init__(self, word: TfidfVectorizer, char: TfidfVectorizer) -> None:
        self.word = word
        self.char = char
        self._char_ids: dict[str, bytes] = {}
        self._pairs_closed: bool | None = None

    @classmethod
    def fit(cls, texts: Sequence[str], *, min_df: int | None = None) -> Features:
        prepared = [prepare(t) for t in texts]
        # Rare n-grams are noise and bloat the model; tiny label sets keep everything.
        min_df = min_df if min_df is not None else (2 if len(prepared) >= 300 else 1)
        word = _word_vectorizer(min_df=min_df)
        char = _char_vectorizer(min_df=min_df)
        word.fit(prepared)
        char.fit(prepared)
        return cls(word, char)

    @property
    def size(self) -> int:
        return len(self.word.vocabulary_) + len(self.char.vocabulary_)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        prepared = [prepare(t) for t in texts]
        return self.transform_prepared(prepared)

    def transform_prepared(self, prepared: Sequence[str]) -> sp.csr_matrix:
        return sp.hstack([self._word_tfidf(prepared), self._char_tfidf(prepared)], format="csr")

    def _word_tfidf(self, prepared: Sequence[str]) -> sp.csr_matrix:
        """What `self.word.transform` returns, with the counting done in one loop.

        scikit-learn builds every n-gram of a post as a string and counts them in a dict per
        post; here the words are looked up, and a pair only when both of its words are known
        (a pair seen in enough posts is made of words seen in as many, `_pairs_need_words`).
        The counts go through scikit-learn's own TF-IDF step: the same matrix to the last bit
        (a test holds them equal).
        """
        vocabulary = self.word.vocabulary_
        known = vocabulary.get
        pairs_need_words = self._pairs_need_words()
        columns: list[int] = []
        row_ends = [0]
        for document in prepared:
            tokens = tokenize(document)
            ids = list(map(known, tokens))
            columns += [i for i in ids if i is not None]
            pairs = [
                known(f"{left} {right}")
                for left, right, left_id, right_id in zip(
                    tokens, tokens[1:], ids, ids[1:], strict=False
                )
                if not pairs_need_words or (left_id is not None and right_id is not None)
            ]
            columns += [i for i in pairs if i is not None]
            row_ends.append(len(columns))
        counts = sp.csr_array(
            (
                np.ones(len(columns), dtype=np.float32),
                np.asarray(columns, dtype=np.int32),
                np.asarray(row_ends, dtype=np.int32),
            ),
            shape=(len(prepared), len(vocabulary)),
        )
        counts.sum_duplicates()  # counts per column, indices sorted: scikit-learn's matrix
        return self.word._tfidf.transform(counts, copy=False)

    def _pairs_need_words(self) -> bool:
        """Whether every word pair in the vocabulary is made of two words in it (as fitting
        with a minimum document frequency makes it), so an unknown word ends no known pair."""
        if self._pairs_closed is None:
            vocabulary = self.word.vocabulary_
            self._pairs_closed = all(
                all(word in vocabulary for word in gram.split(" "))
                for gram in vocabulary
                if " " in gram
            )
        return self._pairs_closed

    def _char_tfidf(self, prepared: Sequence[str]) -> sp.csr_matrix:
        """What `self.char.transform` returns, computed word by word with a cache.

        Character n-grams "within words" depend on the word alone, and posts repeat words
        (Zipf), so each word's feature ids are looked up once per process instead of once
        per occurrence: the same matrix as scikit-learn's (a test holds them equal), about
        three times faster. TF-IDF as scikit-learn does it: sublinear counts, IDF, L2.
        """
        cache = self._char_ids
        if len(cache) > _CHAR_CACHE_WORDS:
            cache.clear()
        vocabulary = self.char.vocabulary_
        low, high = self.char.ngram_range
        # Each word's ids as int32 bytes: a post's ids are joined without a Python int each
        # (turning a list of a million ids into an array cost more than finding them).
        rows: list[bytes] = []
        row_ends = [0]
        end = 0
        for document in prepared:
            words = document.split()
            try:
                row = b"".join(map(cache.__getitem__, words))
            except KeyError:  # a word not seen before
                for word in words:
                    if word not in cache:
                        cache[word] = np.asarray(
                            [
                                vocabulary[gram]
                                for gram in _char_wb_ngrams(word, low, high)
                                if gram in vocabulary
                            ],
                            dtype=np.int32,
                        ).tobytes()
                row = b"".join(map(cache.__getitem__, words))
            rows.append(row)
            end += len(row) // 4
            row_ends.append(end)
        columns = np.frombuffer(bytearray(b"".join(rows)), dtype=np.int32)
        counts = sp.csr_matrix(
            (
                np.ones(len(columns), dtype=np.float32),
                columns,
                np.asarray(row_ends, dtype=np.int64),
            ),
            shape=(len(prepared), len(vocabulary)),
        )
        counts.sum_duplicates()  # also sorts the indices
        np.log(counts.data, out=counts.data)
        counts.data += 1.0
        counts.data *= self.char.idf_.astype(np.float32)[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        counts.data /= np.repeat(norms, np.diff(counts.indptr)).astype(np.float32)
        return counts

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        arrays = {}
        for name, vectorizer in (("word", self.word), ("char", self.char)):
            vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            arrays[f"{prefix}{name}_vocab"] = np.frombuffer(
                json.dumps(vocabulary, ensure_ascii=False).encode(), dtype=np.uint8
            )
            arrays[f"{prefix}{name}_idf"] = vectorizer.idf_.astype(np.float32)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> Features:
        built = []
        for name, make in (("word", _word_vectorizer), ("char", _char_vectorizer)):
            words = json.loads(bytes(arrays[f"{prefix}{name}_vocab"]).decode())
            vectorizer = make(vocabulary={w: i for i, w in enumerate(words)})
            vectorizer.idf_ = arrays[f"{prefix}{name}_idf"].astype(np.float32)
            built.append(vectorizer)
        return cls(*built)


@dataclass
class LinearHead:
    """One classifier: labels and a weight matrix over the features (one row per label; a
    single row for two labels, scoring the second)."""

    labels: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def scores(self, X: sp.csr_matrix) -> np.ndarray:
        raw = np.asarray(X @ self.coef.T, dtype=np.float64) + self.intercept
        if len(self.labels) == 2:
            raw = np.column_stack([-raw[:, 0], raw[:, 0]])
        return raw

    def probabilities(self, X: sp.csr_matrix) -> np.ndarray:
        """Softmax over the ensemble's (standardised, averaged) scores: a confidence, not a
        calibrated probability."""
        raw = self.scores(X)
        raw -= raw.max(axis=1, keepdims=True)
        exp = np.exp(raw)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X: sp.csr_matrix) -> list[str]:
        return [self.labels[i] for i in self.scores(X).argmax(axis=1)]


def _nb_ratio(X: sp.csr_matrix, positive: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    binary = X.copy()
    binary.data[:] = 1
    p = alpha + np.asarray(binary[positive].sum(axis=0)).ravel()
    q = alpha + np.asarray(binary[~positive].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def _one_vs_rest(scores: np.ndarray, n_labels: int) -> np.ndarray:
    """sklearn's binary learners give one column; make it (n, 1) for two labels."""
    return scores.reshape(len(scores), -1) if n_labels == 2 else scores


def train_head(
    X: sp.csr_matrix,
    y: Sequence[str],
    *,
    balanced: bool = True,
    lr_c: float = 10.0,
    svc_c: float = 0.1,
    nb_c: float = 4.0,
) -> LinearHead:
    """Fit LR, linear SVM and NB-LR on X and fold them into one standardised linear head."""
    labels = sorted(set(y))
    if len(labels) < 2:
        raise ValueError("need at least two different labels to train")
    target = np.asarray(y)
    weight = "balanced" if balanced else None
    members: list[tuple[np.ndarray, np.ndarray]] = []

    lr = LogisticRegression(C=lr_c, max_iter=3000, class_weight=weight)
    lr.fit(X, target)
    members.append((lr.coef_, lr.intercept_))
    svc = LinearSVC(C=svc_c, class_weight=weight)
    svc.fit(X, target)
    members.append((svc.coef_, svc.intercept_))

    # NB-LR: one binary model per label (one for two labels) on ratio-scaled features;
    # w·(x∘r) + b = (w∘r)·x + b, so the ratio folds into the weights.
    nb_rows, nb_bias = [], []
    for label in labels if len(labels) > 2 else labels[1:]:
        positive = target == label
        ratio = _nb_ratio(X, positive)
        model = LogisticRegression(C=nb_c, max_iter=3000, class_weight=weight)
        model.fit(X.multiply(ratio).tocsr(), positive.astype(int))
        nb_rows.append(model.coef_[0] * ratio)
        nb_bias.append(model.intercept_[0])
    members.append((np.vstack(nb_rows), np.asarray(nb_bias)))

    coef = np.zeros_like(members[0][0], dtype=np.float64)
    intercept = np.zeros_like(members[0][1], dtype=np.float64)
    for member_coef, member_bias in members:
        scores = _one_vs_rest(np.asarray(X @ member_coef.T) + member_bias, len(labels))
        scale = float(scores.std()) or 1.0
        coef += member_coef / scale
        intercept += member_bias / scale
    coef /= len(members)
    intercept /= len(members)
    # Scale to a useful softmax temperature: a margin of one standard deviation ≈ e:1.
    return LinearHead(labels=labels, coef=coef.astype(np.float32), intercept=intercept)


@dataclass
class TextModel:
    """A feature extractor and the heads that read it (e.g. sentiment and complaint), and
    heads over sentence vectors (`encoder.sentence_embeddings`; learned aspects use them)."""

    features: Features
    heads: dict[str, LinearHead]
    meta: dict[str, Any] = field(default_factory=dict)
    encoder_heads: dict[str, LinearHead] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        arrays = self.features.to_arrays("f_")
        specs: dict[str, dict[str, Any]] = {}
        for prefix, heads in (("h", self.heads), ("e", self.encoder_heads)):
            specs[prefix] = {}
            for name, head in heads.items():
                arrays[f"{prefix}_{name}_coef"] = head.coef.astype(np.float32)
                arrays[f"{prefix}_{name}_intercept"] = head.intercept.astype(np.float64)
                specs[prefix][name] = {"labels": head.labels, "meta": head.meta}
        header = {
            "format": FORMAT,
            "meta": self.meta,
            "heads": specs["h"],
            "encoder_heads": specs["e"],
        }
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            header = json.loads(bytes(arrays["header"]).decode())
            if header.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} model")
            features = Features.from_arrays(arrays, "f_")
            heads = {
                prefix: {
                    name: LinearHead(
                        labels=spec["labels"],
                        coef=arrays[f"{prefix}_{name}_coef"],
                        intercept=arrays[f"{prefix}_{name}_intercept"],
                        meta=spec.get("meta", {}),
                    )
                    for name, spec in header.get(key, {}).items()
                }
                for prefix, key in (("h", "heads"), ("e", "encoder_heads"))
            }
        return cls(
            features=features,
            heads=heads["h"],
            meta=header.get("meta", {}),
            encoder_heads=heads["e"],
        )
