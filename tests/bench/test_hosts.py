"""The hosts' shared module: one ``Host`` protocol, one set of output checks."""

from __future__ import annotations

import ast
import inspect
import random
from pathlib import Path

import pytest

import glomers.bench
from glomers import Node
from glomers.bench import clock, hosts, net
from glomers.bench.hosts import BadOutput, Host, NodeFault, forward_output, send_output
from glomers.bench.inproc import InProcessHost
from glomers.bench.net import Message, Network
from glomers.bench.process import ProcessHost

BENCH = Path(glomers.bench.__file__).parent


def imported_modules(name: str) -> set[str]:
    """The glomers modules that ``glomers/bench/<name>.py`` imports."""
    tree = ast.parse((BENCH / f"{name}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("name", ["core", "sim", "inproc", "nemesis", "pausable", "nodelogs"])
def test_only_the_process_layer_and_the_cli_import_it(name: str) -> None:
    assert "glomers.bench.process" not in imported_modules(name)


def test_the_nemesis_and_the_run_share_the_one_host_protocol() -> None:
    import glomers.bench.core as core
    import glomers.bench.nemesis as nemesis

    assert vars(core)["Host"] is Host
    assert vars(nemesis)["Host"] is Host


def protocol_members() -> list[str]:
    return sorted(
        name
        for name in {*vars(Host), *Host.__annotations__}
        if not name.startswith("_") and name not in ("__annotations__",)
    )


@pytest.mark.parametrize("host", [ProcessHost, InProcessHost])
def test_both_hosts_have_every_member_of_the_protocol(host: type) -> None:
    members = protocol_members()
    assert {"start", "kill", "pause", "resume", "stop", "tail_report", "up"} <= set(members)
    for name in members:
        if name in Host.__annotations__:
            continue  # attributes: set by __init__
        ours = getattr(host, name)
        theirs = getattr(Host, name)
        assert inspect.iscoroutinefunction(ours) == inspect.iscoroutinefunction(theirs), name


def test_every_method_of_the_protocol_says_what_it_is_for() -> None:
    for name in protocol_members():
        if name not in Host.__annotations__:
            assert inspect.getdoc(getattr(Host, name)), name


async def test_a_host_built_on_the_network_satisfies_the_protocol() -> None:
    network = Network(clock.LoopClock(), random.Random(1))
    faults: list[NodeFault] = []
    built: Host = InProcessHost("n0", Node, network, faults.append)
    for name in protocol_members():
        assert hasattr(built, name), name


def test_the_network_uses_the_one_clock_abstraction() -> None:
    assert vars(net)["Clock"] is clock.Clock
    assert vars(net)["Timer"] is clock.Timer


def sink() -> tuple[Network, list[Message]]:
    class NoClock:
        def now(self) -> float:
            return 0.0

        def call_at(self, when: float, fn: object) -> clock.Timer:
            raise AssertionError("no message is delivered in these tests")

    network = Network(NoClock(), random.Random(1))
    got: list[Message] = []
    for node in ("n0", "c1"):
        network.add(node, got.append)
    return network, got


def test_send_output_explains_a_malformed_line_and_clips_a_long_one() -> None:
    network, _ = sink()
    with pytest.raises(BadOutput, match="because it has no `dest`"):
        send_output(network, "n0", b'{"src":"n0","body":{}}')
    long = "x" * 3000
    with pytest.raises(BadOutput) as raised:
        send_output(network, "n0", long.encode())
    assert f"{'x' * 2000}... (3000 characters)" in str(raised.value)
    assert "x" * 2001 not in str(raised.value)


def test_forward_output_reports_a_broken_line_as_a_protocol_fault() -> None:
    network, _ = sink()
    faults: list[NodeFault] = []
    assert not forward_output(network, "n0", b"hello", faults.append)
    [fault] = faults
    assert (fault.node, fault.kind, fault.line) == ("n0", "protocol", "hello")
    assert hosts.MUTE_NOTE in str(fault) and hosts.MUTE_NOTE not in fault.problem
