"""``glomers serve``: browse the store's runs in a web browser.

    glomers serve [--store DIR] [--port 8080] [--host 127.0.0.1]

The index lists every run, newest first, coloured by verdict, each opening its
``report.html``; any other path is a file of the store. It binds to 127.0.0.1
unless told otherwise, answers only GET and HEAD, and never serves a file
outside the store: a path is resolved (symbolic links included) before it is
checked, so neither ``..`` in any spelling nor a link pointing out of the store
reaches anything else.
"""

from __future__ import annotations

import argparse
import html
import json
import mimetypes
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from glomers.bench.pages.report import verdict_class
from glomers.bench.usage import EXIT_BAD_ARGS, EXIT_ERROR, Parser, port
from glomers.bench.words import counted

#: Files whose type the standard table does not know.
_TYPES = {".jsonl": "text/plain", ".log": "text/plain", ".json": "application/json"}


@dataclass(frozen=True, slots=True)
class Run:
    """One run folder of the store, as the index shows it."""

    path: str  # relative to the store, with forward slashes
    workload: str
    stamp: str
    valid: Any
    operations: int | None
    seed: Any
    has_report: bool


def find_runs(store: Path) -> list[Run]:
    """Every run folder (``<workload>/<stamp>/results.json``), newest first."""
    runs = []
    for results in store.glob("*/*/results.json"):
        folder = results.parent
        if folder.is_symlink() or folder.parent.is_symlink():
            continue  # the ``latest`` links: the same runs again
        try:
            data = json.loads(results.read_text())
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        stats = data.get("stats")
        if not isinstance(stats, dict):
            stats = {}
        runs.append(
            Run(
                path=f"{folder.parent.name}/{folder.name}",
                workload=folder.parent.name,
                stamp=folder.name,
                valid=data.get("valid", "unknown"),
                operations=stats.get("count"),
                seed=data.get("seed"),
                has_report=(folder / "report.html").is_file(),
            )
        )
    runs.sort(key=lambda r: (r.stamp, r.workload), reverse=True)
    return runs


def index_page(store: Path, runs: list[Run]) -> str:
    """The index: a table of runs, newest first."""
    rows = []
    for run in runs:
        css = verdict_class(run.valid)
        word = "INVALID" if css == "invalid" else css
        target = "report.html" if run.has_report else "results.json"
        href = urllib.parse.quote(f"{run.path}/{target}")
        ops = "" if run.operations is None else str(run.operations)
        rows.append(
            f'<tr class="{css}"><td><a href="/{href}">{html.escape(run.stamp)}</a></td>'
            f"<td>{html.escape(run.workload)}</td>"
            f'<td class="verdict">{word}</td><td>{ops}</td>'
            f"<td>{html.escape(str(run.seed))}</td></tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="5">No runs yet.</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,"><title>glomers runs</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ padding: 0.3em 0.8em; text-align: left; border-bottom: 1px solid #ddd; }}
tr.valid .verdict {{ color: #176a2c; font-weight: bold; }}
tr.invalid .verdict {{ color: #b00020; font-weight: bold; }}
tr.unknown .verdict {{ color: #a15c00; font-weight: bold; }}
tr.valid {{ background: #eef8f0; }} tr.invalid {{ background: #fdecee; }}
tr.unknown {{ background: #fff5e6; }}
</style></head><body>
<h1>glomers runs</h1>
<p>Store: <code>{html.escape(str(store))}</code>, {counted(len(runs), "run")}, newest first.</p>
<table id="runs"><thead><tr><th>run</th><th>workload</th><th>verdict</th>
<th>operations</th><th>seed</th></tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""


def resolve_inside(store: Path, url_path: str) -> Path | None:
    """The file ``url_path`` names inside ``store``, or None if it names nothing
    there (a missing file, a folder, or anything outside the store)."""
    raw = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
    if "\0" in raw:
        return None
    root = store.resolve()
    try:
        target = (root / raw.lstrip("/")).resolve()
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


class _Handler(BaseHTTPRequestHandler):
    server: StoreServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _answer(self, *, with_body: bool) -> None:
        store = self.server.store
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/", "/index.html"):
            data = index_page(store, find_runs(store)).encode()
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", data, with_body)
            return
        target = resolve_inside(store, self.path)
        if target is None:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n", with_body)
            return
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        kind = kind or "application/octet-stream"
        if kind.startswith("text/") or kind == "application/json":
            kind += "; charset=utf-8"
        self._send(HTTPStatus.OK, kind, target.read_bytes(), with_body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, with_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class StoreServer(ThreadingHTTPServer):
    """An HTTP server over one store folder."""

    daemon_threads = True

    def __init__(self, store: Path, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.store = store
        self.verbose = False
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread (for tests); ``shutdown()`` stops it."""
        thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        return thread


def serve(argv: list[str]) -> int:
    """The ``glomers serve`` command."""
    parser = Parser(
        prog="glomers serve",
        description="Browse the results of test runs in a web browser.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--store", type=Path, default=Path("store"), help="the results folder")
    parser.add_argument("--port", type=port, default=8080, help="the port to listen on")
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address to bind (0.0.0.0 exposes it to others)"
    )
    args = parser.parse_args(argv)
    if not args.store.is_dir():
        print(f"glomers serve: no store at {args.store} (run glomers test first)", file=sys.stderr)
        return EXIT_BAD_ARGS
    try:
        server = StoreServer(args.store, args.host, args.port)
    except OSError as exc:
        print(f"glomers serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    server.verbose = True
    print(f"Serving {args.store} at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
