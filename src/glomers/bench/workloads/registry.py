"""The workloads by name: what ``--workload`` offers and how each is made.

Each workload module registers itself when imported::

    register(Entry("echo", "nodes send back what they are sent", EchoWorkload,
                   DefaultNode("glomers.examples.echo:build", "glomers.examples.echo")))

Importing the registry imports every module of this package, so adding a
workload is adding its module (and its tests); nothing else lists workloads.
A test, or code outside this package, can ``register`` one too.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from glomers.bench import workloads
from glomers.bench.client import DEFAULT_TIMEOUT, Client
from glomers.bench.history import Op
from glomers.bench.workloads import Completion, Workload


@dataclass(frozen=True, slots=True)
class DefaultNode:
    """The project's own node for a workload, run when ``--bin`` is not given.

    ``builder`` is the ``module:function`` simulation mode loads; ``module``
    and ``args``, what process mode runs (``python -m module *args``).
    """

    builder: str
    module: str
    args: tuple[str, ...] = ()

    def argv(self, python: str) -> list[str]:
        """The command that starts the node with the interpreter ``python``."""
        return [python, "-m", self.module, *self.args]


@dataclass(frozen=True, slots=True)
class Entry:
    """One workload: its name, a one-line description, how to make it (from the
    clients' timeout in seconds), its default node, if it has one, and the run
    parameters that matter to it alone (broadcast's ``topology``)."""

    name: str
    description: str
    factory: Callable[[float], Workload]
    node: DefaultNode | None = None
    takes: tuple[str, ...] = ()


_entries: dict[str, Entry] = {}


def register(entry: Entry) -> Entry:
    """Add ``entry`` (or replace the workload of that name)."""
    _entries[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Forget the workload ``name`` (for tests that register their own)."""
    _entries.pop(name, None)


def entries() -> Mapping[str, Entry]:
    """Every workload by name, in name order."""
    return dict(sorted(_entries.items()))


def names() -> tuple[str, ...]:
    """The names ``--workload`` accepts."""
    return tuple(entries())


def entry(name: str) -> Entry:
    """The workload called ``name``; ``ValueError`` naming the choices if there is none."""
    found = entries().get(name)
    if found is None:
        raise ValueError(f"unknown workload {name!r}; choose one of {', '.join(names())}")
    return found


def takes(name: Any, param: str) -> bool:
    """Whether the workload ``name`` uses the run parameter ``param`` (one that
    matters to some workloads only)."""
    found = entries().get(name) if isinstance(name, str) else None
    return found is not None and param in found.takes


def make(name: str, client_timeout: float = DEFAULT_TIMEOUT) -> Workload:
    """A new workload ``name`` whose clients wait ``client_timeout`` seconds for replies."""
    return entry(name).factory(client_timeout)


def for_pages(name: Any) -> Workload:
    """The workload ``name`` as the pages see a finished run of it: the registered
    one, or one that adds nothing to the pages if this version does not know it
    (a run folder from another version, results without flags)."""
    found = entries().get(name) if isinstance(name, str) else None
    return found.factory(DEFAULT_TIMEOUT) if found is not None else _Unknown(str(name))


class _Unknown(Workload):
    """A workload nobody registered: only its name, and the pages' defaults."""

    def __init__(self, name: str) -> None:
        self.name = name

    def generate(self, rng: random.Random) -> tuple[str, Any]:
        raise NotImplementedError(f"no workload {self.name!r} to run")

    async def invoke(self, client: Client, node: str, f: str, value: Any) -> Completion:
        raise NotImplementedError(f"no workload {self.name!r} to run")

    def check(self, history: list[Op]) -> dict[str, dict[str, Any]]:
        raise NotImplementedError(f"no workload {self.name!r} to check")


def _import_workloads() -> None:
    for module in sorted(pkgutil.iter_modules(workloads.__path__), key=lambda m: m.name):
        importlib.import_module(f"{workloads.__name__}.{module.name}")


# Last, once everything above is defined for the modules that register: and at
# import, so that a missing dependency of a workload (portion, say) shows when
# the command starts, where it is reported as such, not in the middle of a run.
_import_workloads()
