"""RedisStore: StateStore on a Redis server, shared by every app process (the ``[redis]`` extra).

Layout (every key carries the hash tag ``{namespace}``, so a Redis Cluster keeps one
namespace in one slot and the commit script may touch all of it):

- ``{ns}:r:<user>``: hash, row key → the row's float64 values packed little-endian
- ``{ns}:s:<n>``: list, segment ``n`` of the log: the records (JSON) one commit appended, in
  order; an erased record becomes ``""`` (``{ns}:segs`` counts segments)
- ``{ns}:ev``: hash, event id → ``"<segment>:<position>"``; the id index for idempotency
- ``{ns}:ue:<user>``: list of one user's event ids in log order
- ``{ns}:m:<subject>``: list of ids of other accounts' events naming ``subject`` as
  member or household (the commit's ``N`` section, after the ``E`` section that logged them)
- ``{ns}:users``: every user with rows or events; ``{ns}:commits``: the commit counter

Appending is cheap for the server: one list push and one small hash entry per event, no
sorted-set insert; reading the log in order is one ``LRANGE`` per segment.

A transaction buffers its writes in this process and commits them with one Lua script:
Redis runs a script atomically, so the log and the statistics of a batch land together or
not at all, and a rolled-back transaction never reached the server. Row merges (add, min,
max, log-add) run inside the script on the packed values.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, ClassVar, TypeVar

from leafloaf.errors import ConfigError, MissingExtraError, StoreUnavailableError
from leafloaf.health import BackendHealth
from leafloaf.models import Event
from leafloaf.runtime.breaker import CircuitBreaker
from leafloaf.stores.base import (
    EventRecord,
    Op,
    RowDelta,
    StateStore,
    StoreSnapshot,
    UserRows,
    event_from_record,
    event_to_record,
    merger_for,
)

__all__ = ["RedisConnection", "RedisStore", "connect_redis"]

T = TypeVar("T")
_CHUNK = 5_000
_SWAP = sys.byteorder != "little"

# Lua 5.1 in Redis has no log1p: this is Goldberg's accurate form of it.
_COMMIT = """
local p = ARGV[1]
local nchk = tonumber(ARGV[2])
local i = 3
for _ = 1, nchk do
  if redis.call('HEXISTS', p .. 'ev', ARGV[i]) == 1 then return {-1, ARGV[i]} end
  i = i + 1
end
local function log1p(x)
  local u = 1 + x
  if u == 1 then return x end
  return math.log(u) * x / (u - 1)
end
local formats = {}
local function merge(ops, cur, d)
  local n = #ops
  if #cur ~= #d or #d ~= 8 * n then return d end
  local f = formats[n]
  if not f then f = '<' .. string.rep('d', n); formats[n] = f end
  local a, b, o = {struct.unpack(f, cur)}, {struct.unpack(f, d)}, {string.byte(ops, 1, n)}
  for c = 1, n do
    local x, y, op = a[c], b[c], o[c]
    if op == 48 then a[c] = x + y
    elseif op == 49 then if y < x then a[c] = y end
    elseif op == 50 then if y > x then a[c] = y end
    else
      local hi, lo = x, y
      if y > x then hi, lo = y, x end
      if lo ~= -math.huge then hi = hi + log1p(math.exp(lo - hi)) end
      a[c] = hi
    end
  end
  return struct.pack(f, unpack(a, 1, n))
end
local function settle(user)
  local rows, log = p .. 'r:' .. user, p .. 'ue:' .. user
  if redis.call('EXISTS', rows) == 0 and redis.call('EXISTS', log) == 0 then
    redis.call('SREM', p .. 'users', user)
  end
end
local function drop_event(id, keep_user_list)
  local loc = redis.call('HGET', p .. 'ev', id)
  if not loc then return nil end
  local cut = string.find(loc, ':', 1, true)
  local seg, pos = p .. 's:' .. string.sub(loc, 1, cut - 1), tonumber(string.sub(loc, cut + 1))
  local r = cjson.decode(redis.call('LINDEX', seg, pos))
  redis.call('LSET', seg, pos, '')
  redis.call('HDEL', p .. 'ev', id)
  if not keep_user_list then redis.call('LREM', p .. 'ue:' .. r[2], 1, id) end
  for _, who in ipairs({r[9], r[10]}) do
    if type(who) == 'string' then redis.call('LREM', p .. 'm:' .. who, 1, id) end
  end
  return r[2]
end
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'M' then
    local user, n = ARGV[i + 1], tonumber(ARGV[i + 2])
    local rk = p .. 'r:' .. user
    i = i + 3
    local start = 1
    while start <= n do
      local stop = math.min(n, start + 999)
      local keys = {}
      for j = start, stop do keys[#keys + 1] = ARGV[i + (j - 1) * 2] end
      local cur = redis.call('HMGET', rk, unpack(keys))
      local out = {}
      for j = start, stop do
        local b = i + (j - 1) * 2
        local blob = ARGV[b + 1]
        local width = string.byte(blob, 1) * 256 + string.byte(blob, 2)
        local v = string.sub(blob, 3 + width)
        local c = cur[j - start + 1]
        if c then v = merge(string.sub(blob, 3, 2 + width), c, v) end
        out[#out + 1] = ARGV[b]
        out[#out + 1] = v
      end
      redis.call('HSET', rk, unpack(out))
      start = stop + 1
    end
    i = i + 2 * n
    redis.call('SADD', p .. 'users', user)
  elseif op == 'R' then
    local user, n = ARGV[i + 1], tonumber(ARGV[i + 2])
    local rk = p .. 'r:' .. user
    redis.call('DEL', rk)
    i = i + 3
    for j = 1, n do
      redis.call('HSET', rk, ARGV[i], ARGV[i + 1])
      i = i + 2
    end
    if n > 0 then redis.call('SADD', p .. 'users', user) else settle(user) end
  elseif op == 'E' then
    local n = tonumber(ARGV[i + 1])
    i = i + 2
    local seg = redis.call('INCR', p .. 'segs')
    local segkey, prefix = p .. 's:' .. seg, seg .. ':'
    local blob, at = ARGV[i + 2 * n], 1
    local recs, locs, by_user = {}, {}, {}
    for k = 1, n do
      local id, user = ARGV[i], ARGV[i + 1]
      local stop = string.find(blob, '\\n', at, true) or (#blob + 1)
      recs[#recs + 1] = string.sub(blob, at, stop - 1)
      at = stop + 1
      locs[#locs + 1] = id
      locs[#locs + 1] = prefix .. (k - 1)
      local mine = by_user[user]
      if not mine then mine = {}; by_user[user] = mine end
      mine[#mine + 1] = id
      if #recs >= 1000 then
        redis.call('RPUSH', segkey, unpack(recs))
        redis.call('HSET', p .. 'ev', unpack(locs))
        recs, locs = {}, {}
      end
      i = i + 2
    end
    i = i + 1
    if #recs > 0 then
      redis.call('RPUSH', segkey, unpack(recs))
      redis.call('HSET', p .. 'ev', unpack(locs))
    end
    for user, mine in pairs(by_user) do
      for c = 1, #mine, 1000 do
        redis.call('RPUSH', p .. 'ue:' .. user, unpack(mine, c, math.min(#mine, c + 999)))
      end
      redis.call('SADD', p .. 'users', user)
    end
  elseif op == 'N' then
    local n = tonumber(ARGV[i + 1])
    i = i + 2
    for _ = 1, n do
      redis.call('RPUSH', p .. 'm:' .. ARGV[i + 1], ARGV[i])
      i = i + 2
    end
  elseif op == 'F' then
    local user = ARGV[i + 1]
    i = i + 2
    local ids = redis.call('LRANGE', p .. 'ue:' .. user, 0, -1)
    for _, id in ipairs(ids) do drop_event(id, true) end
    redis.call('DEL', p .. 'r:' .. user, p .. 'ue:' .. user, p .. 'm:' .. user)
    redis.call('SREM', p .. 'users', user)
  elseif op == 'X' then
    local n = tonumber(ARGV[i + 1])
    i = i + 2
    for _ = 1, n do
      local user = drop_event(ARGV[i])
      if user then settle(user) end
      i = i + 1
    end
  else
    return redis.error_reply('leafloaf: unknown commit op ' .. tostring(op))
  end
end
return {redis.call('INCR', p .. 'commits'), 0}
"""

_EXISTS = """
local out = {}
for j = 2, #ARGV do out[#out + 1] = redis.call('HEXISTS', ARGV[1] .. 'ev', ARGV[j]) end
return out
"""

# Everything a snapshot needs that can change in place, read in one atomic step; the log
# grows by whole segments, so the segments up to the count read here are read afterwards.
_SNAPSHOT = """
local p = ARGV[1]
local users = redis.call('SMEMBERS', p .. 'users')
local out = {redis.call('GET', p .. 'segs') or '0', redis.call('HLEN', p .. 'ev')}
for _, user in ipairs(users) do
  out[#out + 1] = user
  out[#out + 1] = redis.call('HGETALL', p .. 'r:' .. user)
end
return out
"""

# Records by event id (ids erased meanwhile are left out).
_FETCH = """
local p = ARGV[1]
local out = {}
for j = 2, #ARGV do
  local loc = redis.call('HGET', p .. 'ev', ARGV[j])
  if loc then
    local cut = string.find(loc, ':', 1, true)
    out[#out + 1] = redis.call('LINDEX', p .. 's:' .. string.sub(loc, 1, cut - 1),
                               tonumber(string.sub(loc, cut + 1)))
  end
end
return out
"""

_OP_CODES: dict[tuple[Op, ...], bytes] = {}


def _ops_code(ops: Sequence[Op]) -> bytes:
    """Two bytes of width, then one ASCII digit per column op (the row's values follow)."""
    key = tuple(ops)
    code = _OP_CODES.get(key)
    if code is None:
        code = len(key).to_bytes(2, "big") + bytes(48 + int(op) for op in key)
        _OP_CODES[key] = code
    return code


def _pack(values: Sequence[float]) -> bytes:
    packed = array("d", values)
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def _unpack(blob: bytes) -> array[float]:
    values = array("d")
    values.frombytes(blob)
    if _SWAP:
        values.byteswap()
    return values


def _decode_rows(raw: Mapping[bytes, bytes] | Sequence[bytes]) -> dict[str, array[float]]:
    if isinstance(raw, Mapping):
        return {key.decode(): _unpack(blob) for key, blob in raw.items()}
    return {raw[j].decode(): _unpack(raw[j + 1]) for j in range(0, len(raw), 2)}


_encode = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode


def _record(text: bytes) -> EventRecord:
    record: EventRecord = tuple(json.loads(text))
    return record


def connect_redis(url: str, pool_size: int, timeout_s: float) -> Any:
    """A redis-py client with a bounded, blocking connection pool and no silent retries.

    Retries are left to the caller (the engine's outbox and circuit breaker): a retried
    commit script after a dropped connection could otherwise run twice.
    """
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        raise MissingExtraError("redis", "redis") from None
    if pool_size < 1:
        raise ConfigError("pool_size", pool_size, "must be at least 1 connection")
    if timeout_s <= 0:
        raise ConfigError("timeout_s", timeout_s, "must be a positive number of seconds")
    try:
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=pool_size,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
    except ValueError as exc:
        raise ConfigError("url", url, f"is not a Redis URL: {exc}") from None
    return redis.Redis(connection_pool=pool)


class RedisConnection:
    """A namespaced redis-py client, its circuit breaker, and the errors that mean "down".

    What :class:`RedisStore` and :class:`~leafloaf.cache.redis.RedisCache` share.
    """

    def __init__(
        self,
        url: str,
        namespace: str,
        pool_size: int,
        timeout_s: float,
        failure_threshold: int,
        reset_timeout_s: float,
        label: str,
    ) -> None:
        if not namespace or any(c in namespace for c in "{}"):
            raise ConfigError("namespace", namespace, "must be non-empty, without '{' or '}'")
        self.url = url
        self.namespace = namespace
        self.client = connect_redis(url, pool_size, timeout_s)
        self.breaker = CircuitBreaker(f"{label} {namespace}", failure_threshold, reset_timeout_s)
        import redis

        self.outages: tuple[type[BaseException], ...] = (
            redis.ConnectionError,
            redis.TimeoutError,
            redis.BusyLoadingError,
        )

    def call(self, work: Callable[[Any], T], label: str) -> T:
        """Run ``work(client)`` through the breaker: an outage, or a server that refuses
        writes (out of memory, read-only, failed persistence), raises StoreUnavailableError
        naming ``label``; any other error is the request's own and passes through."""
        if not self.breaker.allow():
            raise StoreUnavailableError(
                f"{label} {self.url!r} is unavailable (circuit open after: "
                f"{self.breaker.last_error})"
            )
        try:
            result = work(self.client)
        except self.outages as exc:
            self.breaker.failure(exc)
            raise StoreUnavailableError(f"{label} {self.url!r} is unavailable: {exc}") from exc
        except Exception as exc:
            import redis

            if isinstance(exc, redis.ReadOnlyError | redis.ResponseError) and (
                "OOM" in str(exc) or "READONLY" in str(exc) or "MISCONF" in str(exc)
            ):
                self.breaker.failure(exc)
                raise StoreUnavailableError(f"{label} {self.url!r} refuses writes: {exc}") from exc
            self.breaker.success()  # the server answered; the request itself was wrong
            raise
        self.breaker.success()
        return result

    def health(self, kind: Any, probe: Callable[[Any], str], down_detail: str) -> BackendHealth:
        """Run ``probe(client)`` (it returns the detail) and report latency and breaker."""
        start = time.perf_counter()
        try:
            detail = probe(self.client)
        except Exception as exc:
            return BackendHealth(
                backend="redis", kind=kind, status="down",
                last_error=f"{type(exc).__name__}: {exc}", breaker=self.breaker.state,
                detail=down_detail,
            )  # fmt: skip
        breaker = self.breaker.state
        return BackendHealth(
            backend="redis", kind=kind, status="ok" if breaker == "closed" else "degraded",
            latency_ms=round((time.perf_counter() - start) * 1000, 3),
            last_error=self.breaker.last_error, breaker=breaker, detail=detail,
        )  # fmt: skip

    def close(self) -> None:
        """Close the client and every pooled connection."""
        self.client.close()
        self.client.connection_pool.disconnect()


class _Transaction:
    """Writes of an open transaction, sent to the server in one script when it commits."""

    __slots__ = ("checks", "erased", "forgotten", "ops", "pending")

    def __init__(self) -> None:
        self.ops: list[tuple[str, Any]] = []
        self.pending: set[str] = set()
        """Event ids appended in this transaction."""
        self.checks: list[str] = []
        """Appended ids the server did not know: the commit fails if another writer logs one."""
        self.forgotten: set[str] = set()
        self.erased: set[str] = set()


class RedisStore(StateStore):
    """Statistics and event log on a Redis server, shared by every process that opens it.

    ``url`` is a ``redis://`` or ``rediss://`` URL; ``namespace`` separates stores sharing a
    server. Reads use a pooled connection each (``pool_size`` at most); ``timeout_s`` bounds
    every call. After ``failure_threshold`` failed calls in a row the store's circuit breaker
    opens and calls fail at once with :class:`~leafloaf.errors.StoreUnavailableError` for
    ``reset_timeout_s``, so an outage never stalls the engine (its outbox keeps what arrives).

    Durability is the server's: run it with ``appendonly yes`` to keep state across a
    restart (``health()`` says which persistence it has). Duplicate detection covers the
    whole log. ``snapshot()`` copies every user's rows in one atomic step (the log is read
    lazily by position), so a fit over a very large store needs the memory for the rows.

    >>> store = RedisStore("redis://127.0.0.1:6379/0")  # doctest: +SKIP
    """

    name: ClassVar[str] = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        namespace: str = "leafloaf",
        pool_size: int = 16,
        timeout_s: float = 5.0,
        failure_threshold: int = 3,
        reset_timeout_s: float = 1.0,
    ) -> None:
        self._conn = RedisConnection(
            url, namespace, pool_size, timeout_s, failure_threshold, reset_timeout_s, "redis store"
        )
        self.url = url
        self.namespace = namespace
        self._p = f"{{{namespace}}}:"
        self._client = self._conn.client
        self.breaker = self._conn.breaker
        self._errors = self._conn.outages
        self._commit = self._client.register_script(_COMMIT)
        self._exists = self._client.register_script(_EXISTS)
        self._snap = self._client.register_script(_SNAPSHOT)
        self._fetch_script = self._client.register_script(_FETCH)
        self._lock = threading.RLock()
        self._tx: _Transaction | None = None
        self._external = False
        self._seen: int | None = None
        # a store may be opened while its server is down; the outbox covers the writes
        with suppress(StoreUnavailableError):
            self._seen = int(self._call(lambda r: r.get(self._p + "commits")) or 0)

    def _call(self, work: Callable[[Any], T]) -> T:
        """Run ``work(client)`` through the circuit breaker; outages become StoreUnavailable."""
        return self._conn.call(work, "Redis store")

    # --- transactions ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._tx is not None:  # nested: part of the outer transaction
                yield
                return
            self._tx = _Transaction()
            try:
                yield
            except BaseException:
                self._tx = None
                raise
            tx, self._tx = self._tx, None
            if tx.ops:
                self._send(tx)

    def _send(self, tx: _Transaction) -> None:
        args: list[Any] = [self._p, len(tx.checks), *tx.checks]
        for kind, payload in tx.ops:
            if kind == "M":
                for user, rows in payload.items():
                    args += ["M", user, len(rows)]
                    for key, (ops, values) in rows.items():
                        args += [key, _ops_code(ops) + _pack(values)]
            elif kind == "R":
                user, rows = payload
                args += ["R", user, len(rows)]
                for key, values in rows.items():
                    args += [key, _pack(values)]
            elif kind == "E":
                args += ["E", len(payload)]
                mentions: list[str] = []
                for record in payload:
                    event_id, user, member, household = record[10], record[1], record[8], record[9]
                    args += [event_id, user]
                    if member is not None and member != user:
                        mentions += [event_id, member]
                    if household is not None and household not in (user, member):
                        mentions += [event_id, household]
                # JSON escapes every newline inside a record: one argument carries them all
                args.append("\n".join([_encode(record) for record in payload]))
                if mentions:
                    args += ["N", len(mentions) // 2, *mentions]
            elif kind == "F":
                args += ["F", payload]
            else:  # "X": erase events by id
                args += ["X", len(payload), *payload]
        total, _ = self._call(lambda r: self._commit(keys=[self._p + "commits"], args=args))
        if total == -1:
            raise StoreUnavailableError(
                "another writer logged the same event ids concurrently; nothing of this batch "
                "was committed (a replay will find them already logged)"
            )
        with self._lock:
            if self._seen is not None and int(total) != self._seen + 1:
                self._external = True
            self._seen = int(total)

    def _write(self, kind: str, payload: Any) -> None:
        with self._lock:
            if self._tx is not None:
                self._add(self._tx, kind, payload)
                return
            tx = _Transaction()
            self._add(tx, kind, payload)
            self._send(tx)

    @staticmethod
    def _add(tx: _Transaction, kind: str, payload: Any) -> None:
        if kind == "M" and tx.ops and tx.ops[-1][0] == "M":
            merged: dict[str, dict[str, RowDelta]] = tx.ops[-1][1]
            for user, rows in payload.items():
                mine = merged.setdefault(user, {})
                for key, (ops, values) in rows.items():
                    old = mine.get(key)
                    # deltas combine like rows: every op is associative and commutative
                    mine[key] = (
                        (ops, values)
                        if old is None
                        else (ops, merger_for(ops)(list(old[1]), values))
                    )
            return
        if kind == "M":
            payload = {u: dict(rows) for u, rows in payload.items()}
        tx.ops.append((kind, payload))

    def external_changes(self) -> bool:
        try:
            total = int(self._call(lambda r: r.get(self._p + "commits")) or 0)
        except StoreUnavailableError:
            return False  # cannot tell while the server is away; cached state keeps serving
        with self._lock:
            changed = self._external or (self._seen is not None and total != self._seen)
            self._external = False
            self._seen = total
        return changed

    # --- rows ----------------------------------------------------------------------------------
    def apply(self, updates: Mapping[str, Mapping[str, RowDelta]]) -> None:
        if updates:
            self._write("M", updates)

    def replace_rows(self, user_id: str, rows: Mapping[str, Sequence[float]]) -> None:
        self._write("R", (user_id, dict(rows)))

    def rows(self, user_id: str) -> UserRows:
        raw = self._call(lambda r: r.hgetall(self._p + "r:" + user_id))
        return {key: values.tolist() for key, values in _decode_rows(raw).items()}

    def rows_view(self, user_id: str) -> Mapping[str, Sequence[float]]:
        """Rows as packed arrays straight from the server's bytes."""
        raw = self._call(lambda r: r.hgetall(self._p + "r:" + user_id))
        return _decode_rows(raw)

    def users(self) -> Iterator[str]:
        found = self._call(lambda r: r.smembers(self._p + "users"))
        return iter(sorted(u.decode() for u in found))

    # --- event log -----------------------------------------------------------------------------
    def append_events(self, events: Sequence[Event]) -> list[bool]:
        records = [event_to_record(e) for e in events]
        with self._lock:
            own = self._tx is None
            tx = self._tx if self._tx is not None else _Transaction()
            ids = [r[10] for r in records]
            ask = list(dict.fromkeys(e for e in ids if e not in tx.pending))
            known: set[str] = set()
            if ask:
                flags = self._call(lambda r: self._exists(args=[self._p, *ask]))
                known = {e for e, flag in zip(ask, flags, strict=True) if flag}
            if known and (tx.forgotten or tx.erased):  # erased earlier in this transaction
                owners = self._owners(sorted(known))
                known = {e for e in known if e not in tx.erased and owners[e] not in tx.forgotten}
            fresh: list[bool] = []
            new: list[EventRecord] = []
            for record in records:
                event_id = record[10]
                is_new = event_id not in tx.pending and event_id not in known
                if is_new:
                    tx.pending.add(event_id)
                    new.append(record)
                    if event_id not in tx.erased:
                        tx.checks.append(event_id)
                fresh.append(is_new)
            if new:
                tx.ops.append(("E", new))
            if own and tx.ops:
                self._send(tx)
        return fresh

    def _owners(self, ids: list[str]) -> dict[str, str | None]:
        found = {r[10]: r[1] for r in self._fetch(ids)}
        return {e: found.get(e) for e in ids}

    def _fetch(self, ids: Sequence[bytes | str]) -> list[EventRecord]:
        out: list[EventRecord] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = [self._p, *ids[start : start + _CHUNK]]
            raw = self._call(lambda r, c=chunk: self._fetch_script(args=c))  # type: ignore[misc]
            out.extend(_record(t) for t in raw if t)
        return out

    def _ids(self, key: str) -> list[bytes]:
        ids: list[bytes] = self._call(lambda r: r.lrange(key, 0, -1))
        return ids

    def _segments(self, stop: int | None = None) -> Iterator[EventRecord]:
        """The log in order, a few segments per round trip (up to segment ``stop``)."""
        last = stop if stop is not None else int(self._call(lambda r: r.get(self._p + "segs")) or 0)
        for first in range(1, last + 1, 8):
            names = [f"{self._p}s:{n}" for n in range(first, min(last, first + 7) + 1)]

            def read(r: Any, keys: list[str] = names) -> list[list[bytes]]:
                pipe = r.pipeline(transaction=False)
                for key in keys:
                    pipe.lrange(key, 0, -1)
                result: list[list[bytes]] = pipe.execute()
                return result

            for segment in self._call(read):
                yield from (_record(t) for t in segment if t)

    def events(self, user_id: str | None = None) -> Iterator[Event]:
        found = (
            list(self._segments())
            if user_id is None
            else self._fetch(self._ids(self._p + "ue:" + user_id))
        )
        return (event_from_record(record) for record in found)

    def records(self) -> Iterator[EventRecord]:
        return self._segments()

    def mentioning(self, subject: str) -> list[Event]:
        found = self._fetch(self._ids(self._p + "m:" + subject))
        return [event_from_record(r) for r in found if r[1] != subject]

    def event_count(self) -> int:
        return int(self._call(lambda r: r.hlen(self._p + "ev")))

    def forget_user(self, user_id: str) -> None:
        with self._lock:
            if self._tx is not None:
                self._tx.forgotten.add(user_id)
            self._write("F", user_id)

    def forget_events(self, event_ids: Sequence[str]) -> None:
        with self._lock:
            if self._tx is not None:
                self._tx.erased.update(event_ids)
            self._write("X", list(event_ids))

    def checkpoint(self) -> None:
        """Ask the server to rewrite its append-only file, so erased events leave its disk too.

        Until the rewrite runs, the file still holds the commands that wrote them; with RDB
        snapshots configured, erased data also stays in the last snapshot until the next.
        """
        import redis

        def rewrite(r: Any) -> None:
            if int(r.info("persistence").get("aof_enabled", 0)):
                with suppress(redis.ResponseError):  # a rewrite already running covers it
                    r.bgrewriteaof()

        self._call(rewrite)

    def snapshot(self) -> StoreSnapshot:
        raw = self._call(lambda r: self._snap(args=[self._p]))
        stop, count = int(raw[0]), int(raw[1])
        rows = {raw[j].decode(): _decode_rows(raw[j + 1]) for j in range(2, len(raw), 2)}
        return _RedisSnapshot(self, rows, stop, count)

    # --- operations ----------------------------------------------------------------------------
    def health(self) -> BackendHealth:
        """Ping the server and report latency, persistence and the breaker's state."""

        def probe(client: Any) -> str:
            aof = int(client.info("persistence").get("aof_enabled", 0))
            if aof:
                return "persistence: append-only file"
            return "persistence: snapshots only or none (a restart may lose recent state)"

        return self._conn.health("store", probe, self.url)

    def close(self) -> None:
        self._conn.close()


class _RedisSnapshot(StoreSnapshot):
    """Rows copied at one instant; the log read lazily up to the segment it had then.

    Events erased after the snapshot (a ``forget_user``) are absent from its records: an
    erasure is never undone by a fit that was running when it happened.
    """

    def __init__(
        self, store: RedisStore, rows: dict[str, dict[str, array[float]]], stop: int, count: int
    ) -> None:
        self._store = store
        self._rows = rows
        self._stop = stop
        self._count = count
        self._users = sorted(rows)

    def users(self) -> list[str]:
        return self._users

    def rows(self, user_id: str) -> Mapping[str, Sequence[float]]:
        return self._rows.get(user_id, {})

    def records(self) -> Iterator[EventRecord]:
        return self._store._segments(self._stop)

    def event_count(self) -> int:
        return self._count
