"""The report pages as a person sees them, in headless Chromium.

They need Chromium (Debian's ``chromium`` package) and Playwright's Python
driver; without them these tests are skipped, unless ``GLOMERS_BROWSER_TESTS``
is ``required`` (as in CI), when they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from glomers.bench.serve import StoreServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODES = Path(__file__).resolve().parent.parent / "nodes"

try:
    from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None  # type: ignore[assignment]

if CHROMIUM is None or sync_playwright is None:
    missing = " and ".join(
        name
        for name, absent in [
            ("chromium on PATH", CHROMIUM is None),
            ("playwright", sync_playwright is None),
        ]
        if absent
    )
    why = (
        f"browser tests need {missing}: to run them, apt-get install chromium and "
        "pip install -e '.[test]' (playwright); GLOMERS_BROWSER_TESTS=required makes "
        "their absence a failure instead of a skip"
    )
    if os.environ.get("GLOMERS_BROWSER_TESTS") == "required":
        pytest.fail(why, pytrace=False)
    pytest.skip(why, allow_module_level=True)


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, simulated_run: Callable[..., Path]
) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("browser") / "store"
    counter = "-w g-counter --node-count 3 --rate 100"
    lost_update = str(NODES / "lost_update_counter.py")
    invalid = simulated_run(
        root, f"{counter} --time-limit 3 --recovery-time 1 --seed 1 --bin", lost_update
    )
    faults = "--time-limit 20 --nemesis partition,kill,pause --nemesis-interval 3 --seed 5"
    valid = simulated_run(root, f"{counter} {faults}")
    (root.parent / "secret.txt").write_text("outside the store")
    return {"root": root, "valid": valid, "invalid": invalid}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors and failed requests are collected."""

    def __init__(self, browser: Browser) -> None:
        self.page: Page = browser.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("requestfailed", lambda req: self.errors.append(f"failed: {req.url}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url')})")


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.page.close()


def images(page: Page) -> list[Any]:
    result: list[Any] = page.evaluate(
        "Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    return result


def test_report_from_the_file_system(store: dict[str, Path], watched: Watched) -> None:
    page = watched.page
    page.goto((store["valid"] / "report.html").as_uri())
    verdict = page.locator("#verdict")
    assert verdict.inner_text().startswith("Valid")
    assert verdict.is_visible()
    shown = images(page)
    assert sorted(src for src, _, _ in shown) == [
        "latency-quantiles.png", "latency-raw.png", "rate.png", "read-lag.png"
    ]  # fmt: skip
    assert all(complete and width == 900 for _, complete, width in shown), shown
    assert "--seed 5" in page.inner_text("body")
    page.click("a[href='timeline.html']")
    page.wait_for_load_state()
    assert page.url.endswith("/timeline.html")
    assert page.locator("text=nemesis").count() > 0
    assert watched.errors == []


def test_invalid_report_says_why(store: dict[str, Path], watched: Watched) -> None:
    page = watched.page
    page.goto((store["invalid"] / "report.html").as_uri())
    assert page.locator("#verdict").inner_text().startswith("INVALID")
    assert "missing" in page.inner_text("body")
    assert watched.errors == []


def test_served_index_opens_each_report(store: dict[str, Path], watched: Watched) -> None:
    server = StoreServer(store["root"], "127.0.0.1", 0)
    server.start_background()
    try:
        page = watched.page
        page.goto(server.url)
        rows = page.locator("#runs tbody tr")
        assert rows.count() == 2
        # Newest first: the valid run was made last.
        assert rows.nth(0).get_attribute("class") == "valid"
        assert rows.nth(1).get_attribute("class") == "invalid"
        colours = [rows.nth(i).evaluate("r => getComputedStyle(r).backgroundColor") for i in (0, 1)]
        assert colours[0] != colours[1]
        rows.nth(1).locator("a").click()
        page.wait_for_load_state()
        assert page.locator("#verdict").inner_text().startswith("INVALID")
        assert all(complete and width == 900 for _, complete, width in images(page))
        assert watched.errors == []

        for path in ("%2e%2e/secret.txt", "g-counter/..%2f..%2fsecret.txt"):
            response = page.goto(server.url + path)
            assert response is not None and response.status == 404
            assert "outside the store" not in page.content()
    finally:
        server.shutdown()
        server.server_close()
