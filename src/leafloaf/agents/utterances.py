"""The labelled shopper messages shipped with LeafLoaf, and their fixed train/held-out split."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["HELD_OUT_EVERY", "Utterance", "load_utterances", "product_free_words"]

HELD_OUT_EVERY = 5
"""One message in five (by a hash of its text) is held out: the model never trains on it."""

_BRACKET = re.compile(r"\[([^\]]*)\]")
TOKEN = re.compile(r"\$?\d+(?:\.\d+)?(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)?|[,;&#]")
"""Words, numbers (with an optional $) and the punctuation that separates clauses."""


@dataclass(frozen=True)
class Utterance:
    """One labelled message: its clauses with their intents, and its split."""

    text: str
    """The message as a shopper types it (brackets and clause marks removed)."""
    clauses: tuple[tuple[str, str], ...]
    """``(intent, clause text with [product] brackets)`` in order."""
    held_out: bool

    @property
    def intents(self) -> tuple[str, ...]:
        """The intents of its clauses, in order."""
        return tuple(intent for intent, _ in self.clauses)


def tokens(text: str) -> list[str]:
    """Lower-cased word, number and separator tokens of a message."""
    return TOKEN.findall(text.lower())


@cache
def load_utterances() -> tuple[Utterance, ...]:
    """Every labelled message in ``agents/data/utterances.tsv``."""
    raw = files("leafloaf.agents").joinpath("data/utterances.tsv").read_text(encoding="utf-8")
    out = []
    for line in raw.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        intents = label.split("+")
        parts = [part.strip() for part in text.split(" || ")]
        if len(parts) != len(intents):
            raise ValueError(f"utterances.tsv: {len(intents)} intents for {len(parts)} clauses")
        plain = " ".join(_BRACKET.sub(r"\1", part) for part in parts)
        held_out = zlib.crc32(plain.encode()) % HELD_OUT_EVERY == 0
        out.append(Utterance(plain, tuple(zip(intents, parts, strict=True)), held_out))
    return tuple(out)


@cache
def product_free_words() -> frozenset[str]:
    """Words the training messages use around products and never inside them.

    What is left of a clause without these (and without numbers) names products: the
    lexicon is learned from the bracket marks of the training split, not written by hand.
    """
    outside: set[str] = set()
    inside: set[str] = set()
    for utterance in load_utterances():
        if utterance.held_out:
            continue
        for _, clause in utterance.clauses:
            for span in _BRACKET.findall(clause):
                inside.update(tokens(span))
            outside.update(tokens(_BRACKET.sub(" ", clause)))
    return frozenset(outside - inside)
