"""The bench's services: lin-kv, seq-kv, lww-kv and lin-tso against Maelstrom's behaviour."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glomers.bench.services import (
    Eventual,
    Linearizable,
    PersistentKV,
    PersistentLWWKV,
    PersistentTSO,
    Sequential,
    default_services,
)

Body = dict[str, Any]


def read(key: Any) -> Body:
    return {"type": "read", "key": key}


def write(key: Any, value: Any) -> Body:
    return {"type": "write", "key": key, "value": value}


def cas(key: Any, old: Any, new: Any, **extra: Any) -> Body:
    return {"type": "cas", "key": key, "from": old, "to": new, **extra}


def run(state: Any, *bodies: Body) -> tuple[Any, list[Body]]:
    """Apply ``bodies`` in turn to a persistent state; the final state and all replies."""
    replies = []
    for body in bodies:
        state, reply = state.handle(body)
        replies.append(reply)
    return state, replies


def value_of(state: Any, key: Any) -> Any:
    _, reply = state.handle(read(key))
    return reply.get("value") if reply["type"] == "read_ok" else None


def is_error(reply: Body, code: int) -> bool:
    return reply["type"] == "error" and reply["code"] == code and isinstance(reply["text"], str)


class ScriptedRandom(random.Random):
    """A generator whose ``randrange(n)`` answers come from a script, checked against n."""

    def __init__(self, *picks: int) -> None:
        super().__init__(0)
        self.picks = list(picks)

    def randrange(self, start: int, stop: Any = None, step: int = 1) -> int:
        assert stop is None, "services draw with randrange(n)"
        pick = self.picks.pop(0)
        assert 0 <= pick < start, f"scripted {pick} outside range({start})"
        return pick


# ---------------------------------------------------------------------------
# PersistentKV: requests and errors


def test_read_of_missing_key_is_error_20() -> None:
    _, [reply] = run(PersistentKV(), read("x"))
    assert reply == {"type": "error", "code": 20, "text": "key does not exist"}


def test_write_then_read() -> None:
    _, replies = run(PersistentKV(), write("x", 1), read("x"), write("x", 2), read("x"))
    assert replies == [
        {"type": "write_ok"},
        {"type": "read_ok", "value": 1},
        {"type": "write_ok"},
        {"type": "read_ok", "value": 2},
    ]


def test_null_is_a_value_not_a_missing_key() -> None:
    _, [_, reply] = run(PersistentKV(), write("x", None), read("x"))
    assert reply == {"type": "read_ok", "value": None}


def test_cas_succeeds_on_the_current_value() -> None:
    state, replies = run(PersistentKV(), write("x", 1), cas("x", 1, 2))
    assert replies[1] == {"type": "cas_ok"}
    assert value_of(state, "x") == 2


def test_cas_on_another_value_is_error_22_naming_both() -> None:
    state, [_, reply] = run(PersistentKV(), write("x", 3), cas("x", 1, 2))
    assert reply == {"type": "error", "code": 22, "text": "current value 3 is not 1"}
    assert value_of(state, "x") == 3


@pytest.mark.parametrize(
    ("current", "expected", "text"),
    [
        # As the Maelstrom jar prints them (Clojure's pr-str), checked against it.
        ("a", "b", 'current value "a" is not "b"'),
        ([1, 2], [1], "current value [1 2] is not [1]"),
        (None, 0, "current value nil is not 0"),
        (True, 1, "current value true is not 1"),
        ({"k": 1.5, "j": None}, {}, 'current value {"k" 1.5, "j" nil} is not {}'),
        ([1, [2, "x"]], 2**63, 'current value [1 [2 "x"]] is not 9223372036854775808'),
        ('q"uote\\n\nt\t', 1e100, 'current value "q\\"uote\\\\n\\nt\\t" is not 1.0E100'),
        (0.0005, 1e7, "current value 5.0E-4 is not 1.0E7"),
        (1234567.0, 0.001, "current value 1234567.0 is not 0.001"),
    ],
)
def test_error_22_renders_values_as_clojure_prints_them(
    current: Any, expected: Any, text: str
) -> None:
    _, [_, reply] = run(PersistentKV(), write("x", current), cas("x", expected, 0))
    assert is_error(reply, 22) and reply["text"] == text


def test_lww_kv_prints_the_expected_value_bare() -> None:
    _, [_, reply] = run(PersistentLWWKV(), write("x", "a"), cas("x", "b", 0))
    assert reply["text"] == 'current value "a" is not b'
    _, [_, reply] = run(PersistentLWWKV(), write("x", 1), cas("x", None, 0))
    assert reply["text"] == "current value 1 is not "


def test_cas_on_missing_key_is_error_20() -> None:
    _, [reply] = run(PersistentKV(), cas("x", 1, 2))
    assert reply == {"type": "error", "code": 20, "text": "key does not exist"}


@pytest.mark.parametrize("flag", [False, None])
def test_cas_on_missing_key_with_a_false_flag_is_error_20(flag: Any) -> None:
    _, [reply] = run(PersistentKV(), cas("x", 1, 2, create_if_not_exists=flag))
    assert is_error(reply, 20)


@pytest.mark.parametrize("flag", [True, 0, "yes"])
def test_cas_creates_a_missing_key_when_asked(flag: Any) -> None:
    # Maelstrom tests the flag with Clojure's `if`, so 0 and "" count as true.
    state, [reply] = run(PersistentKV(), cas("x", 1, 2, create_if_not_exists=flag))
    assert reply == {"type": "cas_ok"}
    assert value_of(state, "x") == 2


def test_create_if_not_exists_does_not_override_an_existing_value() -> None:
    _, [_, reply] = run(PersistentKV(), write("x", 5), cas("x", 1, 2, create_if_not_exists=True))
    assert is_error(reply, 22)


@pytest.mark.parametrize(
    "service", [PersistentKV(), PersistentLWWKV(), PersistentTSO()], ids=lambda s: type(s).__name__
)
def test_unknown_request_type_is_error_10(service: Any) -> None:
    after, reply = service.handle({"type": "frobnicate", "key": "x"})
    assert is_error(reply, 10) and "frobnicate" in reply["text"]
    assert after is service


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "x"}, "type"),
        ({"type": 7, "key": "x"}, "type"),
        ({"type": "read"}, "key"),
        ({"type": "write", "value": 1}, "key"),
        ({"type": "write", "key": "x"}, "value"),
        ({"type": "cas", "key": "x", "to": 1}, "from"),
        ({"type": "cas", "key": "x", "from": 1}, "to"),
        ({"type": "cas", "from": 1, "to": 2}, "key"),
    ],
)
@pytest.mark.parametrize("service", [PersistentKV(), PersistentLWWKV()], ids=["kv", "lww"])
def test_malformed_request_is_error_12_naming_the_field(
    service: Any, body: Body, field: str
) -> None:
    after, reply = service.handle(body)
    assert is_error(reply, 12) and f"'{field}'" in reply["text"]
    assert after is service


def test_big_integers_stay_exact() -> None:
    big = 2**200 + 1
    state, replies = run(
        PersistentKV(), write(big, big), read(big), cas(big, big - 1, 0), cas(big, big, big + 2)
    )
    assert replies[1] == {"type": "read_ok", "value": big}
    assert replies[2]["text"] == f"current value {big} is not {big - 1}"
    assert replies[3] == {"type": "cas_ok"}
    assert value_of(state, big) == big + 2
    assert value_of(state, float(big)) is None


# Keys that Python's == would merge but Clojure's = keeps apart.
DISTINCT_KEYS: list[Any] = [
    1, 1.0, True, "1", [1], [1.0], [True], {"1": 1}, None, 0, 0.0, False, "", [], {}, "true",
]  # fmt: skip


def test_json_typed_keys_stay_distinct() -> None:
    state = PersistentKV()
    for i, key in enumerate(DISTINCT_KEYS):
        state, _ = state.handle(write(key, i))
    assert len(state) == len(DISTINCT_KEYS)
    for i, key in enumerate(DISTINCT_KEYS):
        assert value_of(state, key) == i, key


def test_compound_keys_compare_structurally() -> None:
    state, _ = run(PersistentKV(), write([1, {"a": [2, "b"], "c": None}], "v"))
    assert value_of(state, [1, {"c": None, "a": [2, "b"]}]) == "v"
    assert value_of(state, [1, {"c": None, "a": [2, "b"], "d": 0}]) is None


@pytest.mark.parametrize(
    ("stored", "old", "ok"),
    [
        (1, 1, True),
        (1, True, False),
        (1, 1.0, False),
        (0, False, False),
        (1.5, 1.5, True),
        ([1, [2]], [1, [2]], True),
        ([1, 2], [2, 1], False),
        ({"a": 1, "b": [True]}, {"b": [True], "a": 1}, True),
        ({"a": 1}, {"a": True}, False),
        (None, None, True),
        ("1", 1, False),
    ],
)
def test_cas_compares_like_clojure_equality(stored: Any, old: Any, ok: bool) -> None:
    _, [_, reply] = run(PersistentKV(), write("x", stored), cas("x", old, "new"))
    assert (reply["type"] == "cas_ok") is ok


def test_states_are_persistent() -> None:
    empty = PersistentKV()
    one, _ = empty.handle(write("x", 1))
    two, _ = one.handle(cas("x", 1, 2))
    assert [value_of(s, "x") for s in (empty, one, two)] == [None, 1, 2]


@pytest.mark.parametrize(
    "body",
    [read("x"), cas("x", 9, 2), write("x", 1), cas("x", 1, 1), cas("y", 1, 2), {"type": "no"}],
)
def test_requests_that_change_nothing_return_the_same_state(body: Body) -> None:
    state, _ = PersistentKV().handle(write("x", 1))
    after, _ = state.handle(body)
    assert after is state


# Small domains so that random requests often hit existing keys and values.
small_json = st.sampled_from([0, 1, 1.0, True, "a", None, [1], [True]])
kv_request = st.one_of(
    st.builds(read, small_json),
    st.builds(write, small_json, small_json),
    st.builds(cas, small_json, small_json, small_json),
)


@given(st.lists(kv_request, max_size=30), kv_request)
def test_a_state_is_returned_unchanged_exactly_when_it_stays_equal(
    prefix: list[Body], body: Body
) -> None:
    # Sequential relies on identity standing for Maelstrom's state equality.
    state, _ = run(PersistentKV(), *prefix)
    after, _ = state.handle(body)
    assert (after is state) == (after == state)


def json_equal(a: Any, b: Any) -> bool:
    """Clojure's = on decoded JSON, written independently of the module under test."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(map(json_equal, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def model_get(model: list[tuple[Any, Any]], key: Any) -> Iterator[Any]:
    return (v for k, v in model if json_equal(k, key))


json_keys = st.one_of(
    st.integers(-3, 3),
    st.integers(-(2**70), 2**70),
    st.floats(-3, 3, allow_nan=False),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.lists(st.one_of(st.integers(0, 2), st.booleans()), max_size=2),
)


@given(st.lists(st.tuples(json_keys, st.integers()), max_size=200), json_keys)
def test_the_map_agrees_with_a_naive_model(writes: list[tuple[Any, int]], probe: Any) -> None:
    model: list[tuple[Any, Any]] = []
    state = PersistentKV()
    for key, value in writes:
        state, _ = state.handle(write(key, value))
        model = [(k, v) for k, v in model if not json_equal(k, key)] + [(key, value)]
    assert len(state) == len(model)
    for key in [k for k, _ in model] + [probe]:
        assert value_of(state, key) == next(model_get(model, key), None)


def test_keys_whose_hashes_collide() -> None:
    # Python hashes n and n + (2**61 - 1) alike, yet they are different keys.
    keys = [5 + j * (2**61 - 1) for j in range(80)] + [-1, -2]
    assert len({hash(k) for k in keys}) == 2
    state = PersistentKV()
    states = []
    for i, key in enumerate(keys):
        state, _ = state.handle(write(key, i))
        states.append(state)
    assert len(state) == len(keys)
    assert [value_of(state, k) for k in keys] == list(range(len(keys)))
    assert value_of(states[10], keys[11]) is None and value_of(states[10], keys[10]) == 10


def test_many_writes_to_few_keys() -> None:
    svc = Sequential(PersistentKV(), random.Random(1))
    for i in range(100_000):
        svc.handle("n0", write(i % 25, i))
    assert value_of(svc.latest, 24) == 99_999
    assert len(svc.latest) == 25


# ---------------------------------------------------------------------------
# PersistentTSO, PersistentLWWKV


def test_tso_counts_from_zero() -> None:
    tso = PersistentTSO()
    state, replies = run(tso, *[{"type": "ts"}] * 4)
    assert replies == [{"type": "ts_ok", "ts": n} for n in range(4)]
    assert tso.handle({"type": "ts"})[1]["ts"] == 0
    assert state == PersistentTSO(4)


def test_lww_reads_writes_and_cas_like_kv() -> None:
    state, replies = run(
        PersistentLWWKV(), read("x"), write("x", 1), read("x"), cas("x", 2, 3), cas("x", 1, 3)
    )
    assert is_error(replies[0], 20)
    assert replies[1:3] == [{"type": "write_ok"}, {"type": "read_ok", "value": 1}]
    assert replies[3] == {"type": "error", "code": 22, "text": "current value 1 is not 2"}
    assert replies[4] == {"type": "cas_ok"}
    assert dict(state.items()) == {"x": (1, 3)}
    assert state.clock == 2


def test_lww_every_write_advances_the_clock() -> None:
    state, _ = run(PersistentLWWKV(), write("x", 1), write("x", 1), write("y", 1))
    assert state.clock == 3
    assert dict(state.items()) == {"x": (1, 1), "y": (2, 1)}


def test_lww_cas_ignores_create_if_not_exists() -> None:
    # Unlike lin-kv and seq-kv: Maelstrom's lww-kv never creates a key on cas.
    state, [reply] = run(PersistentLWWKV(), cas("x", 1, 2, create_if_not_exists=True))
    assert reply == {"type": "error", "code": 20, "text": "key does not exist"}
    assert state == PersistentLWWKV()


# ---------------------------------------------------------------------------
# Linearizable


def test_linearizable_serves_the_latest_state() -> None:
    svc = Linearizable(PersistentKV())
    assert svc.handle("n0", write("x", 1)) == {"type": "write_ok"}
    assert svc.handle("n1", read("x")) == {"type": "read_ok", "value": 1}
    assert svc.handle("n2", cas("x", 1, 2)) == {"type": "cas_ok"}
    assert svc.handle("n0", read("x")) == {"type": "read_ok", "value": 2}


# ---------------------------------------------------------------------------
# Sequential: the cases of Maelstrom's service_test.clj

BUF = 16
WRITE_COUNT = BUF // 2


def prepared_seq_kv(seed: int) -> Sequential[PersistentKV]:
    """x written with 0, 1, ..., WRITE_COUNT - 1, leaving part of the buffer unfilled."""
    kv = Sequential(PersistentKV(), random.Random(seed), BUF)
    for i in range(WRITE_COUNT):
        assert kv.handle("c0", write("x", i)) == {"type": "write_ok"}
    return kv


def test_fresh_clients_may_read_old_states() -> None:
    kv = prepared_seq_kv(1)
    seen = {kv.handle(f"old-read-{i}", read("x")).get("value") for i in range(64)}
    assert len(seen) > 1


@pytest.mark.parametrize("i", range(8))
def test_writing_something_unique_makes_the_next_read_fresh(i: int) -> None:
    kv = prepared_seq_kv(i)
    client = f"ensure-{i}"
    kv.handle(client, write("ensure", i))
    assert kv.handle(client, read("x")) == {"type": "read_ok", "value": WRITE_COUNT - 1}


@pytest.mark.parametrize("i", range(8))
def test_repeated_reads_converge(i: int) -> None:
    kv = prepared_seq_kv(100 + i)
    for _ in range(BUF * 10):
        if kv.handle("r", read("x")).get("value") == WRITE_COUNT - 1:
            return
    pytest.fail("reads never reached the latest state")


# Sequential: the algorithm step by step, with scripted random picks


def written_seq_kv(picks: list[int], values: int, window: int = 32) -> Sequential[PersistentKV]:
    """Client "w" writes x = 1..values; each write lands on the latest state."""
    kv = Sequential(PersistentKV(), ScriptedRandom(*[0] * values, *picks), window)
    for v in range(1, values + 1):
        kv.handle("w", write("x", v))
    assert kv.last_index == values and kv.client_index("w") == values
    return kv


def test_a_read_observes_a_state_between_the_clients_index_and_the_latest() -> None:
    kv = written_seq_kv([1, 0, 2, 0], 3)
    assert kv.handle("r", read("x"))["value"] == 1
    assert kv.client_index("r") == 1
    assert kv.handle("r", read("x"))["value"] == 1
    assert kv.handle("r", read("x"))["value"] == 3
    assert kv.handle("r", read("x"))["value"] == 3
    assert kv.client_index("r") == 3


def test_the_initial_state_is_observable() -> None:
    kv = written_seq_kv([0], 3)
    assert kv.handle("r", read("x"))["code"] == 20


def test_a_change_runs_on_the_latest_state_even_if_it_then_fails() -> None:
    # The cas would succeed on state 1 (x = 1), so it is re-run on the latest
    # (x = 3), where it fails; Maelstrom still appends a (copy of the) state.
    kv = written_seq_kv([1, 0], 3)
    kv.handle("r", read("x"))
    reply = kv.handle("r", cas("x", 1, 10))
    assert reply == {"type": "error", "code": 22, "text": "current value 3 is not 1"}
    assert kv.last_index == 4 and kv.client_index("r") == 4
    assert kv.latest == kv.latest.handle(write("x", 3))[0]


def test_a_failed_cas_or_equal_write_is_answered_from_the_past() -> None:
    kv = written_seq_kv([1, 0, 0], 3)
    kv.handle("r", read("x"))
    assert kv.handle("r", cas("x", 3, 4)) == {
        "type": "error",
        "code": 22,
        "text": "current value 1 is not 3",
    }
    # Writing the value state 1 holds changes nothing there, so it "succeeds"
    # without reaching the latest state.
    assert kv.handle("r", write("x", 1)) == {"type": "write_ok"}
    assert kv.last_index == 3 and value_of(kv.latest, "x") == 3


def test_a_client_outside_the_window_sees_aliased_states_like_maelstrom() -> None:
    # Window 4, states 0..10 with x = index. "r" is still at 0, outside the
    # window. Maelstrom's ring buffer wraps offsets modulo its length, so the
    # state seen is (10 - picked) % 4 steps back from the latest, while the
    # client's index becomes the (older) picked one: reads go 9, 10, 7.
    kv = written_seq_kv([5, 1, 1], 10, window=4)
    assert kv.handle("r", read("x"))["value"] == 9
    assert kv.client_index("r") == 5
    assert kv.handle("r", read("x"))["value"] == 10
    assert kv.handle("r", read("x"))["value"] == 7
    assert kv.client_index("r") == 7


def test_window_of_one_is_linearizable() -> None:
    kv = Sequential(PersistentKV(), random.Random(3), 1)
    for i in range(50):
        kv.handle(f"n{i % 3}", write("x", i))
        assert kv.handle(f"n{(i + 1) % 3}", read("x"))["value"] == i


# Sequential: consistency properties over random interleavings

CLIENTS = ["n0", "n1", "n2"]
# Reads weigh more: most anomalies need a client to read several times.
SEQ_OPS = st.sampled_from(
    ["read"] * 4 + ["write"] * 2 + ["cas-seen", "cas-latest", "cas-old", "fresh-read"]
)


def order(reply_value: Any) -> int:
    """x's values only grow along the history; a missing x comes first."""
    return -1 if reply_value is None else int(reply_value)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    window=st.sampled_from([1, 3, 8, 32]),
    program=st.lists(st.tuples(st.sampled_from(CLIENTS), SEQ_OPS), max_size=80),
    old_pick=st.randoms(use_true_random=False),
)
def test_sequential_consistency(
    seed: int, window: int, program: list[tuple[str, str]], old_pick: random.Random
) -> None:
    """Checks three properties on x, written only with ever larger values:

    1. a client whose last observed state is still in the window reads a state
       between it and the latest, so its reads never decrease;
    2. every change lands on the latest state, so the latest states form one
       history, and a failed cas shows a value some observable state held;
    3. after writing a unique value, the same client's read is the latest.
    """
    kv = Sequential(PersistentKV(), random.Random(seed), window)
    xs: list[Any] = [None]  # x in each state, by index
    seen = dict.fromkeys(CLIENTS, -1)
    fresh = iter(range(1, 10**9))

    def observable(client: str, last: int) -> list[Any]:
        start = kv.client_index(client)
        if start > last - window:
            return xs[start : last + 1]
        return xs[max(0, last - window + 1) : last + 1]  # aliased somewhere in the ring

    for client, op in program:
        last = kv.last_index
        in_window = kv.client_index(client) > last - window
        candidates = observable(client, last)
        if op == "fresh-read":
            assert kv.handle(client, write(f"sync-{client}", next(fresh))) == {"type": "write_ok"}
            xs.append(xs[-1])
            reply = kv.handle(client, read("x"))
            assert reply.get("value") == xs[-1]  # property 3
            seen[client] = order(xs[-1])
        elif op == "read":
            reply = kv.handle(client, read("x"))
            got = reply.get("value")
            assert (reply["type"] == "read_ok") is (got is not None)
            assert got in candidates
            if in_window:
                assert order(got) >= seen[client]  # property 1
            seen[client] = order(got) if in_window else -1
        elif op == "write":
            value = next(fresh)
            assert kv.handle(client, write("x", value)) == {"type": "write_ok"}
            xs.append(value)
            seen[client] = value
        else:
            if op == "cas-seen":
                expected = None if seen[client] < 0 else seen[client]
            elif op == "cas-latest":
                expected = xs[-1]
            else:
                expected = old_pick.choice(xs)
            value = next(fresh)
            reply = kv.handle(client, cas("x", expected, value))
            changed = kv.last_index == last + 1
            if reply["type"] == "cas_ok":
                assert changed and xs[-1] == expected and expected is not None  # property 2
                xs.append(value)
                seen[client] = value
            elif changed:  # would have succeeded in the past, failed on the latest
                assert xs[-1] != expected
                xs.append(xs[-1])
                seen[client] = order(xs[-1])
            elif reply["code"] == 22:
                edn = "nil" if expected is None else str(expected)
                prefix, suffix = "current value ", f" is not {edn}"
                assert reply["text"].startswith(prefix) and reply["text"].endswith(suffix)
                text = reply["text"][len(prefix) : -len(suffix)]
                shown = None if text == "nil" else int(text)
                assert shown in candidates and shown != expected
                if expected == xs[-1]:
                    assert order(shown) < order(expected)  # an older value
                if in_window:
                    assert order(shown) >= seen[client]
                seen[client] = order(shown) if in_window else -1
            else:
                assert reply["code"] == 20 and None in candidates
                seen[client] = -1
        # Property 2: one history of latest states, extended only by changes.
        assert kv.last_index == len(xs) - 1
        assert value_of(kv.latest, "x") == xs[-1]


# ---------------------------------------------------------------------------
# Eventual (lww-kv)


def test_eventual_replicas_never_exchange_writes_like_maelstrom() -> None:
    # Maelstrom computes a merge for every request but throws it away.
    svc = Eventual(PersistentLWWKV(), random.Random(5))
    svc.handle("n0", write("x", 1))
    replies = [svc.handle("n0", read("x")) for _ in range(200)]
    assert {"type": "read_ok", "value": 1} in replies
    assert any(is_error(r, 20) for r in replies)
    assert sorted(value_of(s, "x") is None for s in svc.states) == [False, True]


def test_eventual_can_lose_writes_and_read_backwards() -> None:
    svc = Eventual(PersistentLWWKV(), random.Random(9))
    values = []
    for i in range(100):
        svc.handle("n0", write("x", i))
        values.append(svc.handle("n0", read("x")).get("value"))
    assert any(a is not None and b is not None and b < a for a, b in itertools.pairwise(values))


# ---------------------------------------------------------------------------
# default_services and determinism


def test_default_services() -> None:
    services = default_services(random.Random(0))
    assert set(services) == {"lin-kv", "seq-kv", "lww-kv", "lin-tso"}
    assert isinstance(services["lin-kv"], Linearizable)
    assert isinstance(services["seq-kv"], Sequential)
    assert isinstance(services["lww-kv"], Eventual) and len(services["lww-kv"].states) == 2
    tso = services["lin-tso"]
    assert [tso.handle("n0", {"type": "ts"})["ts"] for _ in range(3)] == [0, 1, 2]
    assert is_error(tso.handle("n0", read("x")), 10)


def workload(n: int) -> list[tuple[str, str, Body]]:
    """A fixed random mix of requests to the key/value services from three nodes."""
    gen = random.Random(42)
    requests = []
    for i in range(n):
        key, a, b = gen.randrange(3), gen.randrange(4), gen.randrange(4)
        body = gen.choice([read(key), write(key, a), cas(key, a, b)])
        requests.append((gen.choice(["seq-kv", "lww-kv", "lin-kv"]), f"n{i % 3}", body))
    return requests


def replay(seed: int, requests: list[tuple[str, str, Body]]) -> list[Body]:
    services = default_services(random.Random(seed))
    return [services[dest].handle(src, body) for dest, src, body in requests]


def test_same_seed_same_answers() -> None:
    requests = workload(3000)
    assert replay(7, requests) == replay(7, requests)
    assert replay(7, requests) != replay(8, requests)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**64), st.lists(st.tuples(st.sampled_from(CLIENTS), kv_request)))
def test_same_seed_same_answers_for_any_program(seed: int, program: list[tuple[str, Body]]) -> None:
    def answers() -> list[Body]:
        services = default_services(random.Random(seed))
        return [services[name].handle(src, body) for src, body in program for name in services]

    assert answers() == answers()
