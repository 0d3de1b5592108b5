"""What the pages of a run cost: plots, timeline, message diagram and report.

Simulates the standard run and the 25-node run once each (``--no-pages``),
then times each page writer on their histories and journals, median of a few
rounds in one process, and the first import of matplotlib in a fresh process
(which every ``glomers test`` pays once, when it draws). With Playwright and
Chromium present, it also times the message diagram in a fresh tab each
round: its first render (from opening the file to the end of its load event,
by which its inline script has drawn the first frame), a redraw after a
scroll, and a change of time window.

Then what ``glomers test`` waits for the plots once its run is over: drawn in
its own process, as before, which first imports matplotlib ("in process"); and
by the plot worker (``bench.pages.plot_worker``), started as the run starts,
so given a head start as long as the run's own wall time with ``--no-pages``.

    python benchmarks/pages.py --rounds 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from glomers.bench.pages import messages, plots, report, timeline
from glomers.bench.pages.plot_worker import PlotWorker
from glomers.bench.store import read_history

RUNS = {
    "standard (3 nodes, rate 100, 20 s, partition)": (
        "-w g-counter --node-count 3 --rate 100 --time-limit 20 --nemesis partition"
    ),
    "25 nodes, rate 1000, latency 50 exponential, partition,kill, 2n": (
        "-w g-counter --node-count 25 --rate 1000 --time-limit 20 --latency 50 "
        "--latency-dist exponential --nemesis partition,kill --concurrency 2n"
    ),
}

IMPORT = "import time; t = time.perf_counter(); import matplotlib.figure, matplotlib.backends.backend_agg; print(time.perf_counter() - t)"  # noqa: E501


def median_time(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# In the page: the ms a scroll's redraw takes (a jump down the rows, then a
# resize, which lays out and draws at once), and a new time window's refilter.
REDRAW = """() => {
  const scroll = document.getElementById("scroll"), from = document.getElementById("from");
  const redraw = [], refilter = [];
  for (let k = 1; k <= 20; k++) {
    const t = performance.now();
    scroll.scrollTop = k * 997 * 20;
    window.dispatchEvent(new Event("resize"));
    redraw.push(performance.now() - t);
  }
  for (const value of ["5", "0", "10", "0"]) {
    const t = performance.now();
    from.value = value;
    from.dispatchEvent(new Event("input"));
    refilter.push(performance.now() - t);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return [median(redraw), median(refilter)];
}"""


def in_browser(page: Path, rounds: int) -> tuple[float, float, float] | None:
    """In Chromium, medians over fresh tabs: seconds from opening ``page`` to its
    first frame drawn, and ms to redraw after a scroll and to apply a new time
    window (None without Playwright or Chromium)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    first, redraw, refilter = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(rounds):
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(page.as_uri())
            # The page draws its first frame in an inline script, before the load
            # event ends: the time from navigation to then (ms).
            end = tab.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            first.append(end / 1000)
            draw, filtered = tab.evaluate(REDRAW)
            redraw.append(draw)
            refilter.append(filtered)
            tab.close()
        browser.close()
    return statistics.median(first), statistics.median(redraw), statistics.median(refilter)


COLD = """
import sys, time
started = time.perf_counter()
from pathlib import Path
from glomers.bench.pages import plots
from glomers.bench.store import read_history
run = Path(sys.argv[1])
plots.write_plots(run, read_history(run / "history.jsonl"), "g-counter")
print(time.perf_counter() - started)
"""


def waits(run: Path, head_start: float, rounds: int) -> tuple[float, float]:
    """The median time the command waits for the plots after its run: drawn in
    process with matplotlib loaded first, and by a worker started ``head_start``
    seconds before the run ended."""
    cold = [
        float(subprocess.run([sys.executable, "-c", COLD, str(run)], capture_output=True,
                             text=True, check=True).stdout)
        for _ in range(rounds)
    ]  # fmt: skip
    warm = []
    for _ in range(rounds):
        with PlotWorker.start() as worker:
            time.sleep(head_start)
            started = time.perf_counter()
            worker.draw(run, "g-counter")
            worker.wait()
            warm.append(time.perf_counter() - started)
    return statistics.median(cold), statistics.median(warm)


def measure(name: str, flags: str, rounds: int) -> tuple[str, str]:
    """Table rows: the run simulated once, then each page writer timed on it;
    what the command waits for the plots."""
    with tempfile.TemporaryDirectory() as store:
        cmd = [sys.executable, "-m", "glomers", "test", "--sim", *flags.split(),
               "--seed", "1", "--store", store, "--no-pages"]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        run_wall = time.perf_counter() - started
        run = (Path(store) / "latest").resolve()
        history = read_history(run / "history.jsonl")
        results = json.loads((run / "results.json").read_text())
        ops = sum(1 for op in history if op.type == "invoke" and op.process != "nemesis")
        page = run / "timeline.html"
        t_plots = median_time(lambda: plots.write_plots(run, history, "g-counter"), rounds)
        t_timeline = median_time(lambda: timeline.write_timeline(page, history, name), rounds)
        t_report = median_time(lambda: report.write_report(run, results, history), rounds)
        size = page.stat().st_size / 1e6
        journal, diagram = run / "net-journal.jsonl", run / "messages.html"
        origin = int(results.get("history_origin") or 0)
        count = len(messages.read_journal(journal, origin)["messages"]["id"])
        t_messages = median_time(
            lambda: messages.write_messages(diagram, journal, name, origin), rounds
        )
        browser = in_browser(diagram, rounds)
        shown = (
            "- | - | -"
            if browser is None
            else (f"{browser[0]:.2f} s | {browser[1]:.0f} ms | {browser[2]:.0f} ms")
        )
        diagram_size = diagram.stat().st_size / 1e6
        cold, warm = waits(run, run_wall, rounds)
    return (
        f"| {name} | {ops} | {t_plots:.2f} s | {t_timeline:.2f} s | {t_report:.3f} s "
        f"| {size:.1f} MB | {count} | {t_messages:.2f} s | {diagram_size:.1f} MB | {shown} |",
        f"| {name} | {run_wall:.2f} s | {cold:.2f} s | {warm:.2f} s |",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    imports = [
        float(subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(args.rounds)
    ]  # fmt: skip
    print(f"median of {args.rounds} rounds, Python {sys.version.split()[0]}\n")
    print(f"first import of matplotlib: {statistics.median(imports):.2f} s\n")
    rows = [measure(name, flags, args.rounds) for name, flags in RUNS.items()]
    print(
        "| run | operations | plots | timeline.html | report.html | timeline size "
        "| messages | messages.html | its size | first render | redraw | new window |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for pages, _ in rows:
        print(pages)
    print("\nwhat the command waits for the plots after the run:\n")
    print("| run | the run (--no-pages) | in process | plot worker |")
    print("|---|---:|---:|---:|")
    for _, wait in rows:
        print(wait)


if __name__ == "__main__":
    main()
