"""``remember_text`` through graphiti's LLM path, against an in-process fake LLM server.

The fake is a local HTTP thread speaking the OpenAI chat-completions protocol: it answers
each structured-output request with the smallest instance of the JSON schema it was sent
(no entities extracted), and records what it received. The graph database is real (Kuzu).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from leafloaf import Relation, ValidationError
from leafloaf.memory.graphiti import GraphitiMemory


def _minimal(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _minimal(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return _minimal(schema["anyOf"][0], defs)
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {k: _minimal(v, defs) for k, v in props.items() if k in required}
    return {"array": [], "string": "", "integer": 0, "number": 0, "boolean": False}.get(kind)


class _FakeLLM(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, **body})
        schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
        answer = _minimal(schema, schema.get("$defs", {})) if schema else {}
        data = json.dumps(
            {
                "id": "fake",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": json.dumps(answer)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_llm() -> Iterator[str]:
    _FakeLLM.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    thread.join()


def test_statement_goes_through_the_llm_into_the_shoppers_graph(
    fake_llm: str, tmp_path: Path
) -> None:
    from graphiti_core.llm_client.config import LLMConfig
    from graphiti_core.llm_client.openai_generic_client import OpenAIGenericClient

    llm = OpenAIGenericClient(config=LLMConfig(api_key="test", base_url=fake_llm, model="fake"))
    memory = GraphitiMemory(tmp_path / "g.kuzu", llm=llm)
    when = datetime(2024, 5, 1, 12, tzinfo=UTC)
    said = memory.remember_text("ann", "I'm vegetarian now", at=when)
    assert said.relation == Relation.SAID and said.valid_at == when
    assert [f.object for f in memory.recall("ann", query="vegetarian")] == ["I'm vegetarian now"]
    asked = _FakeLLM.received
    assert asked and all(r["path"] == "/v1/chat/completions" for r in asked)
    assert any("I'm vegetarian now" in json.dumps(r["messages"]) for r in asked)

    def episodes() -> list[str]:
        rows, _, _ = memory.run(
            memory.driver.execute_query("MATCH (e:Episodic) RETURN e.content AS content")
        )
        return [r["content"] for r in rows]  # type: ignore[call-overload]

    assert episodes() == ["I'm vegetarian now"]
    memory.forget_user("ann")
    assert episodes() == []  # the episode is erased with the shopper
    assert memory.recall("ann") == []
    memory.close()


def test_without_an_llm_only_the_said_belief_is_stored(tmp_path: Path) -> None:
    memory = GraphitiMemory(tmp_path / "g.kuzu")
    memory.remember_text("bob", "no nuts please")
    assert [f.relation for f in memory.recall("bob")] == [Relation.SAID]
    with pytest.raises(ValidationError) as err:
        memory.remember_text("bob", "  ")
    assert err.value.field == "text"
    memory.close()
