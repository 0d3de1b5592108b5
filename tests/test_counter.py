"""The counter's logic against the bench's own seq-kv, in memory, with lost messages."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glomers import Body, Node
from glomers.bench.services import PersistentKV, Sequential
from glomers.bench.sim import SimLoop
from glomers.counter import Value, _shows, build
from glomers.testing import MemoryTransport, Service

# Timeouts, staleness and waits run on a virtual clock: no test waits for real time.
pytestmark = pytest.mark.looptime

#: Compare-and-swaps a node makes before its first add: the stamp of its start.
STAMPS = 1


class FaultyKV:
    """The bench's seq-kv behind a lossy link, each request's fate drawn from ``rng``.

    ``fates`` maps each fate to its weight: ``ok``; ``lose`` (the request never
    arrives); ``no-reply`` (it is applied, the reply is lost); ``late`` (it is
    held, applied only at ``release()``, and never answered).
    """

    def __init__(self, rng: random.Random, **fates: float) -> None:
        self.kv = Sequential(PersistentKV(), random.Random(rng.random()))
        self.rng = rng
        self.fates = fates or {"ok": 1.0}
        self.held: list[tuple[str, Body]] = []
        self.faulty = True

    def __call__(self, src: str, body: Body) -> Body | None:
        fate = "ok"
        if self.faulty:
            fate = self.rng.choices(list(self.fates), list(self.fates.values()))[0]
        if fate == "lose":
            return None
        if fate == "late":
            self.held.append((src, body))
            return None
        reply = self.kv.handle(src, body)
        return None if fate == "no-reply" else reply

    def release(self) -> None:
        held, self.held = self.held, []
        for src, body in held:
            self.kv.handle(src, body)

    def total(self, nodes: list[str]) -> int:
        """Every node's key, read from the latest state."""
        total = 0
        for node in nodes:
            _, reply = self.kv.latest.handle({"type": "read", "key": f"counter-{node}"})
            if reply["type"] == "read_ok":
                total += Value.parse(reply["value"]).total
        return total


def counter(**kw: Any) -> Callable[[], Node]:
    return lambda: build(rpc_timeout=0.02, staleness=0.05, **kw)


async def start(make: Callable[[], Node], kv: Service, nodes: list[str]) -> list[MemoryTransport]:
    nets = [
        MemoryTransport(make(), node_id=n, node_ids=nodes, services={"seq-kv": kv}) for n in nodes
    ]
    for net in nets:
        await net.start()
    return nets


async def test_adds_and_reads_without_faults() -> None:
    kv = FaultyKV(random.Random(1))
    nets = await start(counter(), kv, ["n0", "n1"])
    for i, net in enumerate(nets * 3):
        assert await net.request({"type": "add", "delta": i + 1}) == {
            "type": "add_ok",
            "in_reply_to": 2 + i // 2,
        }
    await asyncio.sleep(0.1)  # older than the staleness: the next reads refresh
    for net in nets:
        assert (await net.request({"type": "read"}))["value"] == 21
    assert kv.total(["n0", "n1"]) == 21
    for net in nets:
        await net.close()


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"type": "add", "delta": -1}, "negative"),
        ({"type": "add"}, "`delta`"),
        ({"type": "add", "delta": "3"}, "$.delta"),
        ({"type": "add", "delta": 1.5}, "$.delta"),
        ({"type": "add", "delta": True}, "$.delta"),
        ({"type": "add", "delta": None}, "$.delta"),
    ],
)
async def test_bad_adds_get_error_12_and_change_nothing(body: Body, text: str) -> None:
    kv = FaultyKV(random.Random(1))
    [net] = await start(counter(), kv, ["n0"])
    reply = await net.request(body)
    assert reply["type"] == "error"
    assert reply["code"] == 12
    assert text in reply["text"]
    assert kv.total(["n0"]) == 0
    await net.close()


async def test_pn_counter_takes_negative_deltas_and_big_integers_stay_exact() -> None:
    kv = FaultyKV(random.Random(1))
    [net] = await start(counter(allow_negative=True), kv, ["n0"])
    big = 2**100 + 7
    for delta in (big, -3, 5):
        assert (await net.request({"type": "add", "delta": delta}))["type"] == "add_ok"
    await asyncio.sleep(0.06)
    assert (await net.request({"type": "read"}))["value"] == big + 2
    assert kv.total(["n0"]) == big + 2
    await net.close()


fates = st.fixed_dictionaries(
    {
        "ok": st.floats(0.3, 1.0),
        "lose": st.floats(0.0, 0.3),
        "no-reply": st.floats(0.0, 0.3),
        "late": st.floats(0.0, 0.2),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    fates=fates,
    deltas=st.lists(st.integers(0, 5), min_size=1, max_size=25),
    n=st.integers(1, 3),
)
def test_every_acknowledged_add_counts_exactly_once(
    seed: int, fates: dict[str, float], deltas: list[int], n: int
) -> None:
    """Lost requests, lost replies, late arrivals and seq-kv's own stale reads and
    spurious compare-and-swap failures: once the faults stop, every add is
    acknowledged, each counted exactly once, and every node reads the total."""

    async def scenario() -> None:
        rng = random.Random(seed)
        kv = FaultyKV(rng, **fates)
        nodes = [f"n{i}" for i in range(n)]
        nets = await start(counter(), kv, nodes)
        adds = [
            asyncio.ensure_future(nets[i % n].request({"type": "add", "delta": d}, timeout=30))
            for i, d in enumerate(deltas)
        ]
        await asyncio.sleep(0.2)
        kv.release()  # late compare-and-swaps land now, out of turn
        kv.faulty = False
        replies = await asyncio.gather(*adds)
        assert all(r["type"] == "add_ok" for r in replies)
        assert kv.total(nodes) == sum(deltas)
        await asyncio.sleep(0.06)
        for net in nets:
            assert (await net.request({"type": "read"}, timeout=30))["value"] == sum(deltas)
        for net in nets:
            await net.close()

    loop = SimLoop(start=0.0, noop_cycles=0)
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()


async def test_restarted_node_recovers_from_seq_kv_alone() -> None:
    """A node dies with compare-and-swaps in flight that land only after its
    successor started; the successor builds on whatever they left."""
    rng = random.Random(5)
    kv = FaultyKV(rng, ok=0.5, late=0.5)
    [old] = await start(counter(seed=1), kv, ["n0"])
    acked = []
    for delta in (1, 2, 4, 8, 16):
        try:
            await old.request({"type": "add", "delta": delta}, timeout=0.1)
            acked.append(delta)
        except TimeoutError:
            pass
    await old.close()  # killed: all its memory is gone
    [new] = await start(counter(seed=2), kv, ["n0"])
    kv.release()  # the dead node's last compare-and-swaps land now
    kv.faulty = False
    for delta in (32, 64):
        assert (await new.request({"type": "add", "delta": delta}))["type"] == "add_ok"
    total = kv.total(["n0"])
    unacked = {1, 2, 4, 8, 16} - set(acked)
    # Everything acknowledged counts once; an unacknowledged add at most once.
    extra = total - sum(acked) - 96
    assert extra >= 0
    assert all(bit in unacked for bit in (1, 2, 4, 8, 16) if extra & bit)
    await asyncio.sleep(0.06)
    assert (await new.request({"type": "read"}))["value"] == total
    await new.close()


@pytest.mark.parametrize(
    ("added", "down_for", "answered"), [(1, 1.0, True), (1, 6.0, False), (0, 1.0, True)]
)
async def test_a_restarted_node_answers_what_waited_for_it_if_it_was_down_briefly(
    added: int, down_for: float, answered: bool
) -> None:
    """The stamp in the last value its previous process wrote (its start's
    stamp, if it added nothing) tells a restarted node how long it was down, so
    an add that waited meanwhile gets its answer while the client still waits,
    and not after."""
    kv = FaultyKV(random.Random(1))
    [old] = await start(counter(seed=1), kv, ["n0"])
    if added:
        assert (await old.request({"type": "add", "delta": added}))["type"] == "add_ok"
    await asyncio.sleep(0.05)  # its start's stamp
    await old.close()
    await asyncio.sleep(down_for)
    new = MemoryTransport(counter(seed=2)(), node_ids=["n0"], services={"seq-kv": kv})
    new.node._attach(new._receive)
    init = {"type": "init", "node_id": "n0", "node_ids": ["n0"], "msg_id": 1}
    new.deliver_line(json.dumps({"id": 50, "src": "c0", "dest": "n0", "body": init}))
    waited = {"type": "add", "delta": 2, "msg_id": 1}  # numbered before the init: sent earlier
    new.deliver_line(json.dumps({"id": 42, "src": "c3", "dest": "n0", "body": waited}))
    await asyncio.sleep(1.0)
    assert new.sent_to("c3") == ([{"type": "add_ok", "in_reply_to": 1}] if answered else [])
    assert kv.total(["n0"]) == added + 2  # applied either way
    await new.close()


async def test_reads_on_one_node_never_go_backwards() -> None:
    kv = FaultyKV(random.Random(3))
    nets = await start(counter(), kv, ["n0", "n1", "n2"])
    seen: list[int] = []

    async def adder(net: MemoryTransport) -> None:
        for _ in range(30):
            await net.request({"type": "add", "delta": 1})

    async def reader() -> None:
        for _ in range(60):
            seen.append((await nets[0].request({"type": "read"}))["value"])
            await asyncio.sleep(0.002)

    await asyncio.gather(adder(nets[1]), adder(nets[2]), reader())
    assert seen == sorted(seen)
    assert seen[-1] <= 60
    for net in nets:
        await net.close()


async def test_a_lost_compare_and_swap_is_sent_again_not_resynced() -> None:
    kv = FaultyKV(random.Random(1))
    requests: list[Body] = []

    def first_cas_lost(src: str, body: Body) -> Body | None:
        requests.append(body)
        if body["type"] == "cas" and sum(b["type"] == "cas" for b in requests) == STAMPS + 1:
            return None
        return kv(src, body)

    node = build(rpc_timeout=5.0)
    async with MemoryTransport(node, services={"seq-kv": first_cas_lost}) as net:
        await asyncio.sleep(0.05)  # the warm-up's barrier and reads
        before = len(requests)
        assert (await net.request({"type": "add", "delta": 3}, timeout=2))["type"] == "add_ok"
    cas = [b for b in requests[before:] if b["type"] == "cas"]
    assert len(cas) == 2 and cas[0]["msg_id"] != cas[1]["msg_id"]
    assert (cas[0]["from"], cas[0]["to"]) == (cas[1]["from"], cas[1]["to"])
    # Answered by the second copy: no barrier, no read, as a resync would need.
    assert [b["type"] for b in requests[before:]] == ["cas", "cas"]
    assert kv.total(["n0"]) == 3


async def test_a_copy_refused_because_the_first_applied_acknowledges_without_a_resync() -> None:
    kv = FaultyKV(random.Random(1))
    requests: list[Body] = []
    replies: list[Body | None] = []

    def first_cas_reply_lost(src: str, body: Body) -> Body | None:
        requests.append(body)
        reply = kv(src, body)
        replies.append(reply)
        if body["type"] == "cas" and sum(b["type"] == "cas" for b in requests) == STAMPS + 1:
            return None  # applied, but its cas_ok never comes back
        return reply

    node = build(rpc_timeout=5.0)
    async with MemoryTransport(node, services={"seq-kv": first_cas_reply_lost}) as net:
        await asyncio.sleep(0.05)
        before = len(requests)
        assert (await net.request({"type": "add", "delta": 3}, timeout=2))["type"] == "add_ok"
    # The copy failed: the key already held its target, which the error text names.
    assert [b["type"] for b in requests[before:]] == ["cas", "cas"]
    refusal = replies[before + 1]
    assert refusal is not None and refusal["code"] == 22
    assert requests[before]["to"][2] in refusal["text"]
    assert kv.total(["n0"]) == 3


def test_only_an_error_naming_the_target_s_own_tag_shows_it_applied() -> None:
    target = Value(3, 9, "f00.12")

    def refusal(current: str) -> Body:
        return {
            "type": "error",
            "code": 22,
            "text": f'current value {current} is not [2,4,"f00.11"]',
        }

    assert _shows(refusal('[3,9,"f00.12"]'), target)
    assert _shows(refusal('[3 9 "f00.12"]'), target)  # Maelstrom prints EDN
    assert not _shows(refusal('[3,9,"f00.1"]'), Value(3, 9, "f00.12"))
    assert not _shows(refusal('[3,9,"f00.12"]'), Value(3, 9, "f00.1"))  # a prefix is not it
    assert not _shows(refusal('[2,4,"f00.11"]'), target)  # a stale state: proves nothing
    assert not _shows({"type": "error", "code": 11, "text": '"f00.12"'}, target)


async def test_a_resync_reads_once_and_writes_a_barrier_only_after_a_stale_read() -> None:
    kv = FaultyKV(random.Random(1))
    requests: list[Body] = []
    stale: list[Body] = []

    def first_resync_read_stale(src: str, body: Body) -> Body | None:
        requests.append(body)
        reply = kv(src, body)
        if body["type"] == "cas" and sum(b["type"] == "cas" for b in requests) == STAMPS + 2:
            return {"type": "error", "code": 22, "in_reply_to": body["msg_id"],
                    "text": "current value [0,0,\"\"] is not what you think"}  # fmt: skip
        if (body["type"] == "read" and body["key"] == "counter-n0" and stale == []
                and sum(b["type"] == "cas" for b in requests) == STAMPS + 2):  # fmt: skip
            stale.append(body)
            return {"type": "error", "code": 20, "in_reply_to": body["msg_id"],
                    "text": "key does not exist"}  # fmt: skip
        return reply

    node = build(rpc_timeout=5.0)
    async with MemoryTransport(node, services={"seq-kv": first_resync_read_stale}) as net:
        await asyncio.sleep(0.05)
        for delta in (1, 2):
            assert (await net.request({"type": "add", "delta": delta}, timeout=2))[
                "type"
            ] == "add_ok"
    assert stale, "the resync's first read was made stale"
    at = requests.index(stale[0])
    # The refused compare-and-swap, then straight to reading the key: no barrier.
    assert [b["type"] for b in requests[at - 1 : at + 1]] == ["cas", "read"]
    after = [b["type"] for b in requests[at:]]
    # Older than what it knows applied (the first add's value): a barrier, a read again.
    assert after[:3] == ["read", "write", "read"]
    assert kv.total(["n0"]) == 3


async def test_a_slot_that_overtook_its_predecessor_waits_for_it_instead_of_resyncing() -> None:
    kv = FaultyKV(random.Random(1))
    requests: list[Body] = []

    def first_cas_lost(src: str, body: Body) -> Body | None:
        requests.append(body)
        if body["type"] == "cas" and sum(b["type"] == "cas" for b in requests) == STAMPS + 1:
            return None  # slot 1's first copy never arrives; slot 2's does, and fails
        return kv(src, body)

    node = build(rpc_timeout=5.0)
    async with MemoryTransport(node, services={"seq-kv": first_cas_lost}) as net:
        await asyncio.sleep(0.05)
        before = len(requests)
        adds = [asyncio.ensure_future(net.request({"type": "add", "delta": d})) for d in (1, 2)]
        replies = await asyncio.wait_for(asyncio.gather(*adds), 2)
    assert [r["type"] for r in replies] == ["add_ok", "add_ok"]
    sent = requests[before:]
    assert [b["type"] for b in sent] == ["cas"] * len(sent)  # no barrier, no read: no resync
    assert kv.total(["n0"]) == 3


async def test_a_failed_resync_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    """seq-kv refuses the resync's first read of its key with a definite error: the
    resync logs it and tries again, and the adds waiting for it still complete."""
    kv = FaultyKV(random.Random(1))
    refused: list[Body] = []

    def refuse_first_read(src: str, body: Body) -> Body | None:
        if body["type"] == "read" and body["key"] == "counter-n0" and not refused:
            refused.append(body)
            return {"type": "error", "code": 11, "text": "not now"}
        return kv(src, body)

    [net] = await start(counter(), refuse_first_read, ["n0"])
    replies = await asyncio.gather(
        *(net.request({"type": "add", "delta": d}, timeout=2) for d in (1, 2, 3))
    )
    assert [r["type"] for r in replies] == ["add_ok"] * 3
    assert refused
    assert kv.total(["n0"]) == 6
    assert "resync of counter-n0 failed" in caplog.text
    await net.close()
