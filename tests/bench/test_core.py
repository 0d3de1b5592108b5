"""Whole test runs with in-process nodes: scheduling, phases, processes, verdicts.

They run in simulation mode (virtual time), except one that checks the real-time
path keeps the seed's choices too and one that restarts a node process.
"""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glomers import Body, Crash, KeyDoesNotExist, Node, Request
from glomers.bench import findings
from glomers.bench.clock import LoopClock
from glomers.bench.core import Outcome, TestOptions, TestRun, round_robin
from glomers.bench.history import NEMESIS, Op
from glomers.bench.hosts import NodeFault
from glomers.bench.inproc import InProcessHost
from glomers.bench.net import Latency, Network
from glomers.bench.process import ProcessHost
from glomers.bench.sim import SimLoop, run_simulation
from glomers.bench.workloads import echo as echo_workload
from glomers.bench.workloads.echo import EchoWorkload
from glomers.counter import build as build_counter
from glomers.examples.echo import build as build_echo
from tests.nodes import double_count_counter, lost_update_counter, stale_read_counter


def options(**overrides: Any) -> TestOptions:
    base: dict[str, Any] = {
        "workload": "g-counter",
        "nodes": ["n0", "n1", "n2"],
        "time_limit": 1.5,
        "rate": 100.0,
        "concurrency": 3,
        "recovery_time": 1.0,  # longer than the counter's default staleness (0.75 s)
        "seed": 7,
    }
    base.update(overrides)
    return TestOptions(**base)


def run(opts: TestOptions, build: Callable[[], Node]) -> Outcome:
    return run_simulation(opts, build)


async def run_in_real_time(opts: TestOptions, build: Callable[[], Node]) -> Outcome:
    def make_host(node: str, net: Network, on_fault: Callable[[NodeFault], None]) -> Any:
        return InProcessHost(node, build, net, on_fault)

    return await TestRun(opts, make_host, LoopClock()).run()


def test_echo_run_is_valid() -> None:
    outcome = run(options(workload="echo", rate=50.0), build_echo)
    assert outcome.exit_code == 0, outcome.results
    assert outcome.results["valid"] is True
    assert outcome.results["stats"]["ok_count"] > 40


def test_counter_run_with_partitions_is_valid() -> None:
    opts = options(nemesis=["partition"], nemesis_interval=0.2, latency=Latency(5, "exponential"))
    outcome = run(opts, build_counter)
    results = outcome.results
    assert results["valid"] is True, results
    finals = results["workload"]["final_reads"]
    assert len(finals) == 3
    assert len(set(finals)) == 1
    assert any(op.process == NEMESIS for op in outcome.history)


def test_rate_threads_and_final_reads() -> None:
    outcome = run(options(rate=200.0, time_limit=1.0, concurrency=6), build_counter)
    invokes = [op for op in outcome.history if op.type == "invoke" and not op.final]
    # About rate x time operations, each gap uniform in [0, 2/rate].
    assert 150 <= len(invokes) <= 250
    # Thread i talks to node i mod 3; with no failures processes are the threads.
    for op in invokes:
        assert isinstance(op.process, int)
        assert op.node == f"n{op.process % 3}"
    finals = [op for op in outcome.history if op.final and op.type == "invoke"]
    assert sorted(op.process for op in finals) == list(range(6))
    assert {op.f for op in finals} == {"read"}
    counts = Counter(op.f for op in invokes)
    assert counts["add"] < counts["read"]  # g-counter drops negative deltas: ~1/3 adds
    assert all(op.value >= 0 for op in invokes if op.f == "add")


def erring_counter(
    error: Callable[[], Exception], *, first: bool, applied: bool
) -> Callable[[], Node]:
    """A one-node counter that answers every other add (from the first one if
    ``first``) with ``error``; with ``applied`` it applies those adds all the same."""

    def build() -> Node:
        node = Node()
        total = 0
        calls = 0

        @node.handler("add")
        def add(req: Request[Body]) -> Body:
            nonlocal calls, total
            calls += 1
            if calls % 2 == (1 if first else 0):
                if applied:
                    total += req.body["delta"]
                raise error()
            total += req.body["delta"]
            return {"type": "add_ok"}

        @node.handler("read")
        def read(req: Request[Body]) -> Body:
            return {"type": "read_ok", "value": total}

        return node

    return build


#: Every other add fails with an indefinite error, and nothing was applied.
flaky_counter = erring_counter(lambda: Crash("flaky"), first=True, applied=False)


def test_info_starts_a_new_process() -> None:
    outcome = run(options(nodes=["n0"], concurrency=2, rate=100.0, time_limit=1.0), flaky_counter)
    infos = [op for op in outcome.history if op.type == "info"]
    assert infos
    # Counters record errors as Maelstrom does: indeterminate text, the code's name as exception.
    assert all(
        op.error == "indeterminate: n0 answered with error 13 (crash): flaky" for op in infos
    )
    assert all(op.extra == {"code": 13, "exception": "crash"} for op in infos)
    processes = {op.process for op in outcome.history if isinstance(op.process, int)}
    assert max(processes) >= 2  # 0 and 1 were replaced by 2, 3, ...
    for op in infos:
        later = [o for o in outcome.history if o.index > op.index and o.process == op.process]
        assert later == [], "a process never runs again after an info"
    # Info adds that did not happen are acceptable either way: still valid.
    assert outcome.results["workload"]["valid"] is True


@pytest.mark.parametrize(
    ("module", "latency"),
    [(lost_update_counter, 0), (double_count_counter, 10), (stale_read_counter, 0)],
)
def test_broken_counters_are_invalid(module: Any, latency: int) -> None:
    opts = options(latency=Latency(latency), time_limit=2.0)
    outcome = run(opts, module.build)
    assert outcome.exit_code == 1, outcome.results
    workload = outcome.results["workload"]
    assert workload["valid"] is False
    assert workload["error_details"]
    reasons = " ".join(d["reason"] for d in workload["error_details"])
    assert "missing" in reasons or "too many" in reasons


def echo_that(misbehave: Callable[[Node, int], Any]) -> Callable[[], Node]:
    """An echo node; on n0, ``misbehave(node, k)`` runs at its k-th echo (an awaitable
    result is awaited) before the reply."""

    def build() -> Node:
        # Answers however late, to show what the bench does with late replies.
        node = Node(client_reply_deadline=None)
        count = 0

        @node.handler("echo")
        async def echo(req: Request[Body]) -> Body:
            nonlocal count
            count += 1
            if node.node_id == "n0":
                done = misbehave(node, count)
                if asyncio.iscoroutine(done):
                    await done
            return {"type": "echo_ok", "echo": req.body["echo"]}

        return node

    return build


def after(outcome: Outcome, since: int) -> tuple[list[Op], list[Op]]:
    """Ops completed by n1 after ``since``, and completions of n0's ops invoked after it."""
    ops = outcome.history
    n1 = [op for op in ops if op.node == "n1" and op.type == "ok" and op.time > since]
    n0 = [
        next(o for o in ops if o.index > op.index and o.process == op.process)
        for op in ops
        if op.node == "n0" and op.type == "invoke" and op.time > since
    ]
    return n1, n0


ECHO = {"workload": "echo", "nodes": ["n0", "n1"], "concurrency": 2, "rate": 20.0}


def test_a_node_sending_to_an_unknown_id_goes_mute_and_the_run_goes_on() -> None:
    def rude(node: Node, k: int) -> None:
        if k == 3:
            node.send("nowhere", {"type": "hello"})

    outcome = run(options(**ECHO, time_limit=10.0), echo_that(rude))
    # Echo only needs some replies: the run is judged, and valid, as under Maelstrom.
    assert outcome.exit_code == 0, outcome.results
    [error] = outcome.results["node_errors"]
    assert error["node"] == "n0"
    assert error["problem"].startswith("Invalid dest for message from node n0: 'nowhere'")
    assert '"dest":"nowhere"' in error["line"]
    n1, n0 = after(outcome, error["time"])
    assert len(n1) > 50
    assert n0 and all((op.type, op.error) == ("info", "net-timeout") for op in n0)


def test_a_late_reply_to_a_replaced_client_mutes_the_node() -> None:
    def slow(node: Node, k: int) -> Any:
        # Longer than the client's timeout, so the client gives up and is replaced.
        return asyncio.sleep(7.0) if k == 3 else None

    outcome = run(options(**ECHO, time_limit=15.0), echo_that(slow))
    assert outcome.exit_code == 0, outcome.results
    [error] = outcome.results["node_errors"]
    assert error["problem"].startswith("Invalid dest for message from node n0: 'c2'")
    [info] = [op for op in outcome.history if op.type == "info" and op.time < error["time"]]
    # The thread's first op after its info (on a new client) came before the late reply.
    next_op = next(o for o in outcome.history if o.index > info.index and o.node == "n0")
    assert next_op.type == "invoke"
    assert isinstance(info.process, int)
    assert next_op.process == info.process + 2
    assert info.time < next_op.time < error["time"]
    n1, n0 = after(outcome, error["time"])
    assert len(n1) > 50
    assert n0 and all(op.type == "info" for op in n0)


def test_reusable_clients_are_kept_so_late_replies_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def slow(node: Node, k: int) -> Any:
        return asyncio.sleep(7.0) if k == 3 else None

    monkeypatch.setattr(EchoWorkload, "reusable_clients", True, raising=False)
    outcome = run(options(**ECHO, time_limit=15.0), echo_that(slow))
    assert outcome.exit_code == 0, outcome.results
    assert outcome.results["node_errors"] == []
    [info] = [op for op in outcome.history if op.type == "info"]
    later = [op for op in outcome.history if op.node == "n0" and op.time > info.time + 3e9]
    assert later and all(op.type in ("invoke", "ok") for op in later)


def test_a_client_is_replaced_at_the_first_op_after_an_info_not_at_the_info() -> None:
    seen: list[tuple[str, int]] = []

    def build() -> Node:
        node = Node()

        @node.handler("echo")
        async def echo(req: Request[Body]) -> Body:
            seen.append((req.src, req.body["msg_id"]))
            if len(seen) == 2:
                raise Crash("flaky")
            return {"type": "echo_ok", "echo": req.body["echo"]}

        return node

    outcome = run(options(**{**ECHO, "nodes": ["n0"], "concurrency": 1}, time_limit=1.0), build)
    assert outcome.results["stats"]["info_count"] == 1
    # c0 sent init; c1 served process 0 until its info, c2 serves process 1.
    assert seen[:4] == [("c1", 1), ("c1", 2), ("c2", 1), ("c2", 2)]


async def test_same_seed_same_choices_in_real_time() -> None:
    a = await run_in_real_time(options(rate=50.0, time_limit=1.0), build_counter)
    b = await run_in_real_time(options(rate=50.0, time_limit=1.0), build_counter)
    ops_a = [(op.f, op.value) for op in a.history if op.type == "invoke"]
    ops_b = [(op.f, op.value) for op in b.history if op.type == "invoke"]
    # Real time shifts a few operations at the edges; the choices themselves agree.
    n = min(len(ops_a), len(ops_b)) - 5
    assert n > 30
    assert ops_a[:n] == ops_b[:n]


ALL_FAULTS = ["partition", "kill", "pause", "loss", "slow"]
FIRST_OP = {"partition": "start-partition", "kill": "kill", "pause": "pause",
            "loss": "start-loss", "slow": "start-slow"}  # fmt: skip


@pytest.mark.parametrize(
    ("workload", "faults"),
    [("g-counter", [f]) for f in ALL_FAULTS]
    + [("g-counter", ALL_FAULTS), ("pn-counter", ALL_FAULTS)],
    ids=lambda x: ",".join(x) if isinstance(x, list) else x,
)
def test_counter_survives_each_fault(workload: str, faults: list[str]) -> None:
    opts = options(
        workload=workload,
        nemesis=faults,
        nemesis_interval=1.0,
        latency=Latency(20, "exponential"),
        time_limit=20.0,
        recovery_time=10.0,
        concurrency=6,
    )
    outcome = run(opts, lambda: build_counter(allow_negative=workload == "pn-counter"))
    results = outcome.results
    assert results["valid"] is True, results["workload"]
    finals = results["workload"]["final_reads"]
    # A node that was paused may answer after its client gave up and was replaced: as in
    # Maelstrom, that reply goes to a closed client and the node goes mute, so the final
    # reads of the threads bound to it time out. Every other one is there, and agrees.
    errors = results["node_errors"]
    assert all(e["problem"].startswith("Invalid dest for message") for e in errors)
    muted = {e["node"] for e in errors}
    assert len(finals) == sum(f"n{t % 3}" not in muted for t in range(6))
    assert len(set(finals)) == 1
    injected = {op.f for op in outcome.history if op.process == NEMESIS}
    # Each nemesis step picks one fault at random: with all five, most show up.
    assert len({FIRST_OP[f] for f in faults} & injected) >= min(len(faults), 3)


def test_simulation_replays_exactly() -> None:
    def encode(outcome: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        return [op.to_json() for op in outcome.history], outcome.results

    opts = options(
        nemesis=["partition", "kill", "pause", "loss", "slow"],
        nemesis_interval=1.0,
        latency=Latency(20, "exponential"),
        time_limit=10.0,
        recovery_time=5.0,
        seed=98,
    )
    first = run_simulation(opts, build_counter)
    again = run_simulation(opts, build_counter)
    assert first.results["valid"] is True
    assert encode(first) == encode(again)
    other = run_simulation(options(**{**opts.__dict__, "seed": 100}), build_counter)
    assert encode(other) != encode(first)
    # Virtual time: the history spans the whole simulated run.
    assert first.history[-1].time > 10e9


def test_a_builder_that_fails_is_a_node_fault() -> None:
    def broken() -> Node:
        raise ValueError("no config")

    outcome = run(options(), broken)
    assert outcome.exit_code == 255
    assert "build" in outcome.results["error"]
    assert "ValueError('no config')" in outcome.results["error"]
    assert 'raise ValueError("no config")' in outcome.results["error"]

    outcome = run(options(), lambda: 42)  # type: ignore[arg-type,return-value]
    assert outcome.exit_code == 255
    assert "returned 42, not a glomers Node" in outcome.results["error"]


# ---------------------------------------------------------------------------
# Maelstrom's verdict, findings beyond it, and --strict


def lying_counter(apply_refused: bool = True) -> Callable[[], Node]:
    """Answers every other add with key-does-not-exist (a definite error); with
    ``apply_refused`` it applies those adds all the same."""
    return erring_counter(
        lambda: KeyDoesNotExist("no such counter"), first=False, applied=apply_refused
    )


def test_definite_errors_are_info_and_a_finding_beyond_maelstrom() -> None:
    outcome = run(options(nodes=["n0"], concurrency=2), lying_counter())
    results = outcome.results
    refused = [op for op in outcome.history if op.type == "info" and op.f == "add"]
    assert refused
    assert all(op.extra["code"] == 20 for op in refused)
    assert not [op for op in outcome.history if op.type == "fail"]
    # Maelstrom takes every error on a counter add as info: the reads are acceptable.
    assert (outcome.exit_code, results["valid"], results["strict"]) == (0, True, False)
    assert results["exceptions"]["exceptions"][0]["class"] == "key-does-not-exist"
    finding = results["beyond_maelstrom"]["definite_errors"]
    assert finding["valid"] is False
    assert "n0 answered add" in finding["explanation"]
    assert "which promises they did not happen, but the final reads" in finding["explanation"]

    strict = run(options(nodes=["n0"], concurrency=2, strict=True), lying_counter())
    assert (strict.exit_code, strict.results["valid"], strict.results["strict"]) == (1, False, True)
    assert strict.results["maelstrom_valid"] is True


def test_definite_errors_that_are_kept_pass_even_when_strict() -> None:
    outcome = run(options(nodes=["n0"], concurrency=2, strict=True), lying_counter(False))
    assert outcome.exit_code == 0, outcome.results["beyond_maelstrom"]
    assert outcome.results["beyond_maelstrom"]["definite_errors"]["adds"]


def impossible_first_read() -> Node:
    """A correct counter whose very first read answers a value no add could make."""
    node = Node()
    total = 0
    reads = 0

    @node.handler("add")
    def add(req: Request[Body]) -> Body:
        nonlocal total
        total += req.body["delta"]
        return {"type": "add_ok"}

    @node.handler("read")
    def read(req: Request[Body]) -> Body:
        nonlocal reads
        reads += 1
        return {"type": "read_ok", "value": total + (10_000 if reads == 1 else 0)}

    return node


def test_read_lag_is_reported_beyond_maelstrom_and_fails_only_when_strict() -> None:
    outcome = run(options(nodes=["n0"], concurrency=1), impossible_first_read)
    assert outcome.exit_code == 0
    assert "read_lag" not in outcome.results
    lag = outcome.results["beyond_maelstrom"]["read_lag"]
    assert lag["valid"] is False
    assert lag["too_high"][0]["value"] >= 10_000
    assert lag["explanation"].startswith("1 read returned a value no counter could have had")
    assert lag["reads"] > 0  # its figures stay
    strict = run(options(nodes=["n0"], concurrency=1, strict=True), impossible_first_read)
    assert strict.exit_code == 1


def test_findings_can_be_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def sends_as_another(run: findings.FindingInput) -> dict[str, Any]:
        seen.append(run.workload)
        return {"valid": False, "explanation": "n0 sent a message with src n1.", "messages": 1}

    monkeypatch.setitem(findings.REGISTRY, "src", (None, sends_as_another))
    monkeypatch.setitem(findings.REGISTRY, "counters only", (["g-counter"], sends_as_another))
    outcome = run(options(workload="echo", rate=50.0), build_echo)
    assert seen == ["echo"]
    assert outcome.exit_code == 0
    assert outcome.results["beyond_maelstrom"]["src"]["messages"] == 1
    assert "counters only" not in outcome.results["beyond_maelstrom"]
    strict = run(options(workload="echo", rate=50.0, strict=True), build_echo)
    assert strict.exit_code == 1


def test_results_carry_maelstroms_checkers() -> None:
    results = run(options(workload="echo", rate=50.0), build_echo).results
    maelstrom = ("workload", "stats", "availability", "net", "perf", "timeline", "exceptions")
    assert all(results[name]["valid"] is True for name in maelstrom)
    assert set(results["perf"]["latency"]["echo"]) == {"ok"}
    assert results["beyond_maelstrom"] == {}


def test_a_checker_that_raises_makes_the_run_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(history: Any) -> dict[str, Any]:
        raise ValueError("bad history")

    monkeypatch.setattr(echo_workload, "echo_checker", broken)
    outcome = run(options(workload="echo", rate=50.0), build_echo)
    assert outcome.exit_code == 2
    assert outcome.results["workload"] == {"valid": "unknown", "error": "ValueError: bad history"}
    assert outcome.results["stats"]["valid"] is True


def test_journal_times_never_go_back_and_history_counts_from_the_main_phase() -> None:
    """A node whose init takes time: the journal's times must not jump back when
    the clients start; history times count from the main phase, as Maelstrom's,
    and ``history_origin`` places that instant on the journal's scale."""
    entries: list[tuple[float, dict[str, Any]]] = []

    def journal(event: str, time: float, msg_id: int, message: dict[str, Any]) -> None:
        entries.append((time, message))

    def slow_init_echo() -> Node:
        node = build_echo()

        @node.on_init
        async def warm_up() -> None:
            await asyncio.sleep(0.5)

        return node

    outcome = run_simulation(options(workload="echo", time_limit=1.0), slow_init_echo, journal)
    times = [t for t, _ in entries]
    assert times == sorted(times)
    inits = [t for t, m in entries if m["body"].get("type") == "init_ok"]
    origin = outcome.results["history_origin"]
    first_op = min(op.time for op in outcome.history)
    assert inits and min(inits) >= 500_000_000 and origin >= max(inits)
    assert 0 <= first_op < 10_000_000
    first_request = min(t for t, m in entries if m["body"].get("type") == "echo")
    assert first_request == origin + first_op


def test_round_robin_takes_the_first_free_thread_at_or_after_the_cursor() -> None:
    assert round_robin({0, 1, 2}, 0, 3) == 0
    assert round_robin({0, 2}, 1, 3) == 2
    assert round_robin({0}, 1, 3) == 0  # wraps around
    assert round_robin({1, 2}, 3, 3) == 1  # the cursor at the nemesis's slot


def test_threads_take_operations_in_turn_the_nemesis_counting_as_a_thread() -> None:
    # Echo answers at once, so every thread is free again when its turn comes. The
    # cursor also stops at the nemesis's slot (after the clients'), which sends that
    # op to thread 0: a Maelstrom run of 3 threads shows the same 0, 1, 2, 0 cycle.
    quiet = run(options(workload="echo", rate=100.0, time_limit=1.0), build_echo).history
    invokes = [op.process for op in quiet if op.type == "invoke"]
    assert len(invokes) > 60
    assert invokes == [(0, 1, 2, 0)[i % 4] for i in range(len(invokes))]
    # Each nemesis operation moves the cursor too: the one at t = 0 makes the cycle
    # start at thread 1, as in Maelstrom (1, 2, 0, 0, 1, 2, 0, 0, ...).
    opts = options(workload="echo", rate=100.0, time_limit=1.0, nemesis=["partition"])
    history = run(opts, build_echo).history
    cursor, expected, got, nemesis_records = 0, [], [], 0
    for op in history:
        if op.process == NEMESIS:
            nemesis_records += 1
            if nemesis_records % 2:  # an invocation: its completion follows it
                cursor = (cursor + 1) % 4
        elif op.type == "invoke":
            expected.append(round_robin({0, 1, 2}, cursor, 3))
            got.append(op.process)
            cursor = (cursor + 1) % 4
    assert got == expected
    assert got[:8] == [1, 2, 0, 0, 1, 2, 0, 0]


def test_the_nemesis_starts_with_the_run_and_only_final_workloads_get_final_ops() -> None:
    faults = {"nemesis": ["partition"], "nemesis_interval": 0.3, "time_limit": 2.0}
    echo = run(options(workload="echo", rate=50.0, **faults), build_echo).history
    nemesis = [op for op in echo if op.process == NEMESIS]
    assert nemesis[0].time == 0 and nemesis[0].f == "start-partition"
    # Echo has no final phase: no nemesis operation once the clients are done.
    last = max(op.index for op in echo if op.process != NEMESIS)
    assert all(op.index < last for op in nemesis)
    counter = run(options(**faults), build_counter).history
    final_start = min(op.index for op in counter if op.final)
    main_end = max(op.index for op in counter if op.process != NEMESIS and not op.final)
    after = [op for op in counter if op.process == NEMESIS and op.index > main_end]
    assert [(op.f, op.value) for op in after] == [
        ("stop-partition", None),
        ("stop-partition", "network-healed"),
    ]
    assert all(op.index < final_start for op in after)


def test_a_restarted_node_gets_its_init_first_then_what_was_kept_for_it() -> None:
    received: list[str] = []

    def journal(event: str, time: float, msg_id: int, message: dict[str, Any]) -> None:
        if event == "recv" and message["dest"] == "n0":
            received.append(message["body"]["type"])

    async def scenario() -> None:
        def make_host(node: str, net: Network, on_fault: Callable[[NodeFault], None]) -> Any:
            return InProcessHost(node, build_echo, net, on_fault, seed=1)

        opts = options(workload="echo", latency=Latency(5))
        test = TestRun(opts, make_host, LoopClock(), journal=journal)
        await test._setup()
        test.net.hold("n0")
        await test.hosts["n0"].kill()
        received.clear()
        for i in range(12):
            test.net.send({"src": "n1", "dest": "n0", "body": {"type": "probe", "n": i}})
        await asyncio.sleep(1.0)
        assert received == []
        await test.restart("n0")
        await asyncio.sleep(1.0)
        await test._teardown()

    loop = SimLoop(start=0.0, noop_cycles=0)
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
    # The init of the new process, then the ten messages its queue kept while it was down.
    assert received == ["init"] + ["probe"] * 10


async def test_a_restarted_process_gets_its_init_first_then_what_was_kept_for_it(
    tmp_path: Path,
) -> None:
    received: list[str] = []

    def journal(event: str, time: float, msg_id: int, message: dict[str, Any]) -> None:
        if event == "recv" and message["dest"] == "n0":
            received.append(message["body"]["type"])

    def make_host(node: str, net: Network, on_fault: Callable[[NodeFault], None]) -> Any:
        argv = [sys.executable, "-m", "glomers.examples.echo"]
        return ProcessHost(node, argv, net, tmp_path / f"{node}.log", on_fault)

    test = TestRun(options(workload="echo"), make_host, LoopClock(), journal=journal)
    try:
        await test._setup()
        test.net.hold("n0")
        await test.hosts["n0"].kill()
        received.clear()
        for i in range(12):
            test.net.send({"src": "n1", "dest": "n0", "body": {"type": "probe", "n": i}})
        await test.restart("n0")
        assert received == ["init"] + ["probe"] * 10
    finally:
        await test._teardown()
