"""Model zoo: sparse n-gram linear models, NB-SVM, VADER / lexicon features."""
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer, CountVectorizer
from sklearn.pipeline import make_pipeline, make_union, FeatureUnion
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.svm import LinearSVC
from sklearn.preprocessing import FunctionTransformer
import common as C


class Identity:
    def __call__(self, x):
        return x


def baseline_vec():
    return make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2)),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)),
    )


def improved_vec(min_df=2, char=(2, 5), max_features=None, word_ng=(1, 2), char_an="char_wb"):
    return make_union(
        TfidfVectorizer(analyzer="word", ngram_range=word_ng, sublinear_tf=True, min_df=min_df,
                        tokenizer=C.tokenize, token_pattern=None, lowercase=False,
                        max_features=max_features),
        TfidfVectorizer(analyzer=char_an, ngram_range=char, sublinear_tf=True, min_df=min_df,
                        lowercase=False, max_features=max_features),
    )


class TextClf(BaseEstimator, ClassifierMixin):
    """prep(texts) -> vec -> clf"""

    def __init__(self, vec, clf, prep=None, extra=None):
        self.vec, self.clf, self.prep, self.extra = vec, clf, prep, extra

    def _X(self, texts, fit=False, y=None):
        t = self.prep(texts) if self.prep else texts
        X = self.vec.fit_transform(t) if fit else self.vec.transform(t)
        if self.extra is not None:
            E = self.extra.fit_transform(texts, y) if fit else self.extra.transform(texts)
            X = sp.hstack([X, sp.csr_matrix(E)], format="csr")
        return X

    def fit(self, texts, y):
        X = self._X(texts, True, y)
        self.clf.fit(X, y)
        self.classes_ = self.clf.classes_
        return self

    def decision_function(self, texts):
        return self.clf.decision_function(self._X(texts))

    def predict(self, texts):
        return self.clf.predict(self._X(texts))


class NBSVM(BaseEstimator, ClassifierMixin):
    """Wang & Manning NB-SVM/NB-LR: one-vs-rest, features scaled by log-count ratio r_c."""

    def __init__(self, C=4.0, alpha=1.0, kind="lr", class_weight=None, interp=None):
        self.C, self.alpha, self.kind, self.class_weight, self.interp = C, alpha, kind, class_weight, interp

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        Xb = X.copy(); Xb.data[:] = 1  # binarized for ratios
        self.r_, self.models_ = [], []
        for c in self.classes_:
            yc = (y == c).astype(int)
            p = self.alpha + np.asarray(Xb[yc == 1].sum(0)).ravel()
            q = self.alpha + np.asarray(Xb[yc == 0].sum(0)).ravel()
            r = np.log((p / p.sum()) / (q / q.sum()))
            Xr = X.multiply(r).tocsr()
            if self.kind == "lr":
                m = LogisticRegression(C=self.C, max_iter=2000, class_weight=self.class_weight)
            else:
                m = LinearSVC(C=self.C, class_weight=self.class_weight)
            m.fit(Xr, yc)
            self.r_.append(r); self.models_.append(m)
        if len(self.classes_) == 2:  # only need one direction
            pass
        return self

    def decision_function(self, X):
        S = np.column_stack([m.decision_function(X.multiply(r).tocsr()) for m, r in zip(self.models_, self.r_)])
        return S

    def predict(self, X):
        S = self.decision_function(X)
        return self.classes_[S.argmax(1)]


class Vader(BaseEstimator, TransformerMixin):
    """VADER polarity scores (neg, neu, pos, compound) + simple counts, scaled."""

    def __init__(self, weight=1.0):
        self.weight = weight

    def fit(self, X, y=None):
        return self

    def transform(self, texts):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        if not hasattr(self, "_a"):
            self._a = SentimentIntensityAnalyzer()
        out = np.empty((len(texts), 4))
        for i, t in enumerate(texts):
            s = self._a.polarity_scores(t)
            out[i] = (s["neg"], s["neu"], s["pos"], s["compound"])
        return out * self.weight

    def __getstate__(self):
        d = self.__dict__.copy(); d.pop("_a", None); return d


def lr(Cv=1.0, cw=None):
    return LogisticRegression(C=Cv, max_iter=3000, class_weight=cw)


def svc(Cv=0.5, cw=None):
    return LinearSVC(C=Cv, class_weight=cw)


def sgd(alpha=2e-5, cw=None, loss="modified_huber"):
    return SGDClassifier(loss=loss, alpha=alpha, class_weight=cw, max_iter=50, tol=1e-4, random_state=C.SEED)
