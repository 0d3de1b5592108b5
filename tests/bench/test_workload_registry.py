"""The workload registry and protocol: every workload plugs in through them alone.

A toy workload, defined here and registered by the test, runs end to end in
simulation; its checker, finding, summary line, report section, report rows,
reasons and plot all show where the built-in workloads' do, though no module
of the bench names it.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from glomers import Body, Node, Request
from glomers.bench import cli, params
from glomers.bench.checker import operations
from glomers.bench.client import Client
from glomers.bench.findings import Finding, FindingInput
from glomers.bench.history import Op
from glomers.bench.pages.explain import Reason, failure, where
from glomers.bench.pages.summary import summary
from glomers.bench.sim import NotSimulable, default_builder, load_builder
from glomers.bench.store import RunStore
from glomers.bench.testing import simulate_workload
from glomers.bench.workloads import Completion, ErrorPolicy, Plot, Reply, Workload, call, registry

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from glomers.bench.pages.plots import Spans

SRC = Path(__file__).resolve().parents[2] / "src" / "glomers" / "bench"


# ---------------------------------------------------------------------------
# The toy: clients send ``shout {text}``, nodes answer ``shout_ok`` in capitals.


class ShoutOk(Reply, tag="shout_ok"):
    text: str


class Shout(msgspec.Struct):
    text: str


def shouter(*, broken: bool = False) -> Callable[[], Node]:
    def build() -> Node:
        node = Node()

        @node.handler("shout", Shout)
        def shout(req: Request[Shout]) -> Body:
            text = req.body.text if broken else req.body.text.upper()
            return {"type": "shout_ok", "text": text}

        return node

    return build


def shout_checker(history: Sequence[Op]) -> dict[str, Any]:
    errors = []
    ok = 0
    for operation in operations(history):
        if operation.outcome != "ok" or operation.invoke is None:
            continue
        ok += 1
        assert operation.completion is not None
        expected = operation.invoke.value.upper()
        if operation.completion.value != expected:
            quiet = {"reply": operation.completion.value}
            errors.append({"node": operation.node, "process": operation.process} | quiet)
    # Under a key of its own, which only the toy's reasons read.
    return {"valid": not errors, "quiet": errors, "shouted": ok}


def loud(run: FindingInput) -> dict[str, Any]:
    return {"valid": True, "explanation": "Every shout was loud enough.", "evidence": []}


def draw_shouts(
    history: Sequence[Op], workload: str, duration: float, width: float, spans: Spans
) -> Figure:
    from glomers.bench.pages.plots import Scatter, time_scatter

    done = [op for op in history if op.type == "ok"]
    shouts = Scatter("shout", [op.time / 1e9 for op in done], ([len(op.value) for op in done],))
    return time_scatter(f"{workload} shouts", ("length",), duration, spans, [shouts], "none")


class ShoutWorkload(Workload):
    name = "shout"

    def __init__(self, client_timeout: float) -> None:
        self.timeout = client_timeout

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        return "shout", f"hello {rng.randrange(100)}"

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        request = {"type": "shout", "text": value}
        reply = await call(client, node, f, request, ShoutOk, ErrorPolicy("none"), self.timeout)
        return reply if isinstance(reply, Completion) else Completion("ok", reply.text)

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        return {"workload": shout_checker(history)}

    def findings(self) -> Mapping[str, Finding]:
        return {"loud": loud}

    def summary_lines(self, results: Mapping[str, Any]) -> list[str]:
        return [f"shouted: {results['workload'].get('shouted')}"]

    def caveat(self, results: Mapping[str, Any]) -> str | None:
        return "a shout proves nothing about whispers"

    def reasons(self, name: str, result: Mapping[str, Any]) -> list[Reason]:
        return [Reason(where(q), f"quiet reply {q['reply']!r}") for q in result.get("quiet", [])]

    def report_rows(self, result: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return [("shouts heard", result.get("shouted"))]

    def report_html(self, results: Mapping[str, Any]) -> str:
        return '<h3 id="shouts">Shouts</h3>\n'

    def plots(self) -> Sequence[Plot]:
        return (Plot("shouts.png", "Length of each shout", draw_shouts),)


@pytest.fixture
def toy() -> Iterator[registry.Entry]:
    entry = registry.register(registry.Entry("shout", "nodes answer in capitals", ShoutWorkload))
    yield entry
    registry.unregister("shout")


def shout_run(build: Callable[[], Node]) -> Any:
    return simulate_workload(build, "shout", node_count=2, time_limit=2.0, rate=20.0, seed=3)


def test_a_registered_toy_runs_end_to_end_with_results_and_pages(
    toy: registry.Entry, tmp_path: Path
) -> None:
    outcome = shout_run(shouter())
    results = outcome.results
    assert results["valid"] is True, results
    assert results["workload"]["shouted"] > 10
    assert results["beyond_maelstrom"]["loud"]["valid"] is True
    store = RunStore(tmp_path, "shout")
    store.write_results(results)
    store.write_history(outcome.history)
    store.write_pages(outcome.history, results, "shout")
    for name in ("results.json", "report.html", "latency-raw.png", "shouts.png"):
        assert (store.dir / name).is_file(), name
    page = (store.dir / "report.html").read_text()
    assert '<h3 id="shouts">Shouts</h3>' in page
    assert "shouts heard" in page
    assert 'src="shouts.png"' in page
    assert "loud: " in page and "Every shout was loud enough." in page
    text = summary(results)
    assert f"shouted: {results['workload']['shouted']}" in text
    assert text.splitlines()[-1].endswith("But a shout proves nothing about whispers.")


def test_a_toys_reasons_are_told_by_the_console_the_report_and_fuzz(
    toy: registry.Entry, tmp_path: Path
) -> None:
    outcome = shout_run(shouter(broken=True))
    results = outcome.results
    assert results["valid"] is False
    said = r"n\d \(process \d+\): quiet reply 'hello \d+'"
    assert re.search(f"workload is invalid: {said}; {said}", summary(results))
    store = RunStore(tmp_path, "shout")
    store.write_pages(outcome.history, results, "shout")
    page = html.unescape((store.dir / "report.html").read_text())
    assert re.search(f"<li>{said}</li>", page)
    assert failure(results).startswith("workload invalid; quiet reply 'hello ")


def test_the_cli_offers_exactly_the_registered_workloads(toy: registry.Entry) -> None:
    action = next(a for a in cli.test_parser()._actions if a.dest == "workload")
    assert action.choices == (
        "broadcast", "echo", "g-counter", "g-set", "pn-counter", "shout", "unique-ids",
    )  # fmt: skip
    assert action.help is not None and "shout (nodes answer in capitals)" in action.help
    # Without a node of its own, the toy needs --bin, in either mode.
    parser = cli.test_parser()
    with pytest.raises(SystemExit):
        params.check_values(parser, parser.parse_args(["-w", "shout"]))
    with pytest.raises(NotSimulable, match="give --bin"):
        default_builder("shout")
    registry.unregister("shout")
    assert "shout" not in registry.names()


def test_an_unknown_workload_is_refused_with_the_choices() -> None:
    with pytest.raises(
        ValueError, match="choose one of broadcast, echo, g-counter, g-set, pn-counter, unique-ids"
    ):
        registry.make("lin-kv")


def test_a_workload_the_registry_does_not_know_adds_nothing_to_the_pages() -> None:
    unknown = registry.for_pages("lin-kv")
    assert unknown.name == "lin-kv"
    results: dict[str, Any] = {"workload": {"final_reads": []}}
    assert unknown.summary_lines(results) == [] and unknown.caveat(results) is None
    assert unknown.report_html(results) == "" and list(unknown.plots()) == []


@pytest.mark.parametrize("name", registry.names())
def test_every_builtin_workload_keeps_the_protocol(name: str) -> None:
    entry = registry.entry(name)
    assert entry.description and entry.name == name
    workload = registry.make(name, 1.5)
    assert isinstance(workload, Workload) and workload.name == name
    f, _ = workload.generate(random.Random(1))
    assert isinstance(f, str)
    assert all(callable(check) for check in workload.findings().values())
    assert all(p.name.endswith(".png") and p.alt for p in workload.plots())
    # Its default node, in both modes, is the same program.
    assert entry.node is not None
    assert callable(load_builder(default_builder(name)))
    assert entry.node.builder.split(":")[0] == entry.node.module
    assert entry.node.argv("py")[:3] == ["py", "-m", entry.node.module]


def test_no_module_outside_the_workloads_compares_workload_names() -> None:
    compared = re.compile(r"workload\w*\s*(==|!=|in|not in)\s*[\"'(A-Z{]")
    found = [
        f"{path.relative_to(SRC)}:{i}"
        for path in SRC.rglob("*.py")
        if "workloads" not in path.parts
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if compared.search(line)
    ]
    assert found == []
