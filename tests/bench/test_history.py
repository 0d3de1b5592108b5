"""The history helpers: fault periods from the nemesis's records."""

from __future__ import annotations

from glomers.bench import params
from glomers.bench.core import TestOptions
from glomers.bench.history import (
    NEMESIS,
    FaultPeriod,
    Op,
    Pairing,
    fault_periods,
    paired,
    pairs,
    sent_while_down,
)
from glomers.bench.sim import run_simulation
from glomers.counter import build


def nemesis(f: str, value: object, t: int, node: str | None = None) -> Op:
    return Op(NEMESIS, "info", f, value, time=t, node=node)


def test_periods_pair_each_fault_with_its_end_even_when_steps_interleave() -> None:
    history = [
        nemesis("start-partition", "majority", 1),
        nemesis("start-partition", {"isolated": {"n0": ["n1"]}}, 2),
        nemesis("kill", "n1", 3, "n1"),
        nemesis("pause", "n2", 4, "n2"),  # a step that began while the kill was underway
        nemesis("kill", "killed n1", 5, "n1"),
        nemesis("pause", "paused n2", 6, "n2"),
        Op(0, "invoke", "read", time=7),
        nemesis("stop-partition", None, 8),
        nemesis("stop-partition", "network-healed", 9),
        nemesis("start", "n1", 10, "n1"),
        nemesis("start", "restarted n1", 11, "n1"),
        nemesis("stop-loss", None, 12),  # heal stops faults that never started
        nemesis("stop-loss", "no loss", 13),
        nemesis("start-slow", 10, 14),
        nemesis("start-slow", "latency x10", 15),
    ]
    assert fault_periods(history) == [
        FaultPeriod("partition", 2, 9, None, {"isolated": {"n0": ["n1"]}}),
        FaultPeriod("kill", 5, 11, "n1", "killed n1"),
        FaultPeriod("pause", 6, None, "n2", "paused n2"),
        FaultPeriod("slow", 15, None, None, "latency x10"),
    ]


def test_a_real_run_ends_every_period_by_the_final_reads() -> None:
    opts = TestOptions(
        workload="g-counter", nodes=["n0", "n1", "n2"], time_limit=60.0, rate=20.0,
        nemesis=["partition", "kill", "pause", "loss", "slow"], nemesis_interval=2.0,
        recovery_time=5.0, seed=11,
    )  # fmt: skip
    history = run_simulation(opts, build).history
    periods = fault_periods(history)
    assert {p.fault for p in periods} == {"partition", "kill", "pause", "loss", "slow"}
    final = min(op.time for op in history if op.final)
    for p in periods:
        assert p.end is not None and p.start <= p.end <= final, p
        assert (p.node is not None) == (p.fault in ("kill", "pause"))


def test_operations_on_several_nodes_give_one_period_per_node() -> None:
    history = [
        nemesis("pause", "majority", 1),
        nemesis("pause", ["n0", "n2"], 2),
        nemesis("kill", ["n2"], 3),  # a subset, named by the invocation
        nemesis("kill", ["n2"], 4),  # killing a paused node ends its pause
        nemesis("resume", "all", 5),
        nemesis("resume", ["n0"], 6),
        nemesis("start", "all", 7),
        nemesis("start", ["n2"], 8),
        nemesis("kill", "minority-third", 9),
        nemesis("kill", [], 10),  # acted on no node: no period
    ]
    assert fault_periods(history) == [
        FaultPeriod("pause", 2, 6, "n0", ["n0", "n2"]),
        FaultPeriod("pause", 2, 4, "n2", ["n0", "n2"]),
        FaultPeriod("kill", 4, 8, "n2", ["n2"]),
    ]


def test_paired_keeps_every_record_in_the_order_operations_began() -> None:
    add = Op(1, "invoke", "add", 1, time=1)
    lost = Op(0, "invoke", "read", time=2)  # its process invokes again: never completed
    read = Op(0, "invoke", "read", time=3)
    ask_kill = nemesis("kill", "n1", 4, "n1")
    ask_pause = nemesis("pause", "n2", 5, "n2")
    orphan = Op(2, "ok", "read", 7, time=6)  # a completion nobody invoked
    killed = nemesis("kill", ["n1"], 7, "n1")
    read_ok = Op(0, "ok", "read", 3, time=8)
    add_fail = Op(1, "fail", "add", 1, time=9)
    history = [add, lost, read, ask_kill, ask_pause, orphan, killed, read_ok, add_fail]
    assert paired(history) == [
        (add, add_fail),
        (lost, None),
        (read, read_ok),
        (ask_kill, killed),
        (ask_pause, None),
        (None, orphan),
    ]
    # The clients' invocations only, as checkers and plots read them.
    assert list(pairs(history)) == [(add, add_fail), (lost, None), (read, read_ok)]


def test_pairing_follows_records_as_they_come() -> None:
    pairing = Pairing()
    first = nemesis("start-partition", "one", 1)
    assert pairing.feed(first) is None and pairing.opened(first)
    again = nemesis("start-partition", {"isolated": {}}, 2)
    assert pairing.feed(again) is first and not pairing.opened(again)
    stray = Op(3, "info", "read", time=3)
    assert pairing.feed(stray) is None and not pairing.opened(stray)


def test_operations_sent_while_their_node_was_down_and_whether_it_stayed_down() -> None:
    history = [
        nemesis("kill", ["n0"], 0),
        nemesis("kill", ["n0"], 10),
        Op(0, "invoke", "add", 1, time=20, node="n0"),  # down from 10 to 100: hopeless
        Op(1, "invoke", "add", 1, time=30, node="n1"),  # n1 is up throughout
        nemesis("pause", ["n1"], 40),
        nemesis("pause", ["n1"], 50),
        Op(0, "invoke", "add", 2, time=60, node="n0"),  # back at 100, within its wait
        Op(1, "invoke", "add", 2, time=61, node="n1"),  # paused, then killed: down to the end
        nemesis("kill", ["n1"], 70),
        nemesis("kill", ["n1"], 80),
        nemesis("start", "all", 90),
        nemesis("start", ["n0"], 100),
        Op(0, "invoke", "add", 3, time=110, node="n0"),
        nemesis("kill", ["n0"], 115),
        nemesis("kill", ["n0"], 130),  # 110 to 130 up: not hopeless
    ]
    met = sent_while_down(history, 50)
    assert [(op.node, op.value, whole) for op, whole in met] == [
        ("n0", 1, True), ("n0", 2, False), ("n1", 2, True),
    ]  # fmt: skip
    # A shorter wait: the add at 60 had to be answered by 70, while n0 was down.
    assert [whole for _, whole in sent_while_down(history, 10)] == [True, True, True]


def test_a_seed_whose_adds_all_met_a_down_node_says_no_node_could_pass_it() -> None:
    # Seed 6 of the fuzz's all-five-faults row: every node is down from t = 0.
    opts = params.build_options({
        "workload": "g-counter", "node_count": 3, "rate": 100.0, "time_limit": 20.0,
        "nemesis": ["partition", "kill", "pause", "loss", "slow"], "seed": 6, "sim": True,
    })  # fmt: skip
    outcome = run_simulation(opts, build)
    adds = [op for op in outcome.history if op.type == "invoke" and op.f == "add"]
    stats = outcome.results["stats"]
    assert stats["valid"] is False and stats["by_f"]["add"]["ok_count"] == 0
    met = sent_while_down(outcome.history, 5_000_000_000)
    assert [op for op, whole in met if op.f == "add" and whole] == adds
    assert stats["by_f"]["add"]["down_whole_wait"] == len(adds) > 0
    assert stats["by_f"]["add"]["sent_while_down"] == len(adds)
    assert "down_whole_wait" not in stats["by_f"]["read"]  # some reads succeeded
