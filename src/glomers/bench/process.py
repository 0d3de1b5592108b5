"""Node programs as child processes: Maelstrom's process layer.

Each node runs the binary given with ``--bin`` in a process group of its own.
Messages for it are written to its stdin, one JSON object per line; each line it
prints on stdout must be such a message and goes into the network; whatever it
prints on stderr goes to ``node-logs/<id>.log``. The last 32 lines of stdout and
stderr are kept, so a node that misbehaves can be reported with them.

A line that breaks the protocol -- not JSON, blank, an envelope outside
Maelstrom's closed schema, a ``src`` or ``dest`` not registered now, an endless
line -- is reported once and, as in Maelstrom, nothing the node prints on
stdout is read from then on: it goes mute but still receives. An exit the bench
did not ask for is reported at once too; the run goes on without the node. Both
reach the run as a ``NodeFault`` of their kind, as does a ``src`` other than the
node's own id, which Maelstrom routes and the bench only notes.

Every group started is killed when the bench leaves, normally or not.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import ctypes
import errno
import logging
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO

import msgspec

from glomers.bench.hosts import MUTE_NOTE, NodeFault, forward_output
from glomers.bench.net import Message, Network

log = logging.getLogger("glomers.bench.process")

#: Lines of stdout and stderr kept for error reports (Maelstrom keeps 32).
DEBUG_LINES = 32
#: A stdout line longer than this is a fault: the node is flooding its output.
MAX_LINE = 16 << 20

_encode = msgspec.json.Encoder().encode

_live_groups: set[int] = set()


def kill_all() -> None:
    """SIGKILL every node process group still running (also run at exit)."""
    for pgid in list(_live_groups):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        _live_groups.discard(pgid)


atexit.register(kill_all)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    # Linux only: if the bench dies without cleaning up, the kernel kills the node.
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Lines(asyncio.Protocol):
    """Splits a pipe's bytes into lines for a callback; notes when the pipe ends.

    What follows the last newline when the pipe ends goes to ``on_partial``.
    """

    def __init__(
        self,
        on_line: Callable[[bytes], None],
        on_overflow: Callable[[], None],
        on_partial: Callable[[bytes], None] | None = None,
    ) -> None:
        self.on_line = on_line
        self.on_overflow = on_overflow
        self.on_partial = on_partial or on_line
        # The line being read, in pieces: joining as it grows would copy it again and again.
        self.parts: list[bytes] = []
        self.size = 0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        if b"\n" not in data:
            self.parts.append(data)
            self.size += len(data)
            if self.size > MAX_LINE:
                self.parts.clear()
                self.size = 0
                self.on_overflow()
            return
        lines = data.split(b"\n")
        if self.parts:
            self.parts.append(lines[0])
            lines[0] = b"".join(self.parts)
        rest = lines.pop()
        self.parts = [rest] if rest else []
        self.size = len(rest)
        for line in lines:
            self.on_line(line)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.parts:
            rest = b"".join(self.parts)
            self.parts.clear()
            self.size = 0
            self.on_partial(rest)
        if not self.closed.done():
            self.closed.set_result(None)


class ProcessHost:
    """One node of the test as a child process, reachable through the network."""

    def __init__(
        self,
        node_id: str,
        argv: list[str],
        net: Network,
        log_path: Path,
        on_fault: Callable[[NodeFault], None],
        *,
        log_stderr: bool = False,
        cwd: str | None = None,
    ) -> None:
        self.node_id = node_id
        self.argv = argv
        self.net = net
        self.log_path = log_path
        self.on_fault = on_fault
        self.log_stderr = log_stderr
        self.cwd = cwd
        self.stdout_tail: deque[str] = deque(maxlen=DEBUG_LINES)
        self.stderr_tail: deque[str] = deque(maxlen=DEBUG_LINES)
        self.proc: asyncio.subprocess.Process | None = None
        # Started and not killed by the nemesis; a crash does not change it, since the
        # nemesis, like Maelstrom's, knows nothing of crashes.
        self.up = False
        self.crashed = False
        self.paused = False
        self._expected_exit = False
        self._muted = False
        self._stdin: asyncio.StreamWriter | None = None
        self._log: IO[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None
        net.add(node_id, self.deliver)

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Start the program. A missing or unusable binary is a NodeFault."""
        loop = asyncio.get_running_loop()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        binary = self.argv[0]
        problem = _check_binary(binary)
        if problem:
            self.on_fault(NodeFault(self.node_id, problem))
            return
        try:
            read_out, write_out = os.pipe()
            read_err, write_err = os.pipe()
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=write_out,
                stderr=write_err,
                start_new_session=True,
                cwd=self.cwd,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        except OSError as exc:
            problem = f"Could not start node {self.node_id} with {self.argv!r}: {exc}"
            if exc.errno == errno.ENOEXEC:
                problem += (
                    f". The system cannot run {self.argv[0]} as it is: a script needs a first "
                    "line naming its interpreter, such as #!/usr/bin/env python3"
                )
            self.on_fault(NodeFault(self.node_id, problem))
            return
        finally:
            os.close(write_out)
            os.close(write_err)
        _live_groups.add(self.proc.pid)
        assert self.proc.stdin is not None
        self._stdin = self.proc.stdin
        out = _Lines(self._on_stdout, self._on_overflow, self._on_last_stdout)
        err = _Lines(self._on_stderr, lambda: None)
        await loop.connect_read_pipe(lambda: out, os.fdopen(read_out, "rb", buffering=0))
        await loop.connect_read_pipe(lambda: err, os.fdopen(read_err, "rb", buffering=0))
        self.up = True
        self.crashed = False
        self.paused = False
        self._expected_exit = False
        # A new process has a new stdout, read afresh.
        self._muted = False
        self._watch = loop.create_task(self._watch_exit(self.proc, out.closed, err.closed))

    async def kill(self) -> None:
        """SIGKILL the node (a fault the bench injects) and wait for it to go."""
        if self.proc is None or not self.up:
            return
        self.up = False
        self._expected_exit = True
        self._signal(signal.SIGKILL)
        await self._wait_gone()

    def pause(self) -> None:
        """SIGSTOP the node's process group."""
        if self.up and not self.paused:
            self.paused = True
            self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT the node's process group."""
        if self.paused:
            self.paused = False
            self._signal(signal.SIGCONT)

    async def stop(self) -> None:
        """Tear the node down (SIGKILL, as Maelstrom does) at the end of a test."""
        self._expected_exit = True
        self.up = False
        if self.proc is not None and self.proc.returncode is None:
            self._signal(signal.SIGKILL)
        await self._wait_gone()
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- traffic ------------------------------------------------------------------

    def deliver(self, message: Message) -> None:
        """Network endpoint: write ``message`` to the node's stdin."""
        if not self.up or self.crashed or self._stdin is None or self._stdin.is_closing():
            return
        self._stdin.write(_encode(message) + b"\n")

    def _on_stdout(self, raw: bytes) -> None:
        if self._muted:
            return
        self.stdout_tail.append(raw.decode("utf-8", "replace"))
        if not forward_output(self.net, self.node_id, raw, self.on_fault):
            self._muted = True

    def _on_last_stdout(self, raw: bytes) -> None:
        # Killed by the bench mid-line, a node is not to blame for the piece it left.
        if not self._expected_exit:
            self._on_stdout(raw)

    def _on_overflow(self) -> None:
        if self._muted:
            return
        self._muted = True
        problem = (
            f"Node {self.node_id} flooded STDOUT with more than {MAX_LINE >> 20} MiB "
            "without a newline; messages must be one JSON object per line."
        )
        self.on_fault(
            NodeFault(self.node_id, problem + MUTE_NOTE, "protocol", problem=problem, line="")
        )

    def _on_stderr(self, raw: bytes) -> None:
        if self._log is not None:
            self._log.write(raw + b"\n")
            self._log.flush()
        line = raw.decode("utf-8", "replace")
        self.stderr_tail.append(line)
        if self.log_stderr:
            log.info("%s %s", self.node_id, line)

    # -- faults -------------------------------------------------------------------

    async def _watch_exit(
        self,
        proc: asyncio.subprocess.Process,
        out_closed: asyncio.Future[None],
        err_closed: asyncio.Future[None],
    ) -> None:
        status = await proc.wait()
        # Asked or not is decided now: a teardown starting while we read its last
        # words must not hide a crash that came before it.
        expected = self._expected_exit or proc is not self.proc
        if not expected:
            # Not noticed by the network, as in Maelstrom: messages to it are dropped.
            self.crashed = True
        _live_groups.discard(proc.pid)
        # Its last words are still in the pipes: read them before reporting.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(out_closed, err_closed), 2.0)
        if self._stdin is not None:
            self._stdin.close()
        if expected:
            return
        problem = f"Node {self.node_id} crashed with exit status {_status(status)}."
        self.on_fault(
            NodeFault(self.node_id, problem + self.tail_report(), "crash", problem=problem)
        )

    def tail_report(self) -> str:
        """The node's last lines on stdout and stderr, for an error report."""
        return (
            f"\n\nIts last {DEBUG_LINES} lines on STDOUT:\n\n"
            + ("\n".join(self.stdout_tail) or "(nothing)")
            + "\n\nAnd on STDERR:\n\n"
            + ("\n".join(self.stderr_tail) or "(nothing)")
            + f"\n\nFull STDERR logs are in {self.log_path}"
        )

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    async def _wait_gone(self) -> None:
        if self._watch is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._watch), 10.0)


def _check_binary(path: str) -> str | None:
    if os.sep not in path and not os.path.exists(path):
        return None  # a command looked up on PATH; exec reports it if missing
    if not os.path.exists(path):
        return f"--bin {path}: no such file."
    if os.path.isdir(path):
        return f"--bin {path} is a directory, not a program."
    if not os.access(path, os.X_OK):
        return f"--bin {path} is not executable (try: chmod +x {path})."
    return None


def _status(status: int) -> str:
    if status < 0:
        try:
            return f"{status} (killed by {signal.Signals(-status).name})"
        except ValueError:
            return str(status)
    return str(status)
