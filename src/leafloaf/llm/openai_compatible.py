"""OpenAICompatibleLLM: any ``/chat/completions`` endpoint (OpenAI, vLLM, Ollama, Vertex AI).

Structured output uses ``response_format = {"type": "json_schema", ...}``; the answer is
parsed and checked against the schema's required keys and enums before it is returned.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from leafloaf.errors import ConfigError, MissingExtraError
from leafloaf.health import BackendHealth
from leafloaf.llm.base import LLM, LLMError, Message

__all__ = ["OpenAICompatibleLLM", "check_schema"]

_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


class OpenAICompatibleLLM(LLM):
    """A chat-completions endpoint over httpx, with a timeout and bounded retries.

    ``transport`` is httpx's seam: tests pass an in-process server (``httpx.MockTransport``
    or a local HTTP server) so nothing leaves the machine.

    >>> llm = OpenAICompatibleLLM("http://localhost:8000/v1", model="qwen2.5-7b",
    ...                           timeout=2.0)  # doctest: +SKIP
    """

    name = "openai_compatible"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        transport: Any = None,
    ) -> None:
        try:
            import httpx
        except ImportError as exc:
            raise MissingExtraError("llm", "httpx") from exc
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ConfigError("base_url", base_url, "must be an http(s) URL")
        if not timeout > 0:
            raise ConfigError("timeout", timeout, "must be > 0 seconds")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ConfigError("retries", retries, "must be a whole number >= 0")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.retries = retries
        self.backoff = backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url, timeout=timeout, headers=headers, transport=transport
        )
        self._httpx = httpx
        self._last_error: str | None = None

    def complete_json(
        self, messages: Sequence[Message], schema: Mapping[str, Any], name: str = "answer"
    ) -> dict[str, Any]:
        body = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": 0,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": dict(schema), "strict": True},
            },
        }
        error = LLMError("no attempt made")
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                answer = self._post(body)
                check_schema(answer, schema)
                self._last_error = None
                return answer
            except LLMError as exc:
                error = exc
                self._last_error = str(exc)
                if not exc.retryable:
                    break
        raise error

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        httpx = self._httpx
        try:
            response = self._client.post("/chat/completions", json=body)
        except httpx.TimeoutException as exc:
            raise LLMError(f"timed out: {exc}", retryable=True) from exc
        except httpx.TransportError as exc:
            raise LLMError(f"cannot reach {self.base_url}: {exc}", retryable=True) from exc
        if response.status_code != 200:
            raise LLMError(
                f"HTTP {response.status_code}: {response.text[:200]}",
                retryable=response.status_code in _RETRY_STATUS,
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
            answer = json.loads(content)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMError(f"not a JSON answer: {response.text[:200]}", retryable=True) from exc
        if not isinstance(answer, dict):
            raise LLMError(f"answer is not a JSON object: {content[:200]}", retryable=True)
        return answer

    def health(self) -> BackendHealth:
        start = time.perf_counter()
        try:
            response = self._client.get("/models")
        except self._httpx.HTTPError as exc:
            return BackendHealth(backend=self.name, kind="llm", status="down",
                                 last_error=str(exc), detail=self.base_url)  # fmt: skip
        latency = (time.perf_counter() - start) * 1000
        status = "ok" if response.status_code == 200 else "degraded"
        return BackendHealth(
            backend=self.name,
            kind="llm",
            status=status,
            latency_ms=latency,
            last_error=self._last_error,
            detail=f"{self.base_url} model {self.model}",
        )

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()


def check_schema(value: Any, schema: Mapping[str, Any], where: str = "answer") -> None:
    """Check ``value`` against the subset of JSON Schema LeafLoaf uses (type, required,
    properties, items, enum); raise :class:`LLMError` naming the first mismatch.

    >>> check_schema({"n": 2}, {"type": "object", "required": ["n"],
    ...                         "properties": {"n": {"type": "integer"}}})
    >>> check_schema({"n": "2"}, {"type": "object", "properties": {"n": {"type": "integer"}}})
    Traceback (most recent call last):
    ...
    leafloaf.llm.base.LLMError: answer.n: expected integer, got '2'
    """
    kinds = schema.get("type")
    allowed = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    ok = not allowed
    for kind in allowed:
        if kind in ("number", "integer"):
            ok = ok or (isinstance(value, int | float) and not isinstance(value, bool)
                        and (kind == "number" or float(value).is_integer()))  # fmt: skip
        else:
            ok = ok or isinstance(value, types[kind])
    if not ok:
        raise LLMError(f"{where}: expected {'|'.join(allowed)}, got {value!r}"[:300], True)
    if "enum" in schema and value not in schema["enum"]:
        raise LLMError(f"{where}: {value!r} is not one of {schema['enum']}"[:300], True)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise LLMError(f"{where}: missing {key!r}", retryable=True)
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                check_schema(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check_schema(item, schema["items"], f"{where}[{i}]")
