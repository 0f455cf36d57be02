"""Contract suite for LLM backends, run against an in-process OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leafloaf import LLM, ConfigError, LLMError, OpenAICompatibleLLM
from tests.agents.fake_llm import FakeServer, chat, fake_llm_server

SCHEMA = {
    "type": "object",
    "required": ["intent", "n"],
    "properties": {
        "intent": {"type": "string", "enum": ["add", "other"]},
        "n": {"type": ["integer", "null"]},
    },
}
ASK = [{"role": "user", "content": "add two milks"}]


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with fake_llm_server() as state:
        yield state


@pytest.fixture
def llm(server: FakeServer) -> Iterator[LLM]:
    client = OpenAICompatibleLLM(server.url, "fake-model", api_key="k", timeout=0.5,
                                 retries=2, backoff=0.01)  # fmt: skip
    yield client
    client.close()


def test_answer_is_parsed_and_the_schema_is_sent(llm: LLM, server: FakeServer) -> None:
    server.script.append(lambda body: (200, chat({"intent": "add", "n": 2}), 0.0))
    assert llm.complete_json(ASK, SCHEMA, name="route") == {"intent": "add", "n": 2}
    sent = server.requests[0]
    assert sent["model"] == "fake-model" and sent["messages"] == ASK
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"] == SCHEMA
    assert sent["response_format"]["json_schema"]["name"] == "route"


def test_server_errors_are_retried_then_succeed(llm: LLM, server: FakeServer) -> None:
    server.script += [
        lambda body: (503, {"error": "busy"}, 0.0),
        lambda body: (200, chat("not json at all"), 0.0),
        lambda body: (200, chat({"intent": "other", "n": None}), 0.0),
    ]
    assert llm.complete_json(ASK, SCHEMA) == {"intent": "other", "n": None}
    assert len(server.requests) == 3


def test_answers_outside_the_schema_are_errors(llm: LLM, server: FakeServer) -> None:
    server.default = lambda body: (200, chat({"intent": "fly", "n": 1}), 0.0)
    with pytest.raises(LLMError, match="not one of"):
        llm.complete_json(ASK, SCHEMA)
    assert len(server.requests) == 3  # one try and two retries


def test_client_errors_are_not_retried(llm: LLM, server: FakeServer) -> None:
    server.default = lambda body: (401, {"error": "bad key"}, 0.0)
    with pytest.raises(LLMError, match="HTTP 401") as err:
        llm.complete_json(ASK, SCHEMA)
    assert not err.value.retryable
    assert len(server.requests) == 1


def test_a_slow_server_times_out(llm: LLM, server: FakeServer) -> None:
    server.default = lambda body: (200, chat({"intent": "add", "n": 1}), 1.5)
    with pytest.raises(LLMError, match="timed out"):
        llm.complete_json(ASK, SCHEMA)


def test_health_ok_then_down(server: FakeServer) -> None:
    client = OpenAICompatibleLLM(server.url, "fake-model", timeout=0.5)
    assert client.health().status == "ok"
    gone = OpenAICompatibleLLM("http://127.0.0.1:9/v1", "m", timeout=0.5)
    health = gone.health()
    assert health.status == "down" and health.last_error


def test_bad_configuration_names_the_field() -> None:
    with pytest.raises(ConfigError) as err:
        OpenAICompatibleLLM("localhost:8000", "m")
    assert err.value.field == "base_url"
    with pytest.raises(ConfigError) as err:
        OpenAICompatibleLLM("http://x/v1", "m", retries=-1)
    assert err.value.field == "retries"
