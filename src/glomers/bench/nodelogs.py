"""Output capture for in-process nodes: what each logs or prints goes to its own file.

A node run as a process writes its logs on stderr, which the bench keeps in
``node-logs/<id>.log``; ``node_logs`` does the same for nodes that share the
bench's process, telling whose code is running by ``current_node``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TextIO

from glomers.bench.pausable import current_node


class _NodeLogs(logging.Handler):
    """Sends what each in-process node logs to its own file, as a process's stderr."""

    def __init__(self, path_for: Callable[[str], Path]) -> None:
        super().__init__()
        self.path_for = path_for
        self.files: dict[str, IO[str]] = {}
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def file(self, node: str) -> IO[str]:
        out = self.files.get(node)
        if out is None:
            out = self.files[node] = self.path_for(node).open("a", encoding="utf-8")
        return out

    def emit(self, record: logging.LogRecord) -> None:
        node = current_node()
        if node is None:
            return
        # The loop's time: virtual in simulation mode, the only clock of the run.
        now = asyncio.get_running_loop().time()
        self.file(node).write(f"{now:.6f} {self.format(record)}\n")

    def close(self) -> None:
        for out in self.files.values():
            out.close()
        self.files.clear()
        super().close()


class _NotFromNodes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return current_node() is None


class _Routed(io.TextIOBase):
    """Stands for stdout or stderr: what a node's code prints goes to its file."""

    def __init__(self, real: TextIO, logs: _NodeLogs) -> None:
        self.real = real
        self.logs = logs

    def write(self, text: str) -> int:
        node = current_node()
        if node is None:
            return self.real.write(text)
        return self.logs.file(node).write(text)

    def flush(self) -> None:
        self.real.flush()

    def writable(self) -> bool:
        return True


@contextlib.contextmanager
def node_logs(path_for: Callable[[str], Path], *, to_console: bool = False) -> Iterator[None]:
    """While it lasts, what in-process nodes log or print goes to ``path_for(node)``
    (``node-logs/``), as a process's stderr would, instead of the bench's console;
    with ``to_console`` (``--log-stderr``) their log records go to both."""
    root = logging.getLogger()
    handler = _NodeLogs(path_for)
    quiet = _NotFromNodes()
    console = list(root.handlers)
    if not to_console:
        for h in console:
            h.addFilter(quiet)
    root.addHandler(handler)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Routed(out, handler), _Routed(err, handler)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
        root.removeHandler(handler)
        handler.close()
        for h in console:
            h.removeFilter(quiet)
