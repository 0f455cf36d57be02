"""Slot filling: quantities, units, positions, price caps and product words of one clause.

Number words become digits with ``text2num`` (``"three"`` → 3); the few grocery number
phrases it does not cover ("a dozen", "a couple") and the units are a small grammar here.
Product words are what remains after the words the labelled messages use around products
(:func:`~leafloaf.agents.utterances.product_free_words`), so the lexicon is learned.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from leafloaf.agents.base import Slots
from leafloaf.agents.utterances import product_free_words, tokens
from leafloaf.errors import MissingExtraError

__all__ = ["diet_words", "mask_products", "parse_slots", "to_digits"]

_GROUPS = {"couple": 2.0, "pair": 2.0, "half": 0.5}
_UNITS = {
    "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb", "kg": "kg", "kilo": "kg",
    "kilos": "kg", "g": "g", "grams": "g", "oz": "oz", "ounce": "oz", "ounces": "oz",
    "gallon": "gallon", "gallons": "gallon", "liter": "l", "liters": "l", "litre": "l",
    "litres": "l", "l": "l", "ml": "ml", "pack": "pack", "packs": "pack", "bag": "bag",
    "bags": "bag", "box": "box", "boxes": "box", "can": "can", "cans": "can",
    "bottle": "bottle", "bottles": "bottle", "carton": "carton", "cartons": "carton",
    "bunch": "bunch", "bunches": "bunch", "loaf": "loaf", "loaves": "loaf", "jar": "jar",
    "jars": "jar", "dozen": "dozen", "dozens": "dozen",
}  # fmt: skip
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "last": -1}  # fmt: skip
_POSITION_NOUNS = {"number", "no", "#", "option", "item"}
_ONE_REF = "oneref"
_REFERENCES = {"it", "that", "this", "those", "them", "same", _ONE_REF}
_COUNTING = {"add", "just", "only", "take", "remove", "make", "it", "to", "want", "need",
             "get", "actually", "have", "buy", "and", "of", "grab", "put"}  # fmt: skip
"""Words after which "one" is a count ("just one"), not a pointer ("the organic one")."""
_ORDINAL_DIGITS = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_NEGATIONS = {"again", "fine", "anymore", "ok"}
"""Words that withdraw a stated preference ("I eat meat again", "fine with dairy now")."""
_CONNECTORS = {"and", ",", ";", "&", "plus", "or"}
_PRICE = re.compile(
    r"(?:under|below|less than|cheaper than|max|at most|up to|no more than)\s*\$?\s*"
    r"(\d+(?:\.\d+)?)|\$\s*(\d+(?:\.\d+)?)"
)
_SKIP = _POSITION_NOUNS | {"of", "the", "a", "an"}
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_TIMES = re.compile(r"\bx\s*(\d+)\b")


def to_digits(text: str) -> str:
    """``text`` with number words written as digits (``text2num``; needs leafloaf[assistant]).

    >>> to_digits("add three bananas and a couple of limes")
    'add 3 bananas and 2 of limes'
    """
    try:
        from text_to_num import alpha2digit
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError("assistant", "text2num") from exc
    words = text.lower().split()
    out: list[str] = []
    for i, raw in enumerate(words):
        word = raw.strip(".,!?")
        after = words[i + 1].strip(".,!?") if i + 1 < len(words) else ""
        if word in ("a", "an") and after in _GROUPS:
            continue  # "a couple" → "couple" → 2 below
        if word in ("a", "an") and after in ("dozen", "pack", "bag", "box", "gallon", "loaf"):
            out.append("1")  # "a dozen eggs": one carton of a dozen
            continue
        if word in ("one", "ones") and i and words[i - 1].strip(".,!?") not in _COUNTING:
            out.append(_ONE_REF)  # "the organic one" points at a product, it counts nothing
            continue
        out.append(raw)
    digits = alpha2digit(" ".join(out), "en", threshold=1)
    merged: list[str] = []
    for word in digits.split():
        bare = word.strip(".,!?")
        group = _GROUPS.get(bare)
        if group is not None and merged and _NUMBER.match(merged[-1]) and bare != "half":
            merged[-1] = f"{float(merged[-1]) * group:g}"  # "2 dozen" → 24
        elif group is not None and bare != "half":
            merged.append(f"{group:g}")
        else:
            merged.append(word)
    return " ".join(merged)


@cache
def _diets() -> dict[str, tuple[str, ...]]:
    raw = files("leafloaf.agents").joinpath("data/diets.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in raw.splitlines() if line and not line.startswith("#"))
    return {word: tuple(avoids.split()) for word, avoids in rows}


def diet_words(words: list[str]) -> list[str]:
    """Catalog words a preference names: diet words expanded ("vegan" → meat, dairy …).

    >>> diet_words(["vegetarian"])
    ['meat', 'seafood']
    """
    out: list[str] = []
    for word in words:
        out.extend(_diets().get(word, (word,)))
    return list(dict.fromkeys(out))


def parse_slots(clause: str) -> Slots:
    """The slots of one clause.

    >>> s = parse_slots("add two cartons of oat milk under $4")
    >>> s.products, s.quantity, s.unit, s.max_price
    (['oat milk'], 2.0, 'carton', 4.0)
    >>> parse_slots("the second one").ordinal, parse_slots("make it three").reference
    (2, 'it')
    """
    text = to_digits(clause)
    slots = Slots()
    price = _PRICE.search(text)
    if price:
        slots.max_price = float(price.group(1) or price.group(2))
        text = text[: price.start()] + " " + text[price.end() :]
    times = _TIMES.search(text)
    if times:
        slots.quantity = float(times.group(1))
        text = text[: times.start()] + " " + text[times.end() :]
    words = tokens(text)
    known = product_free_words()
    runs: list[list[str]] = [[]]
    diet: list[str] = []
    for i, word in enumerate(words):
        nth = _ORDINAL_DIGITS.match(word)
        if nth:
            slots.ordinal = int(nth.group(1))
            runs.append([])
            continue
        if _NUMBER.match(word):
            before = words[i - 1] if i else ""
            if before in _POSITION_NOUNS and slots.ordinal is None:
                slots.ordinal = int(float(word))
            elif slots.quantity is None:
                slots.quantity = float(word)
            runs.append([])
            continue
        if word in _UNITS and (slots.quantity is not None or word in ("gallon", "lb", "dozen")):
            slots.unit = slots.unit or _UNITS[word]
            runs.append([])
            continue
        if word in _ORDINALS:
            slots.ordinal = _ORDINALS[word]
            runs.append([])
            continue
        if word in _diets():
            diet.append(word)
        if word in _NEGATIONS:
            slots.negated = True
        if word in _CONNECTORS or word in known or word in _REFERENCES or word in _SKIP:
            runs.append([])
            if word in _REFERENCES:
                slots.reference = "it"
            continue
        runs[-1].append(word)
    slots.products = [" ".join(run) for run in runs if run]
    slots.diet = diet_words(diet + [w for p in slots.products for w in p.split()])
    if slots.ordinal is not None:
        slots.reference = "ordinal"
    elif slots.products and slots.reference == "it":
        # "the organic one": a word that picks among the results just shown
        slots.reference = "one" if _ONE_REF in words else None
    return slots


_KEEP = {"the", "a", "of", "and", _ONE_REF}


def mask_products(text: str) -> str:
    """The clause's shape: product words become ``item``, numbers ``num``.

    What a shopper asks for does not depend on which product they name; the intent model
    reads this shape beside the raw characters (which keep typo robustness).

    >>> mask_products("add three cartons of oat milk please")
    'add num unit of item please'
    """
    known = product_free_words()
    out: list[str] = []
    for word in tokens(to_digits(text)):
        if word[0].isdigit() or word[0] == "$":
            word = "num"
        elif word in _UNITS:
            word = "unit"
        elif word not in known and word not in _KEEP:
            word = "item"
        if not (word == "item" and out and out[-1] == "item"):
            out.append(word)
    return " ".join(out)
