"""RedisSessionStore: assistant sessions shared by every app process (the ``[redis]`` extra).

Each session is one JSON string, ``{ns}:s:<session id>``, with a time to live renewed on
every save; a per-shopper set, ``{ns}:su:<user id>``, lists a shopper's session ids so that
``forget_user`` can erase them all in one script. Every key carries the namespace as a hash
tag, so the scripts also run on a Redis Cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from leafloaf.agents.base import SessionState, SessionStore
from leafloaf.errors import ConfigError, StoreUnavailableError
from leafloaf.health import BackendHealth
from leafloaf.stores.redis import RedisConnection

__all__ = ["RedisSessionStore"]

T = TypeVar("T")

# KEYS: session key, the shopper's set; ARGV: body, ttl ms (0: none), session id, key prefix
_SAVE = """
local old = redis.call('GET', KEYS[1])
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and decoded['user_id'] then
    local old_set = ARGV[4] .. 'su:' .. decoded['user_id']
    if old_set ~= KEYS[2] then redis.call('SREM', old_set, ARGV[3]) end
  end
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('SADD', KEYS[2], ARGV[3])
if ttl > 0 then
  local left = redis.call('PTTL', KEYS[2])
  if left >= 0 and left < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
else
  redis.call('PERSIST', KEYS[2])
end
return 1
"""
# KEYS: the shopper's set; ARGV: session key prefix
_FORGET = """
local gone = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  gone = gone + redis.call('DEL', ARGV[1] .. sid)
end
redis.call('DEL', KEYS[1])
return gone
"""


class RedisSessionStore(SessionStore):
    """Sessions as JSON strings in Redis, expired by the server after ``ttl`` seconds idle.

    A server that cannot be reached raises :class:`~leafloaf.errors.StoreUnavailableError`
    (the breaker then fails fast until ``reset_timeout_s`` has passed), as the SQLite store
    does when its file is locked: the assistant answers the turn without its context.

    >>> store = RedisSessionStore("redis://127.0.0.1:6379/0", ttl=3600)  # doctest: +SKIP
    """

    name: ClassVar[str] = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        ttl: float | None = 24 * 3600,
        namespace: str = "leafloaf",
        pool_size: int = 16,
        timeout_s: float = 1.0,
        failure_threshold: int = 3,
        reset_timeout_s: float = 1.0,
    ) -> None:
        if ttl is not None and not ttl > 0:
            raise ConfigError("ttl", ttl, "must be a number of seconds > 0 (or None: no expiry)")
        self._conn = RedisConnection(
            url, namespace, pool_size, timeout_s, failure_threshold, reset_timeout_s,
            "redis sessions",
        )  # fmt: skip
        self.url = url
        self.namespace = namespace
        self.ttl = ttl
        self._p = f"{{{namespace}}}:"
        self._client = self._conn.client
        self.breaker = self._conn.breaker
        self._save = self._client.register_script(_SAVE)
        self._forget = self._client.register_script(_FORGET)
        self._closed = False

    def _key(self, session_id: str) -> str:
        return f"{self._p}s:{session_id}"

    def _run(self, work: Callable[[], T]) -> T:
        if self._closed:
            raise StoreUnavailableError(f"redis session store {self.url!r} is closed")
        return self._conn.call(lambda _client: work(), "redis session store")

    def load(self, session_id: str) -> SessionState | None:
        body: Any = self._run(lambda: self._client.get(self._key(session_id)))
        if body is None:
            return None
        return SessionState.model_validate_json(body)

    def save(self, state: SessionState) -> None:
        ttl_ms = 0 if self.ttl is None else max(1, round(self.ttl * 1000))
        keys = [self._key(state.session_id), f"{self._p}su:{state.user_id}"]
        args = [state.model_dump_json(), ttl_ms, state.session_id, self._p]
        self._run(lambda: self._save(keys=keys, args=args))

    def delete(self, session_id: str) -> None:
        self._run(lambda: self._client.delete(self._key(session_id)))

    def forget_user(self, user_id: str) -> int:
        gone: Any = self._run(
            lambda: self._forget(keys=[f"{self._p}su:{user_id}"], args=[f"{self._p}s:"])
        )
        return int(gone)

    def health(self) -> BackendHealth:
        def probe(client: Any) -> str:
            if self._closed:
                raise StoreUnavailableError("closed by this process")
            client.ping()
            ttl = "no expiry" if self.ttl is None else f"ttl {self.ttl:g} s"
            return f"sessions, {ttl}"

        return self._conn.health("sessions", probe, "turns are answered without their context")

    def close(self) -> None:
        """Close the client and its pooled connections; later calls raise, health says down."""
        self._closed = True
        self._conn.close()
