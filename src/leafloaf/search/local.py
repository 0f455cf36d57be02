"""LocalSearch: embedded hybrid product search (field-aware lexical + optional dense vectors)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from leafloaf.catalog import Catalog
from leafloaf.errors import MissingExtraError, ValidationError
from leafloaf.models import Product
from leafloaf.search.base import (
    QueryMatch,
    SearchBackend,
    SearchFilters,
    SearchHealth,
    SearchHit,
)
from leafloaf.search.encoders import (
    MiniLMEncoder,
    WordLlamaEncoder,
    encoder_available,
    make_encoder,
)
from leafloaf.search.lexical import FieldIndex, tier_order

__all__ = [
    "FUSIONS",
    "LocalSearch",
    "WordLlamaEncoder",
    "embeddings_available",
    "relative_score_fusion",
    "words_first_fusion",
]

_FORMAT = 4
"""Version of the folder layout written by :meth:`LocalSearch.save`."""

DEFAULT_ENCODER = "wordllama"
"""The encoder ``dense=True`` (or ``None``, when its extra is installed) means."""

FUSIONS = ("words-first", "relative")
"""How lexical and vector hits are merged (see :class:`LocalSearch`)."""


def _require(module: str, extra: str, package: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise MissingExtraError(extra, package) from None


def embeddings_available() -> bool:
    """True when ``leafloaf[embeddings]`` (the WordLlama package) is installed."""
    return encoder_available("wordllama")


def relative_score_fusion(
    lexical: Mapping[int, float], dense: Mapping[int, float], alpha: float
) -> dict[int, float]:
    """Weaviate's relative-score fusion: min-max normalise each list, then blend.

    ``alpha = 1`` is pure vector search, ``0`` pure keyword search; a document missing
    from one list gets 0 from it.

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


def words_first_fusion(
    lexical: Mapping[int, float], dense: Mapping[int, float]
) -> dict[int, float]:
    """Lexical hits keep their relevance tiers; products only the vectors found follow,
    by similarity, scored below the weakest lexical hit.

    Vectors then add recall (a product no query word names, such as ``Oat Beverage`` for
    ``oat milk`` when ``k`` reaches past the word matches) without ever passing a better
    textual match. ``dense`` scores are cosines shifted to ``[0, 2]``.

    >>> words_first_fusion({0: 2.0, 1: 1.0}, {1: 1.9, 2: 1.5, 3: 1.2})
    {0: 2.0, 1: 1.0, 2: 0.375, 3: 0.3}
    """
    fused = dict(lexical)
    floor = min(lexical.values(), default=2.0)
    for doc, score in sorted(dense.items(), key=lambda kv: (-kv[1], kv[0])):
        if doc not in fused:
            fused[doc] = floor * score / 4.0
    return fused


class LocalSearch(SearchBackend):
    """Product search in this process: field-aware lexical relevance + dense vectors.

    * text relevance learned from the catalog (:mod:`leafloaf.search.lexical`): name above
      brand above aisle/department words, repeated words counted once, the product whose
      head noun (or aisle) is the query's last word first;
    * plural/singular: Snowball stemming on documents and queries (``"bananas"`` finds
      ``"Banana"``);
    * typos and spelling variants by catalog frequency: ``"strawbery"``, ``"yoghurt"`` and
      the catalog's own ``"strawberies"`` all find strawberries; a frequent word is never
      "corrected"; hits that a corrected word found say ``retriever="fuzzy"``;
    * scores are relevance tiers: equal scores are equally good textual matches, and
      :meth:`search_with_prior` orders (and keeps, when ``k`` cuts a tier) the products
      inside a tier by a prior such as population purchases;
    * hybrid: with ``dense`` (an encoder name, ``"wordllama"`` or ``"minilm"``; ``True``:
      :data:`DEFAULT_ENCODER`; ``None``: it when its extra is installed) product names are
      embedded too. ``fusion="words-first"`` (default) keeps the lexical tiers and lets
      the vectors fill the places the words leave empty (the vectors are not consulted
      when the words fill all ``k``); ``fusion="relative"`` is Weaviate's relative-score
      fusion with weight ``alpha`` (continuous scores: no tiers). ``alpha=1`` is vectors
      only, ``0`` words only. A hit says whether the words, the vectors or both found it;
      ``vector_cache`` (a folder) keeps product vectors across processes;
    * filters: categories, attributes, price range, exclusions — always respected, as
      boolean masks over the index (no per-product Python loop);
    * ``save(folder)`` / ``LocalSearch.load(folder)`` persist the index.

    >>> search = LocalSearch(dense=False)
    >>> search.index([Product(product_id="1", name="Organic Bananas")])
    1
    >>> [(h.product_id, h.retriever) for h in search.search("banana")]
    [('1', 'bm25')]
    """

    name: ClassVar[str] = "local"

    def __init__(
        self,
        dense: bool | str | None = None,
        alpha: float = 0.5,
        fusion: str = "words-first",
        vector_cache: str | Path | None = None,
    ) -> None:
        if not 0.0 <= alpha <= 1.0:
            raise ValidationError("alpha", alpha, "must be between 0 and 1")
        if fusion not in FUSIONS:
            raise ValidationError("fusion", fusion, f"must be one of {list(FUSIONS)}")
        stemmer_module = _require("Stemmer", "search", "PyStemmer")
        _require("rapidfuzz", "search", "rapidfuzz")
        self._stemmer = stemmer_module.Stemmer("english")
        self.alpha = alpha
        self.fusion = fusion
        self.vector_cache = Path(vector_cache) if vector_cache is not None else None
        if dense is None:
            dense = DEFAULT_ENCODER if encoder_available(DEFAULT_ENCODER) else False
        elif dense is True:
            dense = DEFAULT_ENCODER
        self.encoder: WordLlamaEncoder | MiniLMEncoder | None = (
            make_encoder(dense) if isinstance(dense, str) else None
        )
        self._dim = self.encoder.dim if self.encoder is not None else 0
        self._products: dict[str, Product] = {}
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._live: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._lexical: FieldIndex | None = None
        self._vectors: NDArray[np.float32] = np.zeros((0, self._dim), np.float32)
        self._catalog = Catalog()
        self._by_attribute: dict[str, NDArray[np.int64]] = {}
        self._prices: NDArray[np.float64] = np.zeros(0)

    # --- building -----------------------------------------------------------------------------
    @staticmethod
    def document_text(product: Product) -> str:
        """All the words indexed for a product: name, brand, category path, tags."""
        parts = [product.name, product.brand or "", *product.categories, *product.tags]
        return " ".join(p for p in parts if p)

    def index(self, products: Iterable[Product]) -> int:
        """Add or replace products and rebuild the index; returns how many it holds.

        Index a catalog in one call: each call rebuilds the word index (about two seconds
        for 50k products) and embeds only the products it has not embedded before.
        """
        live = {pid: self._products[pid] for pid in self._live_ids()}
        old_vectors = (
            {pid: self._vectors[self._row[pid]] for pid in live} if self._has_vectors else {}
        )
        changed: set[str] = set()
        for product in products:
            if live.get(product.product_id) != product:
                changed.add(product.product_id)
            live[product.product_id] = product
        self._products = live
        self._rebuild({pid: v for pid, v in old_vectors.items() if pid not in changed})
        return len(self)

    @property
    def _has_vectors(self) -> bool:
        return self.encoder is not None and len(self._vectors) == len(self._ids)

    def _live_ids(self) -> list[str]:
        return [pid for pid, alive in zip(self._ids, self._live.tolist(), strict=True) if alive]

    def _rebuild(self, known_vectors: Mapping[str, NDArray[np.float32]]) -> None:
        self._ids = list(self._products)
        self._row = {pid: i for i, pid in enumerate(self._ids)}
        self._live = np.ones(len(self._ids), dtype=bool)
        self._catalog = Catalog(self._products.values())
        self._build_filters()
        if not self._ids:
            self._lexical = None
            self._vectors = np.zeros((0, self._dim), np.float32)
            return
        self._lexical = FieldIndex([self._products[pid] for pid in self._ids],
                                   self._stemmer.stemWords)  # fmt: skip
        if self.encoder is not None:
            missing = [pid for pid in self._ids if pid not in known_vectors]
            fresh = self._encode_products([self._embedding_text(pid) for pid in missing])
            vectors = dict(known_vectors)
            vectors.update(zip(missing, fresh, strict=True))
            self._vectors = np.stack([vectors[pid] for pid in self._ids])

    def _encode_products(self, texts: list[str]) -> NDArray[np.float32]:
        """Vectors of product texts, read from ``vector_cache`` when it holds this batch."""
        assert self.encoder is not None
        if not texts or self.vector_cache is None:
            return self.encoder.encode(texts)
        key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:24]
        path = self.vector_cache / f"{self.encoder.name}-{len(texts)}-{key}.npy"
        if path.is_file():
            cached: NDArray[np.float32] = np.load(path)
            if cached.shape == (len(texts), self._dim):
                return cached
        vectors = self.encoder.encode(texts)
        self.vector_cache.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npy")
        np.save(partial, vectors)
        partial.replace(path)  # readers never see a half-written file
        return vectors

    def _embedding_text(self, pid: str) -> str:
        return self._products[pid].name

    def _build_filters(self) -> None:
        rows: dict[str, list[int]] = {}
        for i, pid in enumerate(self._ids):
            for attribute in self._catalog.attributes(pid):
                rows.setdefault(attribute, []).append(i)
        self._by_attribute = {a: np.asarray(r, dtype=np.int64) for a, r in rows.items()}
        prices = [self._products[pid].price for pid in self._ids]
        self._prices = np.asarray([np.nan if p is None else p for p in prices], dtype=np.float64)

    def remove(self, product_ids: Iterable[str]) -> int:
        """Drop products from the index at once (no rebuild); returns how many were held."""
        gone = 0
        for pid in product_ids:
            i = self._row.get(pid)
            if i is not None and self._live[i]:
                self._live[i] = False
                gone += 1
        return gone

    def __len__(self) -> int:
        return int(self._live.sum())

    def __contains__(self, product_id: object) -> bool:
        i = self._row.get(product_id) if isinstance(product_id, str) else None
        return i is not None and bool(self._live[i])

    def attributes(self, product_id: str) -> tuple[str, ...]:
        """The attribute keys filters see for an indexed product."""
        return self._catalog.attributes(product_id)

    # --- querying -----------------------------------------------------------------------------
    def _words(self, text: str) -> list[str]:
        if self._lexical is not None:
            return self._lexical.words(text)
        return FieldIndex([], self._stemmer.stemWords).words(text)

    def query_words(self, text: str) -> list[str]:
        """``text`` cut, lower-cased, the catalog's function words dropped and stemmed
        exactly as indexed.

        >>> LocalSearch(dense=False).query_words("Organic Bananas")
        ['organic', 'banana']
        """
        stems: list[str] = self._stemmer.stemWords(self._words(text))
        return stems

    def query_terms(self, query: str) -> tuple[list[str], bool]:
        """The most likely catalog stem of each query word, and whether one was corrected.

        >>> search = LocalSearch(dense=False)
        >>> _ = search.index([Product(product_id="7", name="Greek Yogurt")])
        >>> search.query_terms("the yoghurts")
        (['yogurt'], True)
        """
        if self._lexical is None:
            return [], False
        return self._lexical.best_stems(self._words(query))

    def query_matches(self, query: str, product_ids: Sequence[str]) -> dict[str, QueryMatch]:
        """Which words of ``query`` each indexed product holds, read as the search reads
        them (stems, spelling, compounds, category names).

        >>> search = LocalSearch(dense=False)
        >>> _ = search.index([Product(product_id="1", name="Whole Milk")])
        >>> search.query_matches("oat milk", ["1"])["1"]
        QueryMatch(matched=('milk',), missing=('oat',))
        """
        words = self._words(query)
        rows = [(pid, self._row[pid]) for pid in product_ids if pid in self]
        if self._lexical is None or not words or not rows:
            return {}
        held = self._lexical.word_matches(words, [row for _, row in rows])
        return {
            pid: QueryMatch(
                matched=tuple(w for w, h in zip(words, flags, strict=True) if h),
                missing=tuple(w for w, h in zip(words, flags, strict=True) if not h),
            )
            for (pid, _), flags in zip(rows, held, strict=True)
        }

    def mask(self, filters: SearchFilters | None) -> NDArray[np.bool_]:
        """Boolean row mask of indexed, live products passing ``filters``."""
        mask = self._live.copy()
        if filters is None or filters.empty:
            return mask
        empty = np.zeros(0, dtype=np.int64)
        if filters.categories:
            anyof = np.zeros_like(mask)
            for category in filters.categories:
                anyof[self._by_attribute.get(category, empty)] = True
            mask &= anyof
        for attribute in filters.attributes:
            allof = np.zeros_like(mask)
            allof[self._by_attribute.get(attribute, empty)] = True
            mask &= allof
        for attribute in filters.exclude_attributes:
            mask[self._by_attribute.get(attribute, empty)] = False
        if filters.min_price is not None or filters.max_price is not None:
            prices = self._prices
            with np.errstate(invalid="ignore"):  # NaN (no price) compares False: excluded
                if filters.min_price is not None:
                    mask &= prices >= filters.min_price
                if filters.max_price is not None:
                    mask &= prices <= filters.max_price
        return mask

    def _top(
        self,
        scores: NDArray[np.float64],
        mask: NDArray[np.bool_],
        k: int,
        prior: Mapping[str, float] | None = None,
    ) -> dict[int, float]:
        """The best ``k`` rows by score; inside the tier that ``k`` cuts, by ``prior``."""
        valid = np.flatnonzero(mask & (scores > 0))
        if len(valid) == 0:
            return {}
        take = min(k, len(valid))
        if prior is None:
            if take < len(valid):  # the k best (ties at the cut: lowest rows) in linear time
                kth = -np.partition(-scores[valid], take - 1)[take - 1]
                valid = valid[scores[valid] >= kth]
            best = valid[np.lexsort((valid, -scores[valid]))[:take]]
            return {int(i): float(scores[i]) for i in best}
        tiers = np.round(scores[valid], 6)
        cut = np.partition(-tiers, take - 1)[take - 1]  # the lowest tier that makes the cut
        chosen = valid[tiers >= -cut]
        ids = self._ids
        weights = np.fromiter((prior.get(ids[i], 0.0) for i in chosen), np.float64, len(chosen))
        assert self._lexical is not None
        order = tier_order(scores[chosen], weights, self._lexical.aisle_ids[chosen])[:take]
        return {int(chosen[i]): float(scores[chosen[i]]) for i in order}

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        """The best ``k`` products for ``query`` that pass ``filters``, best first.

        Equally relevant products keep index order, so results are deterministic.
        """
        return self._search(query, k, filters, None)

    def search_with_prior(
        self,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        prior: Mapping[str, float] | None = None,
    ) -> list[SearchHit]:
        """Like :meth:`search`, but inside a relevance tier the larger ``prior`` comes
        first, and decides which products stay when ``k`` cuts a tier."""
        return self._search(query, k, filters, prior)

    def _search(
        self,
        query: str,
        k: int,
        filters: SearchFilters | None,
        prior: Mapping[str, float] | None,
    ) -> list[SearchHit]:
        if k <= 0 or not self._ids or not query.strip() or self._lexical is None:
            return []
        mask = self.mask(filters)
        if not mask.any():
            return []
        use_dense = self.encoder is not None and self.alpha > 0
        words_first = self.fusion == "words-first" and self.alpha < 1
        pool = max(k, 100) if use_dense and not words_first else k
        lexical: dict[int, float] = {}
        corrected = False
        if self.alpha < 1:
            scores, corrected = self._lexical.relevance(self._words(query))
            lexical = self._top(scores, mask, pool, prior)
        if words_first and len(lexical) >= k:
            use_dense = False  # the words filled every place: vectors would add nothing
        dense: dict[int, float] = {}
        if use_dense:
            assert self.encoder is not None
            vector = self.encoder.encode([query])[0]
            # einsum: one thread, no BLAS thread pool to wake (or to contend for) per query
            sims = np.einsum("ij,j->i", self._vectors, vector).astype(np.float64)
            wanted = k + len(lexical) if words_first else pool
            dense = self._top(sims + 1.0, mask, wanted)  # shift: cosine can be negative
        if dense and self.fusion == "relative":
            fused = relative_score_fusion(lexical, dense, self.alpha)
            ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        elif dense:  # words first (in _top's order), then what only the vectors found
            ranked = list(words_first_fusion(lexical, dense).items())[:k]
        else:  # lexical alone: keep _top's order (tiers, then the prior)
            ranked = list(lexical.items())[:k]
        word_kind = "fuzzy" if corrected else "bm25"
        hits = []
        for i, score in ranked:
            kind = word_kind if i in lexical else "vector"
            if i in lexical and i in dense:
                kind = "hybrid"
            # trusted values built here: skip validation, it is a third of the query time
            hits.append(SearchHit.model_construct(product_id=self._ids[i], score=score,
                                                  retriever=kind))  # fmt: skip
        return hits

    def health(self) -> SearchHealth:
        """``ok`` once built; ``mode`` is ``"hybrid"`` with vectors, else ``"bm25"``."""
        mode = f"hybrid ({self.encoder.name})" if self.encoder is not None else "bm25"
        return SearchHealth(
            backend=self.name, ok=self._lexical is not None or not self._ids, mode=mode,
            detail=f"{len(self)} products indexed",
        )  # fmt: skip

    # --- persistence --------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write the index (products, vectors) to ``folder``.

        Removed products are dropped for good first (one rebuild, no re-embedding). The
        word index is rebuilt on load (about two seconds for 50k products); the vectors,
        the slow part, are stored.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if not self._live.all():
            self.index([])
        if self._lexical is None:
            raise ValidationError("index", 0, "is empty: index products before saving")
        meta = {
            "format": _FORMAT,
            "alpha": self.alpha,
            "fusion": self.fusion,
            "dense": self.encoder.name if self.encoder is not None else False,
            "products": [self._products[pid].model_dump(mode="json") for pid in self._ids],
        }
        (folder / "products.json").write_text(json.dumps(meta))
        if self.encoder is not None:
            np.save(folder / "vectors.npy", self._vectors)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> LocalSearch:
        """Reopen an index written by :meth:`save` (no re-embedding)."""
        folder = Path(folder)
        path = folder / "products.json"
        if not path.is_file():
            raise ValidationError("folder", str(folder), "holds no saved LocalSearch index")
        meta = json.loads(path.read_text())
        if meta.get("format") != _FORMAT:
            raise ValidationError("folder", str(folder), "was written by another LeafLoaf "
                                  "version: index the catalog again")  # fmt: skip
        search = cls(dense=meta["dense"], alpha=meta["alpha"], fusion=meta["fusion"])
        products = [Product(**p) for p in meta["products"]]
        search._products = {p.product_id: p for p in products}
        vectors = {}
        if search.encoder is not None:
            matrix = np.load(folder / "vectors.npy")
            vectors = dict(zip(search._products, matrix, strict=True))
        search._rebuild(vectors)
        return search
