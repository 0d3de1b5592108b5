"""The simulated network on a hand-driven clock: latency, ordering, faults, stats."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from glomers.bench.net import Latency, Network, UnknownNode


@dataclass
class FakeTimer:
    when: float
    fn: Callable[[], None]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class FakeClock:
    """A clock that only moves when told to, firing due timers in order."""

    t: float = 0.0
    timers: list[FakeTimer] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def call_at(self, when: float, fn: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(when, fn)
        self.timers.append(timer)
        return timer

    def advance(self, dt: float) -> None:
        end = self.t + dt
        while True:
            due = [t for t in self.timers if not t.cancelled and t.when <= end]
            if not due:
                break
            timer = min(due, key=lambda t: t.when)
            self.timers.remove(timer)
            self.t = max(self.t, timer.when)
            timer.fn()
        self.t = end


def make_net(
    latency: Latency | None = None, seed: int = 1, **kw: Any
) -> tuple[Network, FakeClock, dict[str, list[tuple[float, dict[str, Any]]]]]:
    clock = FakeClock()
    net = Network(clock, random.Random(seed), latency, **kw)
    inbox: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for node in ("n0", "n1", "n2", "c0", "seq-kv"):
        inbox[node] = []
        net.add(node, lambda m, node=node: inbox[node].append((clock.t, m)))  # type: ignore[misc]
    return net, clock, inbox


def msg(src: str, dest: str, n: int = 0) -> dict[str, Any]:
    return {"src": src, "dest": dest, "body": {"type": "x", "n": n}}


class Scripted(Latency):
    """Latencies given in advance, in milliseconds, one per server message."""

    def __init__(self, *draws: float) -> None:
        super().__init__(1.0, "constant")
        self.draws = list(draws)

    def draw(self, rng: random.Random, factor: float = 1.0) -> float:
        return float(int(self.draws.pop(0) * factor))


def test_constant_latency_and_zero_for_clients() -> None:
    net, clock, inbox = make_net(Latency(100, "constant"))
    net.send(msg("n0", "n1"))
    net.send(msg("c0", "n2"))
    net.send(msg("n1", "c0"))
    clock.advance(0.0)
    assert inbox["n1"] == []
    assert [t for t, _ in inbox["n2"]] == [0.0]
    assert [t for t, _ in inbox["c0"]] == [0.0]
    clock.advance(0.2)
    assert [t for t, _ in inbox["n1"]] == [0.1]


def test_a_client_message_waits_behind_the_message_its_receiver_waits_for() -> None:
    net, clock, inbox = make_net(Latency(100, "constant"))
    net.send(msg("n0", "n1", 1))
    clock.advance(0.05)
    net.send(msg("c0", "n1", 2))  # due at once, but n1 is waiting for message 1
    clock.advance(0.0)
    assert inbox["n1"] == []
    clock.advance(0.1)
    assert [(round(t, 3), m["body"]["n"]) for t, m in inbox["n1"]] == [(0.1, 1), (0.1, 2)]


def test_head_of_line_blocking() -> None:
    net, clock, inbox = make_net(Scripted(100, 10, 5))
    net.send(msg("n0", "n1", 1))  # taken at once: n1 waits until 0.1
    net.send(msg("n2", "n1", 2))  # due at 0.01, waits behind it
    net.send(msg("n0", "n1", 3))  # due at 0.005: delivered before 2, still after 1
    clock.advance(1.0)
    assert [(round(t, 3), m["body"]["n"]) for t, m in inbox["n1"]] == [
        (0.1, 1),
        (0.1, 3),
        (0.1, 2),
    ]


def test_latency_distributions() -> None:
    rng = random.Random(3)
    uniform = [Latency(50, "uniform").draw(rng) for _ in range(5000)]
    assert min(uniform) == 0 and max(uniform) == 99  # [0, 2M - 1]
    assert all(x == int(x) for x in uniform)
    assert abs(statistics.mean(uniform) - 49.5) < 3
    expo = [Latency(50, "exponential").draw(rng) for _ in range(5000)]
    assert all(x == int(x) for x in expo)
    assert abs(statistics.mean(expo) - 49.5) < 4  # truncation to whole ms shaves 0.5
    assert max(expo) > 200
    assert Latency(0, "exponential").draw(rng) == 0
    # Slowness multiplies the draw before it is truncated.
    assert Latency(0.5, "constant").draw(rng) == 0
    assert Latency(0.5, "constant").draw(rng, 10.0) == 5


def test_zero_mean_with_a_random_latency_is_a_problem() -> None:
    assert Latency(0, "uniform").problem() is not None
    assert "--latency" in (Latency(0, "exponential").problem() or "")
    assert Latency(0, "constant").problem() is None
    assert Latency(5, "uniform").problem() is None


def test_delivery_by_deadline_reorders() -> None:
    net, clock, inbox = make_net(Latency(30, "exponential"), seed=5)
    for i in range(200):
        net.send(msg("n0", "n1", i))
    clock.advance(10.0)
    order = [m["body"]["n"] for _, m in inbox["n1"]]
    assert sorted(order) == list(range(200))
    assert order[0] == 0, "an idle receiver takes the first message it gets"
    assert order != sorted(order), "exponential latency reorders messages"
    times = [t for t, _ in inbox["n1"]]
    assert times == sorted(times)


def test_equal_deadlines_keep_send_order() -> None:
    net, clock, inbox = make_net(Latency(10, "constant"))
    for i in range(50):
        net.send(msg("n0", "n1", i))
        clock.advance(0.001)
    clock.advance(1.0)
    assert [m["body"]["n"] for _, m in inbox["n1"]] == list(range(50))


def test_partition_is_per_receiver_and_checked_when_a_message_is_taken() -> None:
    net, clock, inbox = make_net(Latency(100))
    net.send(msg("n0", "n1", 1))  # n1 is idle: taken now, before the partition
    net.send(msg("n0", "n1", 2))  # queued behind 1: taken after the partition began
    net.partition({"n1": frozenset({"n0"})})
    net.send(msg("n1", "n0", 3))  # n0 holds no grudge: delivered
    net.send(msg("n0", "seq-kv", 4))
    net.send(msg("c0", "n1", 5))  # clients are never cut off
    clock.advance(0.2)
    assert [m["body"]["n"] for _, m in inbox["n1"]] == [1, 5]
    assert [m["body"]["n"] for _, m in inbox["n0"]] == [3]
    assert [m["body"]["n"] for _, m in inbox["seq-kv"]] == [4]
    net.heal()
    net.send(msg("n0", "n1", 6))
    clock.advance(0.2)
    assert [m["body"]["n"] for _, m in inbox["n1"]] == [1, 5, 6]


def test_messages_carry_their_network_id() -> None:
    ids: list[tuple[str, int]] = []
    net, clock, inbox = make_net(Latency(5), journal=lambda e, t, i, m: ids.append((e, i)))
    net.send(msg("c0", "n0"))
    net.send(msg("n0", "n1"))
    net.send(msg("n1", "c0"))
    clock.advance(1.0)
    delivered = [m for box in ("n0", "n1", "c0") for _, m in inbox[box]]
    assert [m["id"] for m in delivered] == [0, 1, 2]
    assert sorted(i for e, i in ids if e == "recv") == [0, 1, 2]
    assert all(set(m) == {"id", "src", "dest", "body"} for m in delivered)


def test_a_held_receiver_keeps_ten_messages_and_drains_them_on_release() -> None:
    net, clock, inbox = make_net(Latency(10))
    net.send(msg("n0", "n1", 0))  # on its way when n1 goes down: kept, one of the ten
    net.hold("n1")
    for i in range(1, 15):
        net.send(msg("n0", "n1", i))
    net.send(msg("c0", "n2", 99))  # others are not held
    clock.advance(1.0)
    assert inbox["n1"] == []
    assert [m["body"]["n"] for _, m in inbox["n2"]] == [99]
    assert net.held("n1")
    net.release("n1")
    assert not net.held("n1")
    clock.advance(0.0)
    # The ten it kept came due long ago: all delivered at once, in order.
    assert [(round(t, 3), m["body"]["n"]) for t, m in inbox["n1"]] == [(1.0, i) for i in range(10)]
    assert net.stats.servers.recv_count == 10
    net.send(msg("n0", "n1", 20))  # a live queue again
    clock.advance(1.0)
    assert inbox["n1"][-1][1]["body"]["n"] == 20


def test_admitted_messages_pass_a_hold() -> None:
    net, clock, inbox = make_net(Latency(10))
    net.hold("n1")
    for i in range(12):
        net.send(msg("n0", "n1", i))
    net.hold("n1", admit=lambda m: m["body"]["type"] == "init")
    net.send({"src": "c0", "dest": "n1", "body": {"type": "init"}})
    net.send(msg("c0", "n1", 50))
    clock.advance(1.0)
    assert [m["body"]["type"] for _, m in inbox["n1"]] == ["init"]
    net.release("n1")
    assert [m["body"].get("n") for _, m in inbox["n1"]] == [None, *range(10)]


def test_a_removed_receiver_gets_nothing_more() -> None:
    net, clock, inbox = make_net(Latency(10))
    net.send(msg("n0", "n1", 1))
    net.remove("n1")
    clock.advance(1.0)
    assert inbox["n1"] == []
    assert net.pending() == 0


def test_loss_spares_clients_and_slow_multiplies_latency() -> None:
    net, clock, inbox = make_net(Latency(10))
    net.loss = 0.5
    for i in range(1000):
        net.send(msg("n0", "n1", i))
        net.send(msg("c0", "n1", i))
    clock.advance(1.0)
    from_node = sum(1 for _, m in inbox["n1"] if m["src"] == "n0")
    from_client = sum(1 for _, m in inbox["n1"] if m["src"] == "c0")
    assert from_client == 1000
    assert 400 < from_node < 600
    net.heal()
    net.slow = True
    net.send(msg("n0", "n2"))
    clock.advance(0.05)
    assert inbox["n2"] == []
    clock.advance(0.1)
    assert [round(t, 3) for t, _ in inbox["n2"]] == [1.1]


def test_stats_and_journal() -> None:
    events: list[tuple[str, int]] = []
    net, clock, _ = make_net(Latency(5), journal=lambda e, t, i, m: events.append((e, i)))
    net.send(msg("c0", "n0"))
    net.send(msg("n0", "c0"))
    net.send(msg("n0", "seq-kv"))
    net.partition({"n1": frozenset({"n0"})})
    net.send(msg("n0", "n1"))  # sent, never received
    clock.advance(1.0)
    stats = net.stats.as_dict()
    assert stats["all"] == {"send_count": 4, "recv_count": 3, "msg_count": 4}
    assert stats["clients"] == {"send_count": 2, "recv_count": 2, "msg_count": 2}
    assert stats["servers"] == {"send_count": 2, "recv_count": 1, "msg_count": 2}
    assert [e for e, _ in events].count("send") == 4
    assert [i for e, i in events if e == "recv"] == [0, 1, 2]


def test_unknown_and_retired_ids() -> None:
    net, clock, inbox = make_net()
    with pytest.raises(UnknownNode, match="n9"):
        net.send(msg("n0", "n9"))
    with pytest.raises(UnknownNode, match="src"):
        net.send(msg("n9", "n0"))
    net.remove("c0")
    net.send(msg("n0", "c0"))  # a late reply to a closed client: lost, not an error
    clock.advance(1.0)
    assert inbox["c0"] == []
    assert "c0" in net
