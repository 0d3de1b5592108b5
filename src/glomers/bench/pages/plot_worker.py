"""The plots of a run, drawn by a helper process that gets ready while the run goes on.

Importing matplotlib takes about half a second, as long as a whole simulated
run. ``PlotWorker.start()``, called as a run begins, starts ``python -m
glomers.bench.pages.plot_worker``, which does that at once, makes the plots'
blank figures (``plots.prepare``), and then waits for one line on its stdin:
the run folder and the workload, as JSON. It then reads the run's
``history.jsonl`` (so the history must be written first), writes the plots into
the folder (``plots.write_plots``; on a machine with more than one core, a fork
of it draws every other plot) and exits: 0 when every plot is written, 1 after
logging why on its stderr (the command's).

End of input before that line (the run failed, or the bench is gone) makes the
helper exit without drawing. It runs in a session of its own, so Ctrl-C in the
terminal reaches the bench alone, whose ``PlotWorker.close`` ends the helper
whatever happened: no helper outlives the command.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType

log = logging.getLogger("glomers.bench")


class PlotWorker:
    """One helper process that will draw the plots of one run."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._asked: Path | None = None

    @classmethod
    def start(cls) -> PlotWorker:
        """Start the helper; it loads matplotlib while the caller runs the test."""
        process = subprocess.Popen(
            [sys.executable, "-m", "glomers.bench.pages.plot_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            # Out of the terminal's process group: Ctrl-C is the bench's to handle,
            # and close() ends the helper.
            start_new_session=True,
        )
        return cls(process)

    @property
    def returncode(self) -> int | None:
        """The helper's exit status; None while it runs."""
        return self._process.poll()

    def draw(self, run_dir: Path, workload: str) -> None:
        """Ask for the plots of the run in ``run_dir``, whose history is written."""
        self._asked = run_dir
        stdin = self._process.stdin
        assert stdin is not None
        request = json.dumps({"dir": str(run_dir), "workload": workload})
        try:
            stdin.write(request.encode() + b"\n")
            stdin.close()
        except BrokenPipeError:
            pass  # it died already: wait() says so

    def wait(self) -> None:
        """Wait until the plots asked for are written, or the helper says why not."""
        status = self._process.wait()
        # Status 1: the helper logged the error itself, with its traceback.
        if status not in (0, 1):
            log.error("could not write the plots of %s: their process ended with status %d",
                      self._asked, status)  # fmt: skip

    def close(self) -> None:
        """End the helper: at once if it was not asked to draw, else when it is done
        (callers on an error path have not asked). Never leaves it running."""
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
        if self._asked is None:
            process.kill()
        try:
            process.wait()
        except BaseException:  # Ctrl-C while it draws
            process.kill()
            process.wait()
            raise

    def __enter__(self) -> PlotWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._asked = None  # an error or Ctrl-C: stop it rather than wait
        self.close()


def _serve(stdin: bytes) -> int:
    from glomers.bench.pages import plots
    from glomers.bench.store import read_history

    request = json.loads(stdin)
    run_dir = Path(request["dir"])
    workload = request["workload"]
    try:
        history = read_history(run_dir / "history.jsonl")
        names = plots.plot_names(workload)
    except Exception:
        log.exception("could not write the plots of %s", run_dir)
        return 1
    # A second core, if there is one, draws every other plot: a copy of this
    # process, matplotlib loaded and the history read, has nothing to wait for.
    child = os.fork() if len(names) > 1 and (os.cpu_count() or 1) > 1 else -1
    mine = names if child == -1 else names[child == 0 :: 2]
    try:
        plots.write_plots(run_dir, history, workload, only=mine)
        status = 0
    except Exception:
        log.exception("could not write the plots of %s", run_dir)
        status = 1
    if child == 0:
        logging.shutdown()
        os._exit(status)
    if child > 0:
        code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
        if code not in (0, 1):  # 1: it logged why itself
            log.error("the process drawing half the plots of %s ended with %d", run_dir, code)
        status = max(status, 1 if code else 0)
    return status


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # Whatever goes wrong here shows again, and is logged, when drawing for real.
    # (Drawing a figure in advance would load nothing more that the plots then
    # find ready: they take as long after it as without it.)
    with contextlib.suppress(Exception):
        import glomers.bench.store  # noqa: F401
        from glomers.bench.pages import plots

        plots.prepare()
    line = sys.stdin.buffer.readline()
    if not line.strip():
        return 0
    return _serve(line)


if __name__ == "__main__":
    status = main()
    # The plots are written and closed: skip the interpreter's teardown (a tenth
    # of a second with matplotlib loaded), which the run's command would wait for.
    logging.shutdown()
    sys.stderr.flush()
    os._exit(status)
