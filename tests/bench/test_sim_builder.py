"""Loading a node's builder for ``--sim`` and ``glomers fuzz``, and the README's node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from glomers.bench import params
from glomers.bench.cli import parse_test_args
from glomers.bench.sim import NotSimulable, load_builder, run_simulation
from glomers.examples.echo import build as build_echo
from glomers.node import Node, RunWhileLoading, loading_builder

PY = sys.executable
README = Path(__file__).resolve().parents[2] / "README.md"

# What a node file looked like before: it serves as soon as it is imported.
SERVES_AT_IMPORT = """\
from glomers import Node

node = Node()


@node.handler("echo")
def echo(req):
    return {"type": "echo_ok", "echo": req.body["echo"]}


node.run()
"""


def readme_node() -> str:
    text = README.read_text()
    start = text.index("```python\n", text.index("## A node in a few lines")) + len("```python\n")
    return text[start : text.index("```\n", start)]


def glomers(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "glomers", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_run_refuses_while_a_builder_loads() -> None:
    with loading_builder("x.py"), pytest.raises(RunWhileLoading, match="def build"):
        Node().run()


def test_a_file_that_serves_at_import_is_refused_with_the_way_to_write_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "node.py"
    path.write_text(SERVES_AT_IMPORT)
    with pytest.raises(NotSimulable) as caught:
        load_builder(str(path))
    message = str(caught.value)
    assert "Node.run()" in message and 'if __name__ == "__main__":' in message


def test_a_module_that_serves_at_import_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "serving_at_import.py").write_text(SERVES_AT_IMPORT)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(NotSimulable, match="def build"):
        load_builder("serving_at_import:build")
    assert "serving_at_import" not in sys.modules


@pytest.mark.parametrize("command", [["test", "--sim"], ["fuzz", "--seeds", "2", "--jobs", "1"]])
def test_sim_and_fuzz_stop_on_a_node_that_serves_at_import(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "node.py"
    path.write_text(SERVES_AT_IMPORT)
    store = ["--store", str(tmp_path / "store")] if command[0] == "test" else []
    done = glomers(*command, "-w", "echo", "--bin", str(path), *store, timeout=60)
    assert done.returncode == 254, done.stderr
    assert "build().run()" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_readmes_node_passes_in_simulation(tmp_path: Path) -> None:
    path = tmp_path / "counter.py"
    path.write_text(readme_node())
    store = str(tmp_path / "store")
    done = glomers("test", "--sim", "-w", "g-counter", "--bin", str(path), "--time-limit", "5",
                   "--nemesis", "partition", "--store", store, "--no-pages")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readmes_node_passes_as_a_program(tmp_path: Path) -> None:
    path = tmp_path / "counter.py"
    path.write_text(readme_node())
    path.chmod(0o755)
    store = str(tmp_path / "store")
    # The file's first line finds python3 on PATH: this environment's.
    env_path = f"{Path(PY).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        [PY, "-m", "glomers", "test", "-w", "g-counter", "--bin", str(path), "--time-limit", "2",
         "--recovery-time", "1", "--store", store, "--no-pages"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": env_path},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# A node file as a learner writes it: postponed annotations and a typed schema,
# whose field types are resolved by name in the file's own module.
TYPED_ECHO = """\
from __future__ import annotations

from typing import Any

import msgspec

from glomers import Node


class Echo(msgspec.Struct):
    echo: Any


def build() -> Node:
    node = Node()

    @node.handler("echo", Echo)
    def echo(req):
        return {"type": "echo_ok", "echo": req.body.echo}

    return node
"""


def test_a_file_with_postponed_annotations_serves_in_simulation(tmp_path: Path) -> None:
    path = tmp_path / "typed_echo.py"
    path.write_text(TYPED_ECHO)
    store = str(tmp_path / "store")
    done = glomers("test", "--sim", "-w", "echo", "--bin", str(path), "--time-limit", "2",
                   "--store", store, "--no-pages")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_an_exception_out_of_a_simulated_node_is_that_nodes_crash() -> None:
    """Not the sender's: the run goes on without the node, as with a process that died."""

    def brittle() -> Node:
        node = build_echo()
        if len(built) == 0:  # n0, the first built
            dispatch = node._dispatch
            served = [0]

            def fragile(*args: Any) -> None:
                served[0] += 1
                if served[0] > 5:
                    raise RuntimeError("the library broke")
                dispatch(*args)

            node._dispatch = fragile  # type: ignore[method-assign,assignment]
        built.append(node)
        return node

    built: list[Node] = []
    flags = "--sim -w echo --node-count 2 --rate 20 --time-limit 3 --no-pages --seed 3"
    args = parse_test_args(flags.split(" "))
    outcome = run_simulation(params.build_options(vars(args)), brittle)
    assert outcome.exit_code == 255
    assert outcome.results["error"].startswith("Node n0 crashed: RuntimeError('the library broke')")
    assert "the library broke" in outcome.results["error"]
    late = [op for op in outcome.history if op.node == "n1" and op.type == "ok" and op.time > 1e9]
    assert len(late) >= 5


def test_two_node_files_of_one_name_resolve_their_own_annotations(tmp_path: Path) -> None:
    for folder, alias in (("a", "OnlyInA"), ("b", "OnlyInB")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "node.py").write_text(
            "from __future__ import annotations\nimport msgspec\nfrom glomers import Node\n"
            f"{alias} = int\n\nclass Thing(msgspec.Struct):\n    x: {alias}\n\n"
            "def build() -> Node:\n    return Node()\n"
        )
    build_a = load_builder(str(tmp_path / "a" / "node.py"))
    load_builder(str(tmp_path / "b" / "node.py"))
    thing = build_a.__globals__["Thing"]
    assert msgspec.convert({"x": 1}, thing).x == 1


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("from glomers import Node\ndef build(:\n    pass\n", "SyntaxError: invalid syntax"),
        ("import no_such_module_here\n", "No module named 'no_such_module_here'"),
        ("x = 1\nraise RuntimeError('no config')\n", "RuntimeError: no config"),
    ],
)
def test_a_node_file_that_fails_to_load_is_a_usage_error_showing_its_own_lines(
    tmp_path: Path, source: str, shown: str
) -> None:
    path = tmp_path / "node.py"
    path.write_text(source)
    done = glomers("test", "--sim", "-w", "echo", "--bin", str(path), "--time-limit", "1",
                   "--store", str(tmp_path / "store"))  # fmt: skip
    assert done.returncode == 254, done.stderr
    assert f"--bin {path} could not be loaded" in done.stderr
    assert shown in done.stderr and f'File "{path}", line' in done.stderr
    assert "Traceback" not in done.stderr and "importlib" not in done.stderr


def test_a_module_that_raises_as_it_loads_is_refused_with_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "raising_at_import.py").write_text("x = 1\nraise ValueError('bad setting')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(NotSimulable) as caught:
        load_builder("raising_at_import:build")
    message = str(caught.value)
    assert message.startswith("--bin raising_at_import:build could not be loaded")
    assert "line 2" in message and "ValueError: bad setting" in message
