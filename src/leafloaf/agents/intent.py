"""The default intent model: character and word n-grams, logistic regression (scikit-learn).

Trained on first use from the shipped labelled messages (under a second on one core), so no
pickled model ties the package to one scikit-learn version. Character n-grams make it
robust to typos ("chekout", "remvoe"); word n-grams carry phrases ("running out").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from leafloaf.agents.base import Intent
from leafloaf.agents.slots import mask_products
from leafloaf.agents.utterances import load_utterances
from leafloaf.errors import MissingExtraError

__all__ = ["IntentModel", "held_out_accuracy", "intent_model"]

_BRACKET = re.compile(r"\[([^\]]*)\]")


class IntentModel:
    """Predicts the intent of one clause with its probability.

    >>> model = IntentModel.fit_shipped()
    >>> model.predict(["whats in my cart", "chekout pls"])[0][0]
    <Intent.SHOW_CART: 'show_cart'>
    """

    def __init__(self, pipeline: Any) -> None:
        self._pipeline = pipeline
        self._labels = [Intent(label) for label in pipeline.classes_]
        self._scorer = _SparseScorer(pipeline)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> IntentModel:
        """Train on ``"clause<TAB>shape"`` rows (see :func:`mask_products`) and intents."""
        try:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline, make_union
            from sklearn.preprocessing import FunctionTransformer
            from threadpoolctl import threadpool_limits
        except ImportError as exc:
            raise MissingExtraError("assistant", "scikit-learn") from exc
        features = make_union(
            make_pipeline(
                FunctionTransformer(_raw),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
            make_pipeline(
                FunctionTransformer(_shape),
                TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True,
                                token_pattern=r"\S+"),
            ),
        )  # fmt: skip
        pipeline = make_pipeline(features, LogisticRegression(C=20.0, max_iter=3000))
        # a few hundred short rows: BLAS threads only contend (40x slower on 2 busy cores)
        with threadpool_limits(limits=1):
            pipeline.fit(list(texts), list(labels))
        return cls(pipeline)

    @classmethod
    def fit_shipped(cls, include_held_out: bool = False) -> IntentModel:
        """Train on the shipped messages (the training split unless told otherwise)."""
        texts, labels = [], []
        for utterance in load_utterances():
            if utterance.held_out and not include_held_out:
                continue
            for intent, clause in utterance.clauses:
                raw = _BRACKET.sub(r"\1", clause).lower()
                texts.append(f"{raw}\t{mask_products(_BRACKET.sub(' item ', clause))}")
                labels.append(intent)
        return cls.fit(texts, labels)

    def predict(self, texts: Sequence[str]) -> list[tuple[Intent, float]]:
        """The most likely intent of each clause and its probability."""
        if not texts:
            return []
        rows = [f"{t.lower()}\t{mask_products(t)}" for t in texts]
        probabilities = self._scorer.predict_proba(rows)
        best = np.argmax(probabilities, axis=1)
        return [(self._labels[j], float(probabilities[i, j])) for i, j in enumerate(best)]


class _SparseScorer:
    """The fitted pipeline's own arithmetic for a few short texts, without its overhead.

    scikit-learn fits the model; scoring one chat message through its pipeline costs about
    a millisecond of per-call overhead (validation, sparse matrices) for microseconds of
    work. This reads the fitted vocabularies, idf weights and coefficients and computes the
    same probabilities with dictionary lookups (``predict_proba`` of the pipeline and of
    this scorer agree to 1e-9; tests/agents/test_intent.py checks it on every message).
    """

    def __init__(self, pipeline: Any) -> None:
        union, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
        (_, chars), (_, words) = union.transformer_list
        self._chars = _vectorizer_weights(chars.steps[-1][1])
        self._words = _vectorizer_weights(words.steps[-1][1])
        self._char_range = chars.steps[-1][1].ngram_range
        self._word_range = words.steps[-1][1].ngram_range
        width = len(chars.steps[-1][1].vocabulary_)
        coef = np.asarray(classifier.coef_, dtype=np.float64)
        self._char_coef = coef[:, :width].T.copy()
        self._word_coef = coef[:, width:].T.copy()
        self._intercept = np.asarray(classifier.intercept_, dtype=np.float64)

    def predict_proba(self, rows: Sequence[str]) -> np.ndarray:
        out = np.empty((len(rows), len(self._intercept)))
        for i, row in enumerate(rows):
            raw, shape = row.split("\t", 1)
            z = self._intercept.copy()
            z += _dot(_char_wb_ngrams(raw, *self._char_range), self._chars, self._char_coef)
            z += _dot(_word_ngrams(shape, *self._word_range), self._words, self._word_coef)
            z -= z.max()
            e = np.exp(z)
            out[i] = e / e.sum()
        return out


def _vectorizer_weights(vectorizer: Any) -> tuple[dict[str, int], np.ndarray]:
    return vectorizer.vocabulary_, np.asarray(vectorizer.idf_, dtype=np.float64)


def _dot(grams: list[str], weights: tuple[dict[str, int], np.ndarray], coef: np.ndarray) -> Any:
    """``coef.T @ l2(sublinear_tf(grams) * idf)`` for one text (sklearn's tf-idf)."""
    vocabulary, idf = weights
    counts: dict[int, int] = {}
    for gram in grams:
        j = vocabulary.get(gram)
        if j is not None:
            counts[j] = counts.get(j, 0) + 1
    if not counts:
        return 0.0
    index = np.fromiter(counts, np.int64, len(counts))
    values = (1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))) * idf[index]
    values /= np.sqrt(values @ values)
    return values @ coef[index]


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's ``analyzer="char_wb"`` n-grams (words padded with one space)."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < size:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


def _word_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's word n-grams over whitespace tokens (``token_pattern=r"\\S+"``)."""
    tokens = text.split()
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _raw(rows: Sequence[str]) -> list[str]:
    return [row.split("\t", 1)[0] for row in rows]


def _shape(rows: Sequence[str]) -> list[str]:
    return [row.split("\t", 1)[1] for row in rows]


_lock = threading.Lock()
_shipped: dict[bool, IntentModel] = {}


def intent_model(include_held_out: bool = False) -> IntentModel:
    """The shipped model, trained once per process (thread-safe)."""
    with _lock:
        model = _shipped.get(include_held_out)
        if model is None:
            model = _shipped[include_held_out] = IntentModel.fit_shipped(include_held_out)
        return model


def held_out_accuracy(resamples: int = 2_000, seed: int = 0) -> dict[str, Any]:
    """Routing accuracy on the held-out messages, by a model trained without them.

    A message counts as right when the supervisor finds exactly its labelled intents in
    order (so multi-intent messages must also be cut right). The 95% interval is a
    percentile bootstrap over messages.
    """
    from leafloaf.agents.supervisor import LocalSupervisor

    supervisor = LocalSupervisor(IntentModel.fit_shipped(include_held_out=False))
    held_out = [u for u in load_utterances() if u.held_out]
    right = np.array(
        [tuple(r.intent.value for r in supervisor.route(u.text)) == u.intents for u in held_out],
        dtype=np.float64,
    )
    rng = np.random.default_rng(seed)
    means = right[rng.integers(0, len(right), size=(resamples, len(right)))].mean(axis=1)
    misses = [u.text for u, ok in zip(held_out, right, strict=True) if not ok]
    return {
        "messages": len(held_out),
        "trained_on": len(load_utterances()) - len(held_out),
        "accuracy": float(right.mean()),
        "ci95": (float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))),
        "misses": misses,
    }
