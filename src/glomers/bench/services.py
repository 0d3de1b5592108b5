"""The bench's built-in services: lin-kv, seq-kv, lww-kv and lin-tso.

Nodes under test send RPCs to these services just as they would to Maelstrom's.
Each service is split in two layers, mirroring Maelstrom:

* a *persistent* state machine (``PersistentKV``, ``PersistentLWWKV``,
  ``PersistentTSO``): an immutable value whose ``handle(body)`` returns the next
  state and the reply, leaving the old state intact;
* a mutable *wrapper* deciding which state a request sees, and so which
  consistency model clients observe: ``Linearizable`` (always the latest
  state), ``Sequential`` (a random state no older than what that client has
  already seen) and ``Eventual`` (independent replicas of a last-write-wins map).

Replies never carry ``in_reply_to``; the network layer adds it. Every request,
however malformed, gets an answer: handlers do not raise.

Keys and values are decoded JSON and are compared the way Maelstrom (Clojure's
``=`` on parsed JSON) compares them: ``1``, ``1.0``, ``true`` and ``"1"`` are
four different keys, and lists and objects compare structurally. Stored values
are kept by reference and must not be mutated afterwards.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Iterator, Mapping
from decimal import Decimal
from typing import Any, Final, Generic, Protocol, Self, TypeVar, final

from pyrsistent import PMap, pmap

from glomers.errors import ErrorCode

__all__ = [
    "Eventual",
    "Linearizable",
    "PersistentKV",
    "PersistentLWWKV",
    "PersistentService",
    "PersistentTSO",
    "Sequential",
    "Service",
    "default_services",
]

Reply = dict[str, Any]


class PersistentService(Protocol):
    """An immutable service state.

    ``handle`` must return the very same object when the request leaves the
    state equal to what it was (a read, a failed cas, a write of the value
    already stored): ``Sequential`` relies on that identity to tell whether a
    request may be answered from a past state.
    """

    def handle(self, body: Mapping[str, Any]) -> tuple[Self, Reply]:
        """The state after ``body`` and the reply to send back."""
        ...


class Service(Protocol):
    """A running service: the bench hands it each request and sends back the reply."""

    def handle(self, src: str, body: Mapping[str, Any]) -> Reply:
        """The reply body (without ``in_reply_to``) to ``body`` sent by node ``src``."""
        ...


# ---------------------------------------------------------------------------
# JSON values compared as Clojure compares them

_BOOL: Final = "bool"
_FLOAT: Final = "float"
_LIST: Final = "list"
_MAP: Final = "map"
_OTHER: Final = "other"


def _canonical(value: Any) -> Hashable:
    """A hashable stand-in for ``value``, equal exactly when Clojure's ``=`` is.

    Python's ``1 == 1.0 == True`` would merge keys that Maelstrom keeps apart,
    so everything but ints, strings and null is tagged with its JSON type.
    """
    kind = type(value)
    if kind is str or kind is int or value is None:
        plain: Hashable = value
        return plain
    if kind is bool:
        return (_BOOL, value)
    if kind is float:
        return (_FLOAT, value)
    if kind is list or kind is tuple:
        return (_LIST, tuple(map(_canonical, value)))
    if kind is dict:
        return (_MAP, frozenset((_canonical(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, int):  # subclasses such as IntEnum
        return int(value)
    return (_OTHER, repr(value))


def _equal(a: Any, b: Any) -> bool:
    kind = type(a)
    if kind is type(b) and (kind is int or kind is str):
        return bool(a == b)
    return a is b or _canonical(a) == _canonical(b)


def _render(value: Any) -> str:
    """``value`` as Clojure's ``pr-str`` prints it, as Maelstrom's error texts
    show it: ``nil``, ``[1 "a"]``, ``{"k" 1.5, "j" nil}``, ``1.0E100``. (Maps of
    more than 8 entries come out in their own order here, in a hash order there.)"""
    kind = type(value)
    if value is None:
        return "nil"
    if kind is bool:
        return "true" if value else "false"
    if kind is str:
        return '"' + "".join(_ESCAPES.get(c, c) for c in value) + '"'
    if kind is float:
        return _java_double(value)
    if isinstance(value, int):
        return str(int(value))
    if kind is list or kind is tuple:
        return "[" + " ".join(map(_render, value)) + "]"
    if kind is dict:
        return "{" + ", ".join(f"{_render(k)} {_render(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _str(value: Any) -> str:
    """``value`` as Clojure's ``str`` gives it: strings bare, nil as nothing."""
    if value is None:
        return ""
    return value if type(value) is str else _render(value)


#: How ``pr-str`` escapes characters inside a string.
_ESCAPES: Final = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r",
                   "\f": "\\f", "\b": "\\b"}  # fmt: skip


def _java_double(x: float) -> str:
    """Java's ``Double.toString``: plain from 0.001 up to 10^7, else ``d.dddE±n``."""
    if x != x or x in (math.inf, -math.inf):
        return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        return repr(x)  # Python's shortest digits, positional in this range
    sign, digits, exponent = Decimal(repr(x)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{exponent + len(digits) - 1}"


# ---------------------------------------------------------------------------
# Persistent maps
#
# seq-kv keeps 32 states alive, so copying a whole dict per write would cost
# O(keys) each time; a persistent map copies only the path to the changed entry.

_Entries = PMap[Hashable, Any]
_EMPTY: Final[_Entries] = pmap()


def _same(a: _Entries, b: _Entries, same_entry: Callable[[Any, Any], bool]) -> bool:
    """Whether both maps hold the same keys with entries ``same_entry`` deems equal."""
    return len(a) == len(b) and all(
        key in b and same_entry(mine, b[key]) for key, mine in a.iteritems()
    )


# ---------------------------------------------------------------------------
# Persistent services

_KV_REQUESTS: Final[Mapping[str, tuple[str, ...]]] = {
    "read": ("key",),
    "write": ("key", "value"),
    "cas": ("key", "from", "to"),
}
_TSO_REQUESTS: Final[Mapping[str, tuple[str, ...]]] = {"ts": ()}


def _error(code: ErrorCode, text: str) -> Reply:
    return {"type": "error", "code": int(code), "text": text}


def _check(body: Mapping[str, Any], requests: Mapping[str, tuple[str, ...]]) -> Reply | None:
    """An error reply if ``body`` is not a well-formed request of ``requests``, else None."""
    kind = body.get("type")
    if not isinstance(kind, str):
        return _error(ErrorCode.MALFORMED_REQUEST, "request lacks a string field 'type'")
    fields = requests.get(kind)
    if fields is None:
        supported = ", ".join(requests)
        return _error(
            ErrorCode.NOT_SUPPORTED,
            f"request type {kind!r} is not supported by this service (it serves {supported})",
        )
    for field in fields:
        if field not in body:
            return _error(ErrorCode.MALFORMED_REQUEST, f"{kind} request lacks field {field!r}")
    return None


def _truthy(value: Any) -> bool:
    # Maelstrom tests the flag with Clojure's `if`: only null and false are false.
    return value is not None and value is not False


_KEY_MISSING: Final = "key does not exist"


def _mismatch(current: Any, expected: Any, *, bare_expected: bool = False) -> Reply:
    # lww-kv prints the expected value with ``str``, not ``pr-str`` (strings bare).
    shown = _str(expected) if bare_expected else _render(expected)
    return _error(ErrorCode.PRECONDITION_FAILED, f"current value {_render(current)} is not {shown}")


@final
class PersistentKV:
    """The map behind lin-kv and seq-kv: read, write and cas on JSON keys."""

    __slots__ = ("_map",)

    def __init__(self, _map: _Entries = _EMPTY) -> None:
        # Entries are canonical key -> (key as first written, value).
        self._map = _map

    def handle(self, body: Mapping[str, Any]) -> tuple[PersistentKV, Reply]:
        """Answer read, write or cas."""
        problem = _check(body, _KV_REQUESTS)
        if problem is not None:
            return self, problem
        kind, key = body["type"], body["key"]
        ckey = _canonical(key)
        entry = self._map.get(ckey)
        if kind == "read":
            if entry is None:
                return self, _error(ErrorCode.KEY_DOES_NOT_EXIST, _KEY_MISSING)
            return self, {"type": "read_ok", "value": entry[1]}
        if kind == "write":
            return self._put(ckey, key, entry, body["value"]), {"type": "write_ok"}
        if entry is None:
            if _truthy(body.get("create_if_not_exists")):
                return self._put(ckey, key, entry, body["to"]), {"type": "cas_ok"}
            return self, _error(ErrorCode.KEY_DOES_NOT_EXIST, _KEY_MISSING)
        if not _equal(entry[1], body["from"]):
            return self, _mismatch(entry[1], body["from"])
        return self._put(ckey, key, entry, body["to"]), {"type": "cas_ok"}

    def _put(self, ckey: Hashable, key: Any, entry: Any, value: Any) -> PersistentKV:
        if entry is not None and _equal(entry[1], value):
            return self  # an equal map is the same state to Maelstrom
        return PersistentKV(self._map.set(ckey, (key if entry is None else entry[0], value)))

    def items(self) -> Iterator[tuple[Any, Any]]:
        """The (key, value) pairs, in no particular order."""
        return iter(self._map.itervalues())

    def __len__(self) -> int:
        return len(self._map)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PersistentKV):
            return NotImplemented
        return _same(self._map, other._map, lambda a, b: _equal(a[1], b[1]))

    def __repr__(self) -> str:
        return f"PersistentKV({dict((_render(k), v) for k, v in self.items())!r})"


@final
class PersistentLWWKV:
    """lww-kv's map: every value is stamped with the replica's clock at write time.

    Unlike ``PersistentKV``, cas ignores ``create_if_not_exists`` (a missing key
    is always error 20), and every successful write or cas advances the clock,
    so it always yields a new state.
    """

    __slots__ = ("_clock", "_map")

    def __init__(self, clock: int = 0, _map: _Entries = _EMPTY) -> None:
        self._clock = clock
        # Entries are canonical key -> (key, timestamp, value).
        self._map = _map

    @property
    def clock(self) -> int:
        """The timestamp the next write will get."""
        return self._clock

    def handle(self, body: Mapping[str, Any]) -> tuple[PersistentLWWKV, Reply]:
        """Answer read, write or cas."""
        problem = _check(body, _KV_REQUESTS)
        if problem is not None:
            return self, problem
        kind, key = body["type"], body["key"]
        ckey = _canonical(key)
        entry = self._map.get(ckey)
        if kind == "write":
            return self._put(ckey, key, body["value"]), {"type": "write_ok"}
        if entry is None:
            return self, _error(ErrorCode.KEY_DOES_NOT_EXIST, _KEY_MISSING)
        if kind == "read":
            return self, {"type": "read_ok", "value": entry[2]}
        if not _equal(entry[2], body["from"]):
            return self, _mismatch(entry[2], body["from"], bare_expected=True)
        return self._put(ckey, key, body["to"]), {"type": "cas_ok"}

    def _put(self, ckey: Hashable, key: Any, value: Any) -> PersistentLWWKV:
        return PersistentLWWKV(self._clock + 1, self._map.set(ckey, (key, self._clock, value)))

    def items(self) -> Iterator[tuple[Any, tuple[int, Any]]]:
        """(key, (timestamp, value)) pairs, in no particular order."""
        return ((key, (ts, value)) for key, ts, value in self._map.itervalues())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PersistentLWWKV):
            return NotImplemented
        return self._clock == other._clock and _same(
            self._map, other._map, lambda a, b: a[1] == b[1] and _equal(a[2], b[2])
        )

    def __repr__(self) -> str:
        return f"PersistentLWWKV(clock={self._clock}, {dict(self.items())!r})"


@final
class PersistentTSO:
    """A timestamp oracle: ``ts`` is answered with 0, 1, 2, ..."""

    __slots__ = ("_ts",)

    def __init__(self, ts: int = 0) -> None:
        self._ts = ts

    def handle(self, body: Mapping[str, Any]) -> tuple[PersistentTSO, Reply]:
        """Answer ts."""
        problem = _check(body, _TSO_REQUESTS)
        if problem is not None:
            return self, problem
        return PersistentTSO(self._ts + 1), {"type": "ts_ok", "ts": self._ts}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PersistentTSO):
            return NotImplemented
        return self._ts == other._ts

    def __repr__(self) -> str:
        return f"PersistentTSO({self._ts})"


# ---------------------------------------------------------------------------
# Consistency wrappers (not thread-safe: the bench calls them from one thread)

S = TypeVar("S", bound=PersistentService)


class Linearizable(Generic[S]):
    """Every request applies atomically to the latest state."""

    def __init__(self, initial: S) -> None:
        self.state = initial

    def handle(self, src: str, body: Mapping[str, Any]) -> Reply:
        """Apply ``body`` to the current state."""
        self.state, reply = self.state.handle(body)
        return reply


class Sequential(Generic[S]):
    """Sequential consistency by serving requests from recent past states.

    The last ``window`` states are kept, and for each client (``src``) the index
    of the state it last observed. A request runs on a state picked uniformly
    between that index and the latest. If it leaves that state unchanged (a
    read, a failed cas, a write of the value already there) its answer stands
    and the client's index moves to the picked state; otherwise it is run again
    on the latest state, whose successor is appended (even when that second run
    changes nothing) and becomes the client's index.

    As in Maelstrom, a client whose index fell out of the window is not
    clamped to it: Maelstrom's ring buffer wraps the offset modulo its length,
    so such a client observes the state ``(latest - picked) % window`` steps
    back while its index is set to the older picked one. Until it picks an
    index inside the window again, its reads can therefore go backwards.
    """

    def __init__(self, initial: S, rng: random.Random, window: int = 32) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, not {window}")
        self._rng = rng
        self._window = window
        self._ring: list[S] = [initial]  # state i lives in slot i % window
        self._last = 0
        self._clients: dict[str, int] = {}

    @property
    def latest(self) -> S:
        """The most recent state."""
        return self._ring[self._last % self._window]

    @property
    def last_index(self) -> int:
        """The index of the most recent state; the initial state is 0."""
        return self._last

    def client_index(self, src: str) -> int:
        """The state index recorded for client ``src`` (0 before its first request)."""
        return self._clients.get(src, 0)

    def handle(self, src: str, body: Mapping[str, Any]) -> Reply:
        """Serve ``body`` from a state ``src`` may observe; see the class docstring."""
        last, ring = self._last, self._ring
        client = self._clients.get(src, 0)
        picked = client + self._rng.randrange(last - client + 1)
        observed = last - (last - picked) % len(ring)
        state = ring[observed % self._window]
        after, reply = state.handle(body)
        if after is state:
            self._clients[src] = picked
            return reply
        if observed != last:
            after, reply = ring[last % self._window].handle(body)
        self._last = last + 1
        if len(ring) < self._window:
            ring.append(after)
        else:
            ring[self._last % self._window] = after
        self._clients[src] = self._last
        return reply


class Eventual(Generic[S]):
    """Several replicas of a state; each request goes to a random one.

    Before each request Maelstrom draws a replica to merge into another, but
    then builds the new replica vector from the pre-merge one, so the merge is
    lost: in Maelstrom's lww-kv the replicas never exchange writes, and here
    neither (the draw is kept, so requests are routed as Maelstrom routes them).
    """

    def __init__(self, initial: S, rng: random.Random, replicas: int = 2) -> None:
        if replicas < 1:
            raise ValueError(f"replicas must be at least 1, not {replicas}")
        self._rng = rng
        self._replicas = [initial] * replicas

    @property
    def states(self) -> tuple[S, ...]:
        """The replicas' current states."""
        return tuple(self._replicas)

    def handle(self, src: str, body: Mapping[str, Any]) -> Reply:
        """Apply ``body`` to a random replica."""
        replicas, randrange = self._replicas, self._rng.randrange
        n = len(replicas)
        # The two replicas of the merge Maelstrom draws and then loses: drawn here too,
        # so the serving replica comes from the same stream and recorded seeds replay.
        randrange(n)
        randrange(n)
        i = randrange(n)
        replicas[i], reply = replicas[i].handle(body)
        return reply


def default_services(rng: random.Random) -> dict[str, Service]:
    """The services every test gets, by node id, as in Maelstrom.

    Each randomized service draws from its own generator seeded from ``rng``,
    so traffic to one does not shift the random choices of another.
    """
    return {
        "lww-kv": Eventual(PersistentLWWKV(), random.Random(rng.getrandbits(64))),
        "seq-kv": Sequential(PersistentKV(), random.Random(rng.getrandbits(64))),
        "lin-kv": Linearizable(PersistentKV()),
        "lin-tso": Linearizable(PersistentTSO()),
    }
