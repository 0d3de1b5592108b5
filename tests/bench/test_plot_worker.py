"""The process that draws a run's plots: the same plots, and never left running."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from glomers.bench.pages import plot_worker, plots
from glomers.bench.pages.plot_worker import PlotWorker
from glomers.bench.store import read_history

PNGS = ["latency-raw.png", "latency-quantiles.png", "rate.png", "read-lag.png"]


def test_draws_the_plots_drawn_in_process(
    tmp_path: Path, simulated_run: Callable[..., Path]
) -> None:
    run = simulated_run(
        tmp_path / "store",
        "-w g-counter --node-count 3 --rate 50 --time-limit 4 --nemesis partition "
        "--nemesis-interval 1 --latency 5 --seed 2 --no-pages",
    )
    assert not (run / "rate.png").exists()
    here = tmp_path / "here"
    plots.write_plots(here, read_history(run / "history.jsonl"), "g-counter")
    with PlotWorker.start() as worker:
        worker.draw(run, "g-counter")
        worker.wait()
    assert worker.returncode == 0
    for name in PNGS:
        assert (run / name).read_bytes() == (here / name).read_bytes(), name


def test_a_worker_not_asked_to_draw_is_ended() -> None:
    worker = PlotWorker.start()
    worker.close()
    assert worker.returncode is not None


def test_an_error_ends_the_worker_without_waiting_for_it() -> None:
    with pytest.raises(RuntimeError), PlotWorker.start() as worker:
        raise RuntimeError("the run failed")
    assert worker.returncode is not None


def test_plots_it_cannot_draw_are_logged(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with PlotWorker.start() as worker:
        worker.draw(tmp_path / "no-such-run", "g-counter")
        worker.wait()
    assert worker.returncode == 1
    err = capfd.readouterr().err
    assert f"could not write the plots of {tmp_path / 'no-such-run'}" in err
    assert "history.jsonl" in err


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="draws in one process on one core")
def test_both_halves_draw_and_a_failure_in_either_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "history.jsonl").write_text("")
    asked = json.dumps({"dir": str(tmp_path), "workload": "g-counter"}).encode()

    def draw(run_dir: Path, history: object, workload: str, only: list[str]) -> list[Path]:
        for name in only:
            (run_dir / f"{name}.{os.getpid()}").touch()
        if failing in only:
            raise RuntimeError(f"cannot draw {failing}")
        return []

    monkeypatch.setattr(plots, "write_plots", draw)
    # As the worker's main() does: errors go to stderr, the forked half's too.
    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger("glomers.bench").addHandler(handler)
    try:
        for failing in ("", "latency-raw.png", "latency-quantiles.png"):
            for old in tmp_path.glob("*.png.*"):
                old.unlink()
            assert plot_worker._serve(asked) == (1 if failing else 0)
            drawn = sorted(p.name.split(".png")[0] + ".png" for p in tmp_path.glob("*.png.*"))
            assert drawn == sorted(PNGS)
            assert len({p.suffix for p in tmp_path.glob("*.png.*")}) == 2  # two processes
            if failing:
                assert f"cannot draw {failing}" in capfd.readouterr().err
    finally:
        logging.getLogger("glomers.bench").removeHandler(handler)


def _workers_with(marker: str) -> list[int]:
    """Live plot workers whose environment carries ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"plot_worker" in cmdline and marker.encode() in environ:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_ctrl_c_during_a_simulated_run_leaves_no_worker(tmp_path: Path) -> None:
    marker = f"marker-{uuid.uuid4().hex}"
    cmd = [sys.executable, "-m", "glomers", "test", "--sim", "-w", "g-counter",
           "--time-limit", "2000", "--store", str(tmp_path / "store")]  # fmt: skip
    env = {**os.environ, "GLOMERS_TEST_MARKER": marker}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not _workers_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _workers_with(marker), "the worker starts with the run"
        time.sleep(1.0)
        assert proc.poll() is None, "still simulating"
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert _workers_with(marker) == []
