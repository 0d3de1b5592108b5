"""Nodes as real processes on pipes: what Maelstrom itself sees."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

INIT = {"type": "init", "msg_id": 1, "node_id": "n1", "node_ids": ["n1", "n2"]}
LOOPS = ["asyncio", "uvloop"]


def line(body: dict[str, Any], src: str = "c1") -> bytes:
    return json.dumps({"src": src, "dest": "n1", "body": body}).encode() + b"\n"


def echo_lines(n: int, start: int = 2) -> bytes:
    return b"".join(line({"type": "echo", "echo": i, "msg_id": i}) for i in range(start, start + n))


def run_node(
    args: list[str], data: bytes, loop: str = "asyncio", timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GLOMERS_LOOP": loop}
    return subprocess.run(
        [sys.executable, *args], input=data, capture_output=True, timeout=timeout, env=env
    )


def replies(stdout: bytes) -> list[dict[str, Any]]:
    messages = [json.loads(x) for x in stdout.splitlines()]
    for m in messages:
        assert set(m) == {"src", "dest", "body"}, m
    return messages


def node_script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "node.py"
    path.write_text(
        "import asyncio\nfrom glomers import Node, Request, Body\nnode = Node()\n"
        + textwrap.dedent(body)
        + "\nnode.run()\n"
    )
    return [str(path)]


@pytest.mark.parametrize("loop", LOOPS)
def test_echo_node_answers_init_and_echo(loop: str) -> None:
    data = line(INIT, src="c0") + echo_lines(3)
    done = run_node(["-m", "glomers.examples.echo"], data, loop)
    assert done.returncode == 0, done.stderr
    out = replies(done.stdout)
    assert out[0] == {"src": "n1", "dest": "c0", "body": {"type": "init_ok", "in_reply_to": 1}}
    assert [m["body"]["echo"] for m in out[1:]] == [2, 3, 4]
    assert all(m["body"]["in_reply_to"] == m["body"]["echo"] for m in out[1:])
    assert b"Traceback" not in done.stderr


def test_messages_with_maelstroms_top_level_id_are_served() -> None:
    # Maelstrom writes each message with the network id it gave it at the top level.
    data = b"".join(
        json.dumps({"id": i, "src": "c0", "dest": "n1", "body": body}).encode() + b"\n"
        for i, body in enumerate([INIT, {"type": "echo", "echo": "x", "msg_id": 2}])
    )
    done = run_node(["-m", "glomers.examples.echo"], data)
    assert done.returncode == 0, done.stderr
    assert [m["body"]["type"] for m in replies(done.stdout)] == ["init_ok", "echo_ok"]
    assert b"skipping" not in done.stderr


@pytest.mark.parametrize("loop", LOOPS)
def test_bad_input_is_logged_and_nothing_but_messages_reach_stdout(loop: str) -> None:
    data = (
        line(INIT, src="c0")
        + b"this is not json\n"
        + b'{"src": "c1", "dest": "n1"}\n'
        + b"\n"
        + line({"type": "echo", "msg_id": 2})  # missing field
        + line({"type": "nope", "msg_id": 3})
        + line({"type": "echo", "echo": "still here", "msg_id": 4})
    )
    done = run_node(["-m", "glomers.examples.echo"], data, loop)
    assert done.returncode == 0
    bodies = [m["body"] for m in replies(done.stdout)]
    assert [b.get("code") for b in bodies[1:]] == [12, 10, None]
    assert bodies[-1]["echo"] == "still here"
    assert b"this is not json" in done.stderr
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("kind", ["def", "async def"])
def test_every_reply_is_flushed_at_eof(tmp_path: Path, loop: str, kind: str) -> None:
    script = node_script(
        tmp_path,
        f"""
        @node.handler("echo")
        {kind} echo(req):
            return {{"type": "echo_ok", "echo": req.body["echo"]}}
        """,
    )
    n = 20_000
    done = run_node(script, line(INIT, src="c0") + echo_lines(n), loop)
    assert done.returncode == 0, done.stderr[-2000:]
    out = replies(done.stdout)
    assert len(out) == n + 1
    assert sorted(m["body"]["echo"] for m in out[1:]) == list(range(2, n + 2))
    assert done.stderr.count(b"\n") < 5, done.stderr[-2000:]


@pytest.mark.parametrize("loop", LOOPS)
def test_eof_cancels_waiting_handlers_cleanly(tmp_path: Path, loop: str) -> None:
    script = node_script(
        tmp_path,
        """
        @node.handler("hang")
        async def hang(req):
            await node.rpc("n2", {"type": "never"}, timeout=None)
            return {"type": "hang_ok"}

        @node.handler("sleep")
        async def sleep(req):
            await asyncio.sleep(3600)

        @node.handler("quick")
        async def quick(req):
            return {"type": "quick_ok"}
        """,
    )
    data = (
        line(INIT, src="c0")
        + line({"type": "hang", "msg_id": 2})
        + line({"type": "sleep", "msg_id": 3})
        + line({"type": "quick", "msg_id": 4})
    )
    started = time.monotonic()
    done = run_node(script, data, loop)
    assert time.monotonic() - started < 20
    assert done.returncode == 0
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    out = replies(done.stdout)
    assert [m["body"]["type"] for m in out] == ["init_ok", "never", "quick_ok"]


def test_print_in_a_handler_goes_to_stderr(tmp_path: Path) -> None:
    script = node_script(
        tmp_path,
        """
        @node.handler("talk")
        def talk(req):
            print("chatty handler")
            return {"type": "talk_ok"}
        """,
    )
    done = run_node(script, line(INIT, src="c0") + line({"type": "talk", "msg_id": 2}))
    assert [m["body"]["type"] for m in replies(done.stdout)] == ["init_ok", "talk_ok"]
    assert b"chatty handler" in done.stderr


def test_regular_files_as_stdin_and_stdout(tmp_path: Path) -> None:
    requests = tmp_path / "in.jsonl"
    answers = tmp_path / "out.jsonl"
    requests.write_bytes(line(INIT, src="c0") + echo_lines(1000))
    with requests.open("rb") as fin, answers.open("wb") as fout:
        status = subprocess.run(
            [sys.executable, "-m", "glomers.examples.echo"],
            stdin=fin,
            stdout=fout,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert status.returncode == 0, status.stderr
    assert len(replies(answers.read_bytes())) == 1001


def test_last_line_without_newline_is_served() -> None:
    data = line(INIT, src="c0") + line({"type": "echo", "echo": 1, "msg_id": 2}).rstrip(b"\n")
    out = replies(run_node(["-m", "glomers.examples.echo"], data).stdout)
    assert out[-1]["body"]["echo"] == 1


def test_ctrl_c_exits_quietly() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "glomers.examples.echo"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line(INIT, src="c0"))
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["body"]["type"] == "init_ok"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130
    assert b"Traceback" not in err


def test_node_answers_while_stdin_stays_open() -> None:
    """Replies are written as they are produced, not held until input ends."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "glomers.examples.echo"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(line(INIT, src="c0"))
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["body"]["type"] == "init_ok"
        for i in range(2, 5):
            proc.stdin.write(line({"type": "echo", "echo": i, "msg_id": i}))
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline())["body"]["echo"] == i
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0


@pytest.mark.parametrize("loop", ["", *LOOPS])
def test_stdin_from_dev_null_ends_at_once(loop: str) -> None:
    env = {**os.environ, "GLOMERS_LOOP": loop}
    done = subprocess.run(
        [sys.executable, "-m", "glomers.examples.echo"],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=20, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("loop", ["", *LOOPS])
def test_stdout_to_dev_null_is_served(loop: str) -> None:
    env = {**os.environ, "GLOMERS_LOOP": loop}
    done = subprocess.run(
        [sys.executable, "-m", "glomers.examples.echo"],
        input=line(INIT, src="c0") + echo_lines(3),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=20, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("loop", ["", *LOOPS])
@pytest.mark.parametrize("canonical", [True, False])
def test_lines_pasted_into_a_terminal_all_get_replies(loop: str, canonical: bool) -> None:
    """Several lines in one write to a terminal that is both stdin and stdout."""
    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO  # only the node's output comes back
    if not canonical:
        attrs[3] &= ~termios.ICANON
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    env = {**os.environ, "GLOMERS_LOOP": loop}
    proc = subprocess.Popen(
        [sys.executable, "-m", "glomers.examples.echo"],
        stdin=slave, stdout=slave, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    os.close(slave)
    try:
        # The terminal holds the lines until the node reads them.
        os.write(master, line(INIT, src="c0") + echo_lines(10))
        out = b""
        deadline = time.monotonic() + 20
        while out.count(b"echo_ok") < 10 and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                out += os.read(master, 1 << 16)
        # A moment more, in case anything arrives twice.
        ready, _, _ = select.select([master], [], [], 0.3)
        if ready:
            out += os.read(master, 1 << 16)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    echoed = sorted(json.loads(x)["body"]["echo"] for x in out.splitlines() if b"echo_ok" in x)
    assert echoed == list(range(2, 12))


def test_the_default_loop_is_asyncios(monkeypatch: pytest.MonkeyPatch) -> None:
    from glomers._stdio import new_loop_factory

    monkeypatch.delenv("GLOMERS_LOOP", raising=False)
    assert new_loop_factory("auto") is None
    monkeypatch.setenv("GLOMERS_LOOP", "uvloop")
    factory = new_loop_factory("auto")
    assert factory is not None
    loop = factory()
    assert type(loop).__module__.startswith("uvloop")
    loop.close()
    monkeypatch.setenv("GLOMERS_LOOP", "fast")
    with pytest.raises(ValueError, match="GLOMERS_LOOP"):
        new_loop_factory("auto")


def test_the_readmes_session_by_hand_is_what_the_echo_node_answers() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = readme.index("$ python -m glomers.examples.echo\n", readme.index("## The counter"))
    session = readme[start : readme.index("```", start)].splitlines()[1:]
    typed, shown = session[0::2], session[1::2]
    done = run_node(["-m", "glomers.examples.echo"], "".join(x + "\n" for x in typed).encode())
    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == shown


@pytest.mark.parametrize("loop", LOOPS)
def test_a_node_that_breaks_reading_its_input_exits_with_the_error(
    tmp_path: Path, loop: str
) -> None:
    """Not a handler's error (those are answered) but the node's own: it must end
    the process, or the node would stay alive answering nothing."""
    script = node_script(
        tmp_path,
        """
        @node.handler("echo")
        def echo(req):
            return {"type": "echo_ok", "echo": req.body["echo"]}

        dispatch = node._dispatch
        def breaking(src, dest, body, net_id=None):
            if body.get("type") == "break":
                raise RuntimeError("broken inside")
            dispatch(src, dest, body, net_id)
        node._dispatch = breaking
        """,
    )
    proc = subprocess.Popen(
        [sys.executable, *script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "GLOMERS_LOOP": loop},
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(line(INIT, src="c0") + echo_lines(1) + line({"type": "break"}))
        proc.stdin.flush()
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert b"RuntimeError: broken inside" in err
    assert [m["body"]["type"] for m in replies(out)] == ["init_ok", "echo_ok"]
