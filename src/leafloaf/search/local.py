"""LocalSearch: embedded hybrid product search (bm25s lexical + optional dense vectors)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.errors import MissingExtraError, ValidationError
from leafloaf.models import Product
from leafloaf.search.base import SearchBackend, SearchFilters, SearchHealth, SearchHit

__all__ = ["LocalSearch", "WordLlamaEncoder", "relative_score_fusion"]

_WORD = re.compile(r"(?u)\b\w\w+\b")


def _require(module: str, extra: str, package: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise MissingExtraError(extra, package) from None


def relative_score_fusion(
    lexical: dict[int, float], dense: dict[int, float], alpha: float
) -> dict[int, float]:
    """Weaviate's relative-score fusion: min-max normalise each list, then blend.

    ``alpha = 1`` is pure vector search, ``0`` pure keyword search.

    >>> relative_score_fusion({0: 2.0, 1: 1.0}, {1: 0.9, 2: 0.1}, 0.5)
    {0: 0.5, 1: 0.5, 2: 0.0}
    >>> relative_score_fusion({0: 2.0, 1: 1.0}, {1: 0.9, 2: 0.1}, 0.0)
    {0: 1.0, 1: 0.0}
    """
    fused: dict[int, float] = {}
    for weight, scores in ((1.0 - alpha, lexical), (alpha, dense)):
        if not scores or weight == 0:
            continue
        lo, hi = min(scores.values()), max(scores.values())
        span = hi - lo
        for doc, score in scores.items():
            norm = (score - lo) / span if span > 0 else 1.0
            fused[doc] = fused.get(doc, 0.0) + weight * norm
    return fused


class WordLlamaEncoder:
    """Sentence embeddings from WordLlama's bundled weights (``leafloaf[embeddings]``).

    The 256-d ``l2_supercat`` model ships inside the ``wordllama`` wheel, so nothing is
    downloaded at run time; vectors are L2-normalised for cosine similarity.
    """

    def __init__(self) -> None:
        wordllama = _require("wordllama", "embeddings", "wordllama")
        # the wheel keeps the tokenizer under wordllama/tokenizers/, which its loader only
        # finds through the cache path: point the cache at the package itself, no downloads
        root = Path(wordllama.__file__).parent
        self._model = wordllama.WordLlama.load(cache_dir=root, disable_download=True)
        self.dim = 256

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.embed(list(texts)), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        result: NDArray[np.float32] = vectors / np.maximum(norms, 1e-9)
        return result


class LocalSearch(SearchBackend):
    """Hybrid search in this process: BM25 (bm25s, English stemming) + dense vectors.

    * plural/singular: Snowball stemming on documents and queries (``"bananas"`` finds
      ``"Banana"``);
    * typos: a query word the index has never seen is replaced by the closest indexed word
      (rapidfuzz ratio ≥ ``typo_cutoff``);
    * hybrid: with ``dense=True`` (``leafloaf[embeddings]``) lexical and vector results are
      fused by relative scores with weight ``alpha`` (1 = vector only, 0 = BM25 only);
    * filters: categories, attributes, price range, exclusions — always respected;
    * ``save(folder)`` / ``LocalSearch.load(folder)`` persist the index.

    >>> search = LocalSearch(dense=False)                      # doctest: +SKIP
    >>> search.index(catalog)                                  # doctest: +SKIP
    >>> search.search("bananas", k=5)                          # doctest: +SKIP
    """

    name: ClassVar[str] = "local"

    def __init__(self, dense: bool = True, alpha: float = 0.5, typo_cutoff: float = 80.0) -> None:
        if not 0.0 <= alpha <= 1.0:
            raise ValidationError("alpha", alpha, "must be between 0 and 1")
        self._bm25s = _require("bm25s", "search", "bm25s")
        stemmer_module = _require("Stemmer", "search", "PyStemmer")
        self._stemmer = stemmer_module.Stemmer("english")
        self.alpha = alpha
        self.typo_cutoff = typo_cutoff
        self.encoder = WordLlamaEncoder() if dense else None
        self._products: dict[str, Product] = {}
        self._ids: list[str] = []
        self._removed: set[int] = set()
        self._retriever: Any = None
        self._vocab: list[str] = []
        self._vectors: NDArray[np.float32] = np.zeros((0, 256), dtype=np.float32)
        self._catalog = Catalog()

    # --- building -----------------------------------------------------------------------------
    @staticmethod
    def _text(product: Product) -> str:
        parts = [product.name, product.brand or "", *product.categories, *product.tags]
        return " ".join(p for p in parts if p)

    def index(self, products: Iterable[Product]) -> int:
        for product in products:
            self._products[product.product_id] = product
        self._rebuild()
        return len(self)

    def _rebuild(self) -> None:
        self._ids = list(self._products)
        self._removed = set()
        self._catalog = Catalog(self._products.values())
        texts = [self._text(self._products[i]) for i in self._ids]
        tokens = self._bm25s.tokenize(
            texts, stopwords="en", stemmer=self._stemmer.stemWords, show_progress=False
        )
        self._retriever = self._bm25s.BM25()
        self._retriever.index(tokens, show_progress=False)
        self._vocab = list(self._retriever.vocab_dict)
        if self.encoder is not None:
            self._vectors = self.encoder.encode([self._products[i].name for i in self._ids])

    def remove(self, product_ids: Iterable[str]) -> int:
        gone = 0
        index = {pid: i for i, pid in enumerate(self._ids)}
        for pid in product_ids:
            i = index.get(pid)
            if i is not None and i not in self._removed:
                self._removed.add(i)
                self._products.pop(pid, None)
                gone += 1
        return gone

    def __len__(self) -> int:
        return len(self._ids) - len(self._removed)

    # --- querying -----------------------------------------------------------------------------
    def query_terms(self, query: str) -> tuple[list[str], bool]:
        """Stemmed query words known to the index, and whether a typo was corrected."""
        words = [w for w in _WORD.findall(query.lower())]
        stems = self._stemmer.stemWords(words)
        vocab = self._retriever.vocab_dict if self._retriever is not None else {}
        known: list[str] = []
        corrected = False
        for stem in stems:
            if stem in vocab:
                known.append(stem)
                continue
            from rapidfuzz import fuzz, process

            match = process.extractOne(stem, self._vocab, scorer=fuzz.ratio,
                                       score_cutoff=self.typo_cutoff)  # fmt: skip
            if match is not None:
                known.append(match[0])
                corrected = True
        return known, corrected

    def _mask(self, filters: SearchFilters | None) -> NDArray[np.bool_]:
        mask = np.ones(len(self._ids), dtype=bool)
        if self._removed:
            mask[list(self._removed)] = False
        if filters is not None and not filters.empty:
            for i, pid in enumerate(self._ids):
                if mask[i]:
                    product = self._products[pid]
                    mask[i] = filters.allows(product, self._catalog.attributes(pid))
        return mask

    @staticmethod
    def _top(scores: NDArray[np.float64], mask: NDArray[np.bool_], k: int) -> dict[int, float]:
        valid = np.flatnonzero(mask & (scores > 0))
        if len(valid) == 0:
            return {}
        take = min(k, len(valid))
        best = valid[np.argpartition(-scores[valid], take - 1)[:take]]
        return {int(i): float(scores[i]) for i in best}

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        if k <= 0 or not self._ids or not query.strip():
            return []
        mask = self._mask(filters)
        terms, corrected = self.query_terms(query)
        pool = max(k * 5, 100)
        lexical: dict[int, float] = {}
        if terms:
            lexical = self._top(np.asarray(self._retriever.get_scores(terms)), mask, pool)
        dense: dict[int, float] = {}
        if self.encoder is not None and self.alpha > 0:
            vector = self.encoder.encode([query])[0]
            sims = (self._vectors @ vector).astype(np.float64)
            dense = self._top(sims + 1.0, mask, pool)  # shift: cosine can be negative
        if self.encoder is None or self.alpha == 0:
            fused, kind = lexical, "fuzzy" if corrected else "bm25"
        elif not lexical or self.alpha == 1:
            fused, kind = dense, "vector"
        else:
            fused, kind = relative_score_fusion(lexical, dense, self.alpha), "hybrid"
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [SearchHit(product_id=self._ids[i], score=s, retriever=kind) for i, s in ranked]

    def health(self) -> SearchHealth:
        mode = "hybrid" if self.encoder is not None else "bm25"
        return SearchHealth(
            backend=self.name, ok=self._retriever is not None or not self._ids, mode=mode,
            detail=f"{len(self)} products indexed",
        )  # fmt: skip

    # --- persistence --------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write the index (BM25 matrices, products, vectors) to ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        live = [pid for i, pid in enumerate(self._ids) if i not in self._removed]
        if len(live) != len(self._ids):
            self._products = {pid: self._products[pid] for pid in live}
            self._rebuild()
        self._retriever.save(str(folder / "bm25"), show_progress=False)
        meta = {
            "alpha": self.alpha,
            "typo_cutoff": self.typo_cutoff,
            "dense": self.encoder is not None,
            "products": [self._products[pid].model_dump(mode="json") for pid in self._ids],
        }
        (folder / "products.json").write_text(json.dumps(meta))
        if self.encoder is not None:
            np.save(folder / "vectors.npy", self._vectors)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> LocalSearch:
        """Reopen an index written by :meth:`save` (no re-indexing, no re-embedding)."""
        folder = Path(folder)
        meta = json.loads((folder / "products.json").read_text())
        search = cls(
            dense=bool(meta["dense"]), alpha=meta["alpha"], typo_cutoff=meta["typo_cutoff"]
        )
        products = [Product(**p) for p in meta["products"]]
        search._products = {p.product_id: p for p in products}
        search._ids = [p.product_id for p in products]
        search._catalog = Catalog(products)
        search._retriever = search._bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        search._vocab = list(search._retriever.vocab_dict)
        if search.encoder is not None:
            search._vectors = np.load(folder / "vectors.npy")
        return search
