"""Run folders: many runs started at once into one store each get their own."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from glomers.bench.store import RunStore


def _create(root: Path, stamp: str | None) -> str:
    return str(RunStore(root, "echo", stamp).dir)


def test_runs_in_one_millisecond_get_their_own_folders(tmp_path: Path) -> None:
    dirs = [RunStore(tmp_path, "echo", "20260101T000000.000").dir for _ in range(3)]
    assert len(set(dirs)) == 3
    assert all(d.is_dir() for d in dirs)
    assert (tmp_path / "latest").resolve() == dirs[-1]


def test_concurrent_threads_create_distinct_runs(tmp_path: Path) -> None:
    barrier = threading.Barrier(32)
    made: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                # The same stamp for all: the worst case, every run in one instant.
                made.append(_create(tmp_path, "20260101T000000.000"))
                made.append(_create(tmp_path, None))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == 640 and len(set(made)) == 640
    for link in (tmp_path / "latest", tmp_path / "echo" / "latest"):
        assert str(link.resolve()) in made
    # No temporary link is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["echo", "latest"]


def test_concurrent_processes_create_distinct_runs(tmp_path: Path) -> None:
    with ProcessPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(_create, [tmp_path] * 200, [None] * 200))
    assert len(set(made)) == 200
    assert str((tmp_path / "latest").resolve()) in made
    assert not [n for n in os.listdir(tmp_path / "echo") if n.endswith(".tmp")]
