"""Field-aware lexical relevance learned from the catalog: spelling, head nouns, tiers.

Everything here is estimated from the products indexed, never from a word list:

* **Spelling** (:class:`SpellModel`): a noisy-channel model over the catalog's own word
  frequencies. A query word ``w`` could be a typo of any catalog word ``c`` within one
  edit (two from 8 letters on; Damerau–Levenshtein, found with rapidfuzz); the chance of
  that typo is ``TYPO_RATE`` times one factor per edit — ``LIKELY_EDIT`` for the errors
  people make most (keyboard neighbours, a vowel for a vowel, sound-alike consonants,
  a doubled or dropped double letter, a dropped vowel or ``h``, two letters swapped) and
  ``OTHER_EDIT`` otherwise. The posterior weight of each reading is
  ``frequency × channel``; the best reading gets weight 1. A frequent word is therefore
  never corrected (``beet`` stays beet, beef is a distant second), a rare one next to a
  frequent one is (the catalog's own ``strawberies`` reads as strawberries), and spelling
  variants map both ways (``yoghurt`` finds yogurt, and ``yogurt`` finds yoghurt
  products, weighted by how likely the rarer spelling is a variant of the common one).
* **Fields**: a word matched in the name counts fully, in the brand ``BRAND_WEIGHT``, in
  the aisle ``AISLE_WEIGHT``, in a broader category ``DEPARTMENT_WEIGHT``; each field is a
  set of words, so a word repeated in a name counts once.
* **Coverage**: the query words matched, each weighted by its inverse document frequency
  in the catalog, as a share of all of them (1 when every word matched in the name). A
  query whose words are exactly a category's name (an aisle or department: ``fresh
  fruits``, ``lunch meat``, ``snacks``) names that category: its products come first
  (those whose names hold the words too before the rest), then products filed elsewhere.
* **Head noun**: a product name's head is the word most likely to end a name in this
  catalog (its share of last positions, smoothed), preferring later words; an aisle
  name's head and the query's head the same way (``milk`` in ``oat milk``, ``cheez`` in
  ``cheez it``). The product *is* the query when its head — or its aisle's — is the
  query's head. That adds 1.
* **Compounds**: a catalog word that joins two query words (``almondmilk``) matches them
  both; a query word that splits into two catalog words seen side by side in names
  matches products holding both.
* **Phrases**: two query words that the catalog's names hold side by side (``cheez it``)
  are read as typed: a reading of one of them that does not make a catalog phrase with
  the other is a typo only at ``TYPO_RATE`` (``cheez`` next to ``it`` is not ``cheese``).
* **Function words** (:func:`function_words`): words that many names use but (almost)
  never start or end one — ``and``, ``with``, ``of`` in Instacart — only join other
  words; they are dropped from names and queries. No stopword list: a word such as
  ``it`` (``Cheez-It``) or ``no`` (``No Salt Added``) is kept unless the catalog uses it
  as a joiner.

Relevance = coverage + head match, in [0, 2]. Equal relevance means an equally good
textual match: popularity may order products *inside* such a tier, never across tiers.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from leafloaf.models import Product

__all__ = [
    "FieldIndex",
    "SpellModel",
    "function_words",
    "normalise",
    "relevance_tier",
    "tier_order",
]

TYPO_RATE = 0.05
"""Share of typed query words that contain a typo (web query logs: ~10 % of queries)."""
LIKELY_EDIT = 0.25
"""Chance that a typo is one particular *common* edit (see the module docstring)."""
OTHER_EDIT = 0.02
"""Chance that a typo is one particular other edit."""
MIN_WEIGHT = 0.02
"""Readings less likely than this (relative to the best) are dropped."""
BRAND_WEIGHT = 0.8
AISLE_WEIGHT = 0.5
DEPARTMENT_WEIGHT = 0.25
FILED_COVERAGE = 1.0 - 1e-3
"""When a query names a category, a product filed under it scores at least twice this (a
tier right below the products whose names say it too); a product filed elsewhere keeps
this squared share of its score (a tier below every filed one). An order, not a weight."""
HEAD_DECAY = 0.5
"""Each step back from the end of a name halves a word's claim to be its head."""
JOINER_EDGE_SHARE = 0.1
"""A function word sits at either end of a name at most this share as often as a word
placed at random would (``and``: 0 of an expected 331; ``organic``: 1.8 times as often)."""
_TOKEN = re.compile(r"[^\W_]{2,}")
_SEGMENT = re.compile(r",|\(| - ")
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_SOUNDS = ("ckqsxz", "gj", "fv", "mn", "bp", "dt", "aeiouy")


def normalise(text: str) -> str:
    """Lower case without accents: ``"Jalapeño"`` → ``"jalapeno"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def relevance_tier(score: float) -> float:
    """The tier of a relevance score: scores equal to 6 decimals are equally relevant."""
    return round(score, 6)


def tier_order(
    scores: NDArray[np.float64], prior: NDArray[np.float64], groups: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Positions in ranking order: relevance tier first; inside a tier, the group (aisle)
    holding the larger share of the tier's prior (purchases), then the item's own prior.

    Which aisle a query means is learned from what people buy among its equally good
    matches (for "banana": fresh fruits, not banana-flavoured baby food), and products
    nobody bought yet still sit with their aisle. Groups < 0 have no share.

    >>> tier_order(np.array([2.0, 2.0, 2.0, 1.0]), np.array([0.0, 5.0, 1.0, 9.0]),
    ...            np.array([0, 1, 0, 0])).tolist()
    [1, 2, 0, 3]
    """
    n = len(scores)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    tiers = np.round(scores, 6)
    levels, tier_index = np.unique(-tiers, return_inverse=True)
    width = int(groups.max(initial=0)) + 2
    cell = tier_index * width + np.where(groups >= 0, groups + 1, 0)
    mass = np.bincount(cell, weights=prior, minlength=len(levels) * width)
    total = np.bincount(tier_index, weights=prior, minlength=len(levels))
    share = np.where(groups >= 0, mass[cell] / np.maximum(total[tier_index], 1e-12), 0.0)
    return np.lexsort((np.arange(n), -prior, -share, tier_index)).astype(np.int64)


def function_words(names: Iterable[str]) -> frozenset[str]:
    """Words that only join others in these product names: frequent, never at an edge.

    A word is a joiner when at least ``sqrt(len(names))`` names hold it and it starts or
    ends a name (of its alphabetic words) at most ``JOINER_EDGE_SHARE`` times as often as
    a word at a random place in the same names would (a word in a name of ``n`` words is
    at an edge with chance ``min(1, 2 / n)``).

    >>> function_words(["Salt and Pepper", "Mac and Cheese", "Bread and Butter",
    ...                 "Rock and Roll", "Oat Milk", "Milk Chocolate"])
    frozenset({'and'})
    """
    held: Counter[str] = Counter()
    edge: Counter[str] = Counter()
    expected: dict[str, float] = {}
    count = 0
    for name in names:
        count += 1
        # sizes and counts ("12 oz") often end a name: edges are of the alphabetic words
        words = [w for w in _TOKEN.findall(normalise(name)) if w.isalpha()]
        n = len(words)
        held.update(set(words))
        for i, word in enumerate(words):
            expected[word] = expected.get(word, 0.0) + min(1.0, 2.0 / n)
            if i == 0 or i == n - 1:
                edge[word] += 1
    floor = math.sqrt(count)
    return frozenset(
        w for w, n in held.items()
        if n >= floor and edge[w] <= JOINER_EDGE_SHARE * expected[w]
    )  # fmt: skip


def _holds_row(rows: NDArray[np.int64] | None, row: int) -> bool:
    """Whether sorted postings hold ``row`` (binary search: postings can be long)."""
    if rows is None or not len(rows):
        return False
    i = int(np.searchsorted(rows, row))
    return i < len(rows) and int(rows[i]) == row


def _neighbours() -> dict[str, set[str]]:
    near: dict[str, set[str]] = {}
    for r, row in enumerate(_KEYBOARD):
        for i, key in enumerate(row):
            keys = {row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)}
            for other_row in (r - 1, r + 1):
                if 0 <= other_row < len(_KEYBOARD):
                    keys |= {_KEYBOARD[other_row][j] for j in (i - 1, i, i + 1)
                             if 0 <= j < len(_KEYBOARD[other_row])}  # fmt: skip
            near.setdefault(key, set()).update(keys)
    for group in _SOUNDS:
        for key in group:
            near.setdefault(key, set()).update(set(group) - {key})
    return near


_NEAR = _neighbours()


def channel(typed: str, meant: str) -> float:
    """P(``typed`` | the shopper meant ``meant``), given a typo: a weighted edit distance.

    >>> channel("strawbery", "strawberry") > channel("strawbzry", "strawberry")
    True
    """
    n, m = len(typed), len(meant)
    # best (highest) probability alignment; dp over prefixes, OSA transpositions included
    best = np.zeros((n + 1, m + 1))
    best[0, 0] = 1.0

    def indel(word: str, i: int) -> float:
        c = word[i]
        doubled = (i > 0 and word[i - 1] == c) or (i + 1 < len(word) and word[i + 1] == c)
        return LIKELY_EDIT if doubled or c in "aeiouyh" else OTHER_EDIT

    for i in range(n + 1):
        for j in range(m + 1):
            if i == j == 0:
                continue
            p = 0.0
            if i and j:
                same = typed[i - 1] == meant[j - 1]
                sub = 1.0 if same else (
                    LIKELY_EDIT if typed[i - 1] in _NEAR.get(meant[j - 1], ()) else OTHER_EDIT
                )  # fmt: skip
                p = best[i - 1, j - 1] * sub
                if (i > 1 and j > 1 and typed[i - 1] == meant[j - 2]
                        and typed[i - 2] == meant[j - 1] and not same):  # fmt: skip
                    p = max(p, best[i - 2, j - 2] * LIKELY_EDIT)
            if i:
                p = max(p, best[i - 1, j] * indel(typed, i - 1))
            if j:
                p = max(p, best[i, j - 1] * indel(meant, j - 1))
            best[i, j] = p
    return float(best[n, m])


@dataclass
class SpellModel:
    """Readings of a typed word, weighted by catalog frequency × typo channel.

    ``surface``: catalog word → how many products hold it; ``stem``: word → index unit;
    ``stem_df``: stem → how many products hold it.
    """

    surface: dict[str, int]
    stem: Callable[[str], str]
    stem_df: dict[str, int]
    _words: list[str] = field(default_factory=list)
    _stems: list[str] = field(default_factory=list)
    _cache: dict[str, dict[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._words = sorted(w for w in self.surface if w.isalpha() and len(w) >= 3)
        self._stems = sorted(s for s in self.stem_df if s.isalpha() and len(s) >= 3)

    def readings(self, word: str) -> dict[str, float]:
        """Stem → weight (the best reading 1) of one lower-cased query word.

        >>> df = {"yogurt": 900, "yoghurt": 20, "beef": 600, "beet": 60}
        >>> model = SpellModel(df, lambda w: w, df)
        >>> model.readings("beet")["beet"], round(model.readings("beet")["beef"], 2)
        (1.0, 0.13)
        >>> round(model.readings("yoghurt")["yogurt"], 2)
        0.59
        >>> round(model.readings("yogurt")["yoghurt"], 2)
        0.37
        """
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        own = self.stem(word)
        own_df = self.stem_df.get(own, 0)
        weights: dict[str, float] = {}
        if own_df:
            weights[own] = own_df * (1.0 - TYPO_RATE)
        doc_side: dict[str, float] = {}
        if len(word) >= 4 and word.isalpha():
            from rapidfuzz import process
            from rapidfuzz.distance import OSA

            limit = 1 if len(word) < 8 else 2
            # compare word with catalog words, and its stem with catalog stems: a typo may
            # be an edit away from another inflection ("strawbery" ~ "strawberri")
            found = [
                (word, c, self.stem(c))
                for c, _, _ in process.extract(
                    word, self._words, scorer=OSA.distance, score_cutoff=limit, limit=30
                )
            ]
            found += [(own, c, c) for c, _, _ in process.extract(
                own, self._stems, scorer=OSA.distance, score_cutoff=limit, limit=30)]  # fmt: skip
            for typed, candidate, stem in found:
                if stem == own:
                    continue
                df = self.stem_df.get(stem, 0)
                p = TYPO_RATE * channel(typed, candidate)
                weights[stem] = max(weights.get(stem, 0.0), df * p)
                if own_df and df < own_df:  # a rarer catalog word may be our word misspelt
                    variant = own_df * p / (df * (1 - TYPO_RATE) + own_df * p)
                    doc_side[stem] = max(doc_side.get(stem, 0.0), variant)
        top = max(weights.values(), default=0.0)
        result: dict[str, float] = {}
        if top > 0:
            for stem, w in weights.items():
                result[stem] = max(w / top, doc_side.get(stem, 0.0))
        result = {s: w for s, w in result.items() if w >= MIN_WEIGHT}
        if len(self._cache) < 20_000:  # bounded: queries are unbounded
            self._cache[word] = result
        return result


class FieldIndex:
    """Per-field word postings, head nouns and catalog word statistics of a product list."""

    def __init__(
        self,
        products: Sequence[Product],
        stem_words: Callable[[list[str]], list[str]],
        stopwords: frozenset[str] | None = None,
    ) -> None:
        self._stem_words = stem_words
        self.stopwords = (
            function_words(p.name for p in products) if stopwords is None else stopwords
        )
        """Words dropped from names and queries: by default the catalog's function words."""
        self.size = len(products)
        stem_cache: dict[str, str] = {}

        def stem(word: str) -> str:
            s = stem_cache.get(word)
            if s is None:
                s = stem_cache[word] = self._stem_words([word])[0]
            return s

        self.stem = stem
        fields: dict[str, dict[str, list[int]]] = {
            f: {} for f in ("name", "brand", "aisle", "department")
        }
        surface: Counter[str] = Counter()
        df: Counter[str] = Counter()
        last: Counter[str] = Counter()
        seen: Counter[str] = Counter()
        segments: list[list[str]] = []
        self.bigrams: set[tuple[str, str]] = set()
        for row, product in enumerate(products):
            name_words = self.words(product.name)
            texts = {
                "name": name_words + [w for t in product.tags for w in self.words(t)],
                "brand": self.words(product.brand or ""),
                "aisle": self.words(product.categories[-1]) if product.categories else [],
                "department": [w for c in product.categories[:-1] for w in self.words(c)],
            }
            held: set[str] = set()
            for name, words in texts.items():
                stems = {stem(w) for w in words}
                held |= stems
                for s in stems:
                    fields[name].setdefault(s, []).append(row)
                surface.update(set(words))
            df.update(held)
            for a, b in itertools.pairwise(name_words):
                self.bigrams.add((stem(a), stem(b)))
            segment = [stem(w) for w in self.words(_SEGMENT.split(product.name)[0])
                       if w.isalpha()] or [stem(w) for w in name_words]  # fmt: skip
            segments.append(segment)
            if segment:
                last[segment[-1]] += 1
                seen.update(set(segment))
        self.df = dict(df)
        self.postings = {f: {s: np.asarray(r, dtype=np.int64) for s, r in p.items()}
                         for f, p in fields.items()}  # fmt: skip
        # a word's claim to be a head: its share of last positions, shrunk toward the mean
        mean = (sum(last.values()) / max(sum(seen.values()), 1)) if seen else 0.0
        headness = {w: (last[w] + 2 * mean) / (seen[w] + 2) for w in seen}
        self.headness = headness
        self.mean_headness = mean
        self.vocab = {s: i for i, s in enumerate(sorted(df))}
        heads = np.full(self.size, -1, dtype=np.int64)
        aisle_stems: dict[str, set[str]] = {}
        for row, segment in enumerate(segments):
            if segment:
                # a name word its aisle's name holds too is what the product is: the
                # catalog filed "Flour Tortillas" under tortillas, not under flour
                cats = products[row].categories
                aisle = cats[-1] if cats else ""
                if aisle not in aisle_stems:
                    aisle_stems[aisle] = {stem(w) for w in self.words(aisle)}
                filed = aisle_stems[aisle]
                k = len(segment)
                claims = [
                    ((1.0 if w in filed else headness[w]) * HEAD_DECAY ** (k - 1 - i), i)
                    for i, w in enumerate(segment)
                ]
                heads[row] = self.vocab[segment[max(claims)[1]]]
        self.heads = heads
        # an aisle's head the same way ("pasta sauce" is sauce, "dry pasta" is pasta)
        aisle_heads = np.full(self.size, -1, dtype=np.int64)
        named: dict[str, int] = {}
        for row, product in enumerate(products):
            if not product.categories:
                continue
            aisle = product.categories[-1]
            if aisle not in named:
                words = [stem(w) for w in self.words(aisle) if w.isalpha()]
                k = len(words)
                named[aisle] = -1 if not k else self.vocab[words[max(range(k), key=lambda i: (
                    headness.get(words[i], mean) * HEAD_DECAY ** (k - 1 - i), i))]]  # fmt: skip
            aisle_heads[row] = named[aisle]
        self.aisle_heads = aisle_heads
        aisles: dict[str, int] = {}
        self.aisle_ids = np.asarray(
            [aisles.setdefault(p.categories[-1], len(aisles)) if p.categories else -1
             for p in products], dtype=np.int64)  # fmt: skip
        # the products filed under each category name (aisle or broader), by its words
        named_rows: dict[frozenset[str], list[int]] = {}
        for row, product in enumerate(products):
            for category in product.categories:
                key = frozenset(stem(w) for w in self.words(category))
                if key:
                    named_rows.setdefault(key, []).append(row)
        self.category_rows = {k: np.unique(np.asarray(r, dtype=np.int64))
                              for k, r in named_rows.items()}  # fmt: skip
        self.spell = SpellModel(dict(surface), stem, self.df)

    def words(self, text: str) -> list[str]:
        """Lower-cased, accent-free words of ``text`` (2+ characters), stopwords dropped."""
        return [w for w in _TOKEN.findall(normalise(text)) if w not in self.stopwords]

    def readings(self, words: Sequence[str]) -> list[dict[str, float]]:
        """Per query word: the stems it may mean, weighted; compounds joined both ways."""
        out = [dict(self.spell.readings(w)) for w in words]
        stems = [self.stem(w) for w in words]
        for i in range(len(words) - 1):  # "cheez it" is a catalog phrase: cheez, not cheese
            if (stems[i], stems[i + 1]) in self.bigrams:
                self._in_phrase(out[i], stems[i], stems[i + 1], before=True)
                self._in_phrase(out[i + 1], stems[i + 1], stems[i], before=False)
        for i in range(len(words) - 1):  # "almond milk" also means "almondmilk"
            joined = self.stem(words[i] + words[i + 1])
            if joined in self.df:
                out[i][joined] = out[i + 1][joined] = 1.0
        for i, word in enumerate(words):  # "almondmilk" also means "almond" + "milk"
            for cut in range(3, len(word) - 2):
                a, b = self.stem(word[:cut]), self.stem(word[cut:])
                if (a, b) in self.bigrams:
                    out[i][f"{a}\x00{b}"] = 1.0
        return out

    def _in_phrase(self, reading: dict[str, float], own: str, other: str, before: bool) -> None:
        # next to a word it makes a catalog phrase with, the typed word is likely meant:
        # another reading stays only if it makes a catalog phrase there too
        for stem in list(reading):
            pair = (stem, other) if before else (other, stem)
            if stem != own and pair not in self.bigrams:
                reading[stem] *= TYPO_RATE
        reading[own] = max(reading.values(), default=1.0)
        top = reading[own]
        for stem in list(reading):
            reading[stem] /= top
            if reading[stem] < MIN_WEIGHT:
                del reading[stem]

    def _field_match(self, stem: str, weight: float, into: NDArray[np.float64]) -> None:
        for name, factor in (("name", 1.0), ("brand", BRAND_WEIGHT), ("aisle", AISLE_WEIGHT),
                             ("department", DEPARTMENT_WEIGHT)):  # fmt: skip
            rows = self.postings[name].get(stem)
            if rows is not None:
                into[rows] = np.maximum(into[rows], weight * factor)

    def _match(self, reading: str, weight: float, into: NDArray[np.float64]) -> None:
        if "\x00" not in reading:
            self._field_match(reading, weight, into)
            return
        both = [np.zeros(self.size) for _ in range(2)]
        for part, vector in zip(reading.split("\x00"), both, strict=True):
            self._field_match(part, weight, vector)
        np.maximum(into, np.minimum(both[0], both[1]), out=into)

    def relevance(self, words: Sequence[str]) -> tuple[NDArray[np.float64], bool]:
        """Relevance of every indexed row for the query words, and whether any word was
        read as another (a typo or variant carried the match)."""
        pairs = [(w, r) for w, r in zip(words, self.readings(words), strict=True) if r]
        scores = np.zeros(self.size)
        if not pairs:
            return scores, False
        total = 0.0
        corrected = False
        for word, reading in pairs:
            best = max(reading, key=lambda s: reading[s])
            corrected |= best != self.stem(word)
            idf = math.log(1.0 + self.size / max(self.df.get(best.split("\x00")[0], 1), 1))
            matched = np.zeros(self.size)
            for stem, weight in reading.items():
                self._match(stem, weight, matched)
            scores += idf * matched
            total += idf
        asked = frozenset(max(r, key=lambda s: r[s]) for _, r in pairs)
        filed = self.category_rows.get(asked)
        scores /= total
        head = pairs[self._query_head([max(r, key=lambda s: r[s]) for _, r in pairs])][1]
        is_head = np.zeros(self.size)
        for stem, weight in head.items():
            if "\x00" in stem:
                stem = stem.split("\x00")[1]
            index = self.vocab.get(stem)
            if index is not None:
                match = (self.heads == index) | (self.aisle_heads == index)
                is_head = np.maximum(is_head, weight * match)
        scores += np.where(scores > 0, is_head, 0.0)
        if filed is not None:
            # a query that is a category's name ("fresh fruits", "white wine", "snacks")
            # asks for the products filed under it: each of them is what was asked, just
            # below one whose own name says so too ("ice cream": Vanilla Ice Cream, then
            # the ice cubes filed beside it), and above any product filed elsewhere that
            # only mentions the words (cooking wine for "white wine")
            inside = np.zeros(self.size, dtype=bool)
            inside[filed] = True
            scores = np.where(inside, np.maximum(scores, 2.0 * FILED_COVERAGE),
                              scores * FILED_COVERAGE**2)  # fmt: skip
        return scores, corrected

    def _query_head(self, stems: Sequence[str]) -> int:
        """Which query word names the product type: chosen as a name's head is."""
        k = len(stems)

        def claim(i: int) -> tuple[float, int]:
            stem = stems[i].split("\x00")[-1]
            return self.headness.get(stem, self.mean_headness) * HEAD_DECAY ** (k - 1 - i), i

        return max(range(k), key=claim)

    def word_matches(self, words: Sequence[str], rows: Sequence[int]) -> list[list[bool]]:
        """Per row, per query word: whether :meth:`relevance` matched the word in the
        row's fields (a reading of it, spelling and compounds included). A query that
        names a row's category matches every word there, as relevance scores it.

        >>> index = FieldIndex([Product(product_id="1", name="Whole Milk")], lambda ws: ws)
        >>> index.word_matches(["oat", "milk"], [0])
        [[False, True]]
        """
        readings = self.readings(words)
        asked = frozenset(max(r, key=lambda s: r[s]) for r in readings if r)
        filed = self.category_rows.get(asked) if asked else None
        out = []
        for row in rows:
            if filed is not None and _holds_row(filed, row):
                out.append([bool(r) for r in readings])
            else:
                out.append([any(self._holds(stem, row) for stem in r) for r in readings])
        return out

    def _holds(self, reading: str, row: int) -> bool:
        # a compound reading ("almond\x00milk") needs both parts, as _match scores it
        return all(
            any(_holds_row(self.postings[f].get(part), row) for f in self.postings)
            for part in reading.split("\x00")
        )

    def best_stems(self, words: Iterable[str]) -> tuple[list[str], bool]:
        """Each word's most likely stem, and whether any of them differs from the word's
        own stem (a correction)."""
        terms: list[str] = []
        corrected = False
        for word in words:
            reading = self.spell.readings(word)
            if reading:
                best = max(reading, key=lambda s: reading[s])
                corrected |= best != self.stem(word)
                terms.append(best)
        return list(dict.fromkeys(terms)), corrected
