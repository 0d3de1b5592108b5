"""``glomers serve``: the index of runs, files of the store, and nothing outside it."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from glomers.bench.serve import StoreServer, find_runs, resolve_inside
from tests.html_page import Element, parse_page


def make_run(store: Path, workload: str, stamp: str, valid: object, report: bool = True) -> Path:
    folder = store / workload / stamp
    folder.mkdir(parents=True)
    results = {"valid": valid, "stats": {"count": 12}, "seed": 5}
    (folder / "results.json").write_text(json.dumps(results))
    if report:
        (folder / "report.html").write_text(f"<h1>report {stamp}</h1>")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    make_run(root, "g-counter", "20261101T100000.000", True)
    make_run(root, "echo", "20261102T100000.000", False)
    make_run(root, "g-counter", "20261103T100000.000", "unknown", report=False)
    (root / "latest").symlink_to("g-counter/20261103T100000.000")
    (root / "g-counter" / "latest").symlink_to("20261103T100000.000")
    (tmp_path / "secret.txt").write_text("outside the store")
    (root / "g-counter" / "escape").symlink_to(tmp_path / "secret.txt")
    return root


@pytest.fixture
def server(store: Path) -> Iterator[StoreServer]:
    srv = StoreServer(store, "127.0.0.1", 0)
    srv.start_background()
    yield srv
    srv.shutdown()
    srv.server_close()


def get(server: StoreServer, raw_path: str) -> tuple[int, bytes]:
    """GET with the path sent exactly as given (no client-side normalisation)."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), port, timeout=10)
    conn.putrequest("GET", raw_path, skip_accept_encoding=True)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def test_runs_newest_first_without_the_latest_links(store: Path) -> None:
    runs = find_runs(store)
    assert [(r.stamp, r.valid) for r in runs] == [
        ("20261103T100000.000", "unknown"),
        ("20261102T100000.000", False),
        ("20261101T100000.000", True),
    ]


def links(element: Element) -> list[str]:
    return [e.attrs["href"] for e in element.inner if "href" in e.attrs]


def test_index_lists_runs_coloured_by_verdict(server: StoreServer) -> None:
    status, body = get(server, "/")
    page = parse_page(body.decode())
    assert status == 200
    rows = [row for row in page.tagged("tr") if "class" in row.attrs]
    assert [row.attrs["class"] for row in rows] == ["unknown", "invalid", "valid"]
    assert "/echo/20261102T100000.000/report.html" in links(rows[1])
    # A run without a report links to its results instead.
    assert "/g-counter/20261103T100000.000/results.json" in links(rows[0])
    status, body = get(server, "/echo/20261102T100000.000/report.html")
    assert (status, body) == (200, b"<h1>report 20261102T100000.000</h1>")
    with urllib.request.urlopen(server.url + "latest/results.json") as response:
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert json.load(response)["valid"] == "unknown"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/g-counter/..%2f..%2fsecret.txt",
        "/g-counter/%2E%2E/%2E%2E/secret.txt",
        "/g-counter/escape",  # a link inside the store that points out of it
        "//etc/passwd",
        "/%00",
        "/g-counter",  # a folder, not a file
        "/nothing-here.html",
    ],
)
def test_nothing_outside_the_store_is_served(server: StoreServer, path: str) -> None:
    status, body = get(server, path)
    assert status == 404
    assert b"outside the store" not in body and b"root:" not in body


def test_resolve_inside_accepts_links_that_stay_inside(store: Path) -> None:
    found = resolve_inside(store, "/latest/results.json")
    assert found == (store / "g-counter" / "20261103T100000.000" / "results.json").resolve()
    assert resolve_inside(store, "/g-counter/escape") is None


def test_serve_binds_to_loopback_by_default_and_refuses_a_missing_store(tmp_path: Path) -> None:
    srv = StoreServer(tmp_path, port=0)
    try:
        assert srv.server_address[0] == "127.0.0.1"
    finally:
        srv.server_close()
    done = subprocess.run(
        [sys.executable, "-m", "glomers", "serve", "--store", str(tmp_path / "none")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 254
    assert "no store at" in done.stderr


@pytest.mark.parametrize(
    ("flags", "code", "message"),
    [
        ("--port 99999", 254, "must be a port number from 0 to 65535, not 99999"),
        ("--port http", 254, "invalid port value: 'http'"),
        ("--bogus", 254, "unrecognized arguments: --bogus"),
    ],
)
def test_bad_serve_flags_exit_254_in_one_line(
    tmp_path: Path, flags: str, code: int, message: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "glomers", "serve", "--store", str(tmp_path), *flags.split()],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == code
    assert message in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr


def test_a_taken_port_is_255_in_one_line(tmp_path: Path) -> None:
    taken = StoreServer(tmp_path, port=0)
    try:
        port = taken.server_address[1]
        done = subprocess.run(
            [sys.executable, "-m", "glomers", "serve", "--store", str(tmp_path), "--port",
             str(port)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        taken.server_close()
    assert done.returncode == 255
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
