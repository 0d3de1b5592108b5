"""``messages.html`` as a person sees it, in headless Chromium.

Skipped, like ``test_browser.py`` whose fixtures it shares, without Chromium
and Playwright, unless ``GLOMERS_BROWSER_TESTS`` is ``required``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from glomers.bench.pages.messages import read_journal
from tests.bench.test_browser import Watched, browser, watched

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

__all__ = ["browser", "watched"]  # fixtures, used by name

# A small run, some of whose messages the loss fault drops.
FLAGS = (
    "-w g-counter --node-count 2 --rate 5 --time-limit 2 --recovery-time 1 "
    "--nemesis loss --nemesis-interval 0.5 --seed 3"
)
TALL: ViewportSize = {"width": 1100, "height": 4000}  # room for every row of the small run


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, simulated_run: Callable[..., Path]
) -> dict[str, Path]:
    # Made before the browser starts: Playwright's loop and a simulation's cannot share a thread.
    store = tmp_path_factory.mktemp("messages") / "store"
    return {
        "counter": simulated_run(store, FLAGS),
        # Echo nodes talk only with clients.
        "echo": simulated_run(store, "-w echo --node-count 2 --rate 10 --time-limit 1"),
    }


@pytest.fixture(scope="module")
def run(runs: dict[str, Path]) -> Path:
    return runs["counter"]


@pytest.fixture(scope="module")
def data(run: Path) -> dict[str, Any]:
    results = json.loads((run / "results.json").read_text())
    return read_journal(run / "net-journal.jsonl", results.get("history_origin") or 0)


def between(data: dict[str, Any], keep: Callable[[str, str], bool]) -> int:
    """How many messages ``keep(src, dest)`` lets through."""
    m, names = data["messages"], data["participants"]
    return sum(keep(names[s], names[d]) for s, d in zip(m["src"], m["dest"], strict=True))


def opened(watched: Watched, run: Path, viewport: ViewportSize = TALL) -> Page:
    page = watched.page
    page.set_default_timeout(5_000)
    page.set_viewport_size(viewport)
    page.goto((run / "messages.html").as_uri())
    page.wait_for_function("document.getElementById('canvas').dataset.drawn !== undefined")
    return page


def counts(page: Page) -> tuple[int, int]:
    """Messages that pass the filters, and arrows drawn in view."""
    shown, drawn = page.evaluate("[canvas.dataset.shown, canvas.dataset.drawn]")
    return int(shown), int(drawn)


def test_draws_every_message(run: Path, data: dict[str, Any], watched: Watched) -> None:
    page = opened(watched, run)
    total = len(data["messages"]["id"])
    lost = data["messages"]["received"].count(None)
    assert total > 40 and lost > 0, (total, lost)
    assert counts(page) == (total, total)
    arrows = page.evaluate("diagram.drawn()")
    assert sorted(a[0] for a in arrows) == list(range(total))
    # A message never delivered is a short stub from its sender's line.
    stubs = [a for a in arrows if data["messages"]["received"][a[0]] is None]
    assert len(stubs) == lost
    assert all(abs(x1 - x0) <= 40 for _, x0, _, x1, _ in stubs)
    assert f"{total} messages ({lost} never delivered)" in page.inner_text("header")
    assert watched.errors == []


def test_filter_by_node(run: Path, data: dict[str, Any], watched: Watched) -> None:
    page = opened(watched, run)
    page.click("#controls summary")
    page.click("#none")
    assert counts(page) == (0, 0)
    page.check("#nodes label:has-text('n0') input")
    expected = between(data, lambda s, d: "n0" in (s, d))
    assert 0 < expected < len(data["messages"]["id"])
    assert counts(page) == (expected, expected)
    page.check("#nodes label:has-text('seq-kv') input")
    page.select_option("#mode", "both")
    expected = between(data, lambda s, d: {s, d} <= {"n0", "seq-kv"})
    assert counts(page) == (expected, expected)
    assert page.evaluate("diagram.drawn().length") == expected
    assert watched.errors == []


def test_filter_by_time_window(run: Path, data: dict[str, Any], watched: Watched) -> None:
    page = opened(watched, run)
    page.fill("#from", "0.5")
    page.fill("#to", "1")
    m = data["messages"]

    def inside(us: int | None) -> bool:
        return us is not None and 500_000 <= us <= 1_000_000

    expected = sum(inside(s) or inside(r) for s, r in zip(m["sent"], m["received"], strict=True))
    assert 0 < expected < len(m["id"])
    assert counts(page) == (expected, expected)
    page.fill("#to", "0.4")
    assert counts(page) == (0, 0)
    assert watched.errors == []


def test_only_rows_in_view_are_drawn(run: Path, data: dict[str, Any], watched: Watched) -> None:
    page = opened(watched, run, {"width": 1100, "height": 800})
    total = len(data["messages"]["id"])
    shown, drawn = counts(page)
    assert shown == total and 0 < drawn < total
    first = {a[0] for a in page.evaluate("diagram.drawn()")}
    assert 0 in first and total - 1 not in first
    page.evaluate("s => { s.scrollTop = s.scrollHeight; }", page.query_selector("#scroll"))
    page.wait_for_function("!diagram.drawn().some((a) => a[0] === 0)")
    last = {a[0] for a in page.evaluate("diagram.drawn()")}
    assert total - 1 in last
    # Rows of 4 pixels: everything fits in view.
    page.eval_on_selector("#row", "r => { r.value = 4; r.dispatchEvent(new Event('input')); }")
    assert counts(page) == (total, total)
    assert watched.errors == []


def test_hover_shows_the_message(run: Path, data: dict[str, Any], watched: Watched) -> None:
    page = opened(watched, run)
    box = page.locator("#scroll").bounding_box()
    assert box is not None
    m, names = data["messages"], data["participants"]
    arrows = page.evaluate("diagram.drawn()")
    delivered = next(a for a in arrows if m["received"][a[0]] is not None and a[1] != a[3])
    lost = next(a for a in arrows if m["received"][a[0]] is None)
    for i, x0, y0, x1, y1 in (delivered, lost):
        page.mouse.move(box["x"] + (x0 + x1) / 2, box["y"] + (y0 + y1) / 2)
        tip = page.locator("#tip")
        assert tip.is_visible()
        text = tip.inner_text()
        assert text.startswith(f"{names[m['src'][i]]} → {names[m['dest'][i]]}: ")
        assert f'"id":{m["id"][i]},' in text and m["body"][i] in text
        assert f"sent {m['sent'][i] / 1e6:.6f} s" in text
        if m["received"][i] is None:
            assert "never delivered" in text
        else:
            assert f"delivered {m['received'][i] / 1e6:.6f} s" in text
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] - 2)
    assert page.locator("#tip").is_hidden()
    assert watched.errors == []


def test_too_many_columns_start_without_clients(
    run: Path, data: dict[str, Any], watched: Watched
) -> None:
    page = opened(watched, run, {"width": 260, "height": 4000})
    expected = between(data, lambda s, d: not s.startswith("c") and not d.startswith("c"))
    assert counts(page)[0] == expected
    assert page.eval_on_selector("#mode", "s => s.value") == "both"
    assert watched.errors == []


def test_report_links_the_diagram(run: Path, watched: Watched) -> None:
    page = watched.page
    page.goto((run / "report.html").as_uri())
    page.click("nav a[href='messages.html']")
    page.wait_for_load_state()
    assert page.url.endswith("/messages.html")
    page.wait_for_function("document.getElementById('canvas').dataset.drawn > 0")
    assert watched.errors == []


def test_only_client_traffic_stays_in_view(runs: dict[str, Path], watched: Watched) -> None:
    # Nothing between servers to narrow a crowded view down to: everything stays.
    echo = runs["echo"]
    total = len(read_journal(echo / "net-journal.jsonl")["messages"]["id"])
    page = opened(watched, echo, {"width": 260, "height": 800})
    assert total > 0 and counts(page)[0] == total
    assert page.eval_on_selector("#mode", "s => s.value") == "any"
    assert watched.errors == []
