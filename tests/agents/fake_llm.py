"""An in-process OpenAI-compatible HTTP server for the LLM tests: scripted answers, real HTTP."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[dict[str, Any]], tuple[int, Any, float]]
"""Request body → (HTTP status, JSON body or the content string, delay in seconds)."""


def chat(content: Any) -> dict[str, Any]:
    """A chat-completions response whose message content is ``content`` (JSON-encoded)."""
    text = content if isinstance(content, str) else json.dumps(content)
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


@dataclass
class FakeServer:
    """What the server saw, and how it answers next."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    default: Answer | None = None

    def answer(self, body: dict[str, Any]) -> tuple[int, Any, float]:
        self.requests.append(body)
        if self.script:
            return self.script.pop(0)(body)
        if self.default is not None:
            return self.default(body)
        return 500, {"error": "no answer scripted"}, 0.0


@contextmanager
def fake_llm_server() -> Iterator[FakeServer]:
    """Start the server on a free local port; yields its state (``url`` ends in ``/v1``)."""
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send(200, {"data": [{"id": "fake-model"}]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, answer, delay = state.answer(body)
            if delay:
                time.sleep(delay)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._send(status, answer)  # unless the client timed out and left

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
