"""``report.html``: the verdict, the reasons, the run's parameters, figures, plots and
node logs, read back with html.parser."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glomers.bench.history import NEMESIS, Op
from glomers.bench.pages.report import LOG_TAIL_BYTES, replay_command, write_report
from glomers.bench.pages.summary import VERDICTS, summary
from glomers.bench.store import RunStore, read_history
from tests.html_page import Page, parse_page

HOSTILE = "<script>alert(1)</script>"


VALID: dict[str, Any] = {
    "valid": True,
    "workload": {
        "valid": True,
        "errors": [],
        "error_details": [],
        "final_reads": [12, 12, 12],
        "acceptable": [[12, 12]],
        "definite_sum": 12,
        "indefinite_adds": 0,
        "warnings": [],
    },
    "strict": False,
    "beyond_maelstrom": {"read_lag": {
        "valid": True,
        "explanation": "Every read, final or not, lies within the values the adds allow.",
        "evidence": [],
        "reads": 40,
        "lag": {"count": 40, "min": 0, "median": 1, "p90": 3, "p99": 5, "max": 6},
        "lag_seconds": {"count": 40, "min": 0.0, "median": 0.1, "p90": 0.3, "p99": 0.5, "max": 0.6},
        "lagging_reads": 21,
        "worst": {"process": 2, "node": "n2", "value": 6, "known": 12, "lag": 6,
                  "lag_seconds": 0.6, "time": 2_500_000_000, "final": False},
        "too_high": [],
        "too_low": [],
        "skipped": 0,
    }},
    "stats": {
        "valid": True, "count": 61, "ok_count": 57, "fail_count": 1, "info_count": 3,
        "by_f": {
            "add": {"valid": True, "count": 21, "ok_count": 17, "fail_count": 1, "info_count": 3},
            "read": {"valid": True, "count": 40, "ok_count": 40, "fail_count": 0, "info_count": 0},
        },
    },
    "availability": {"valid": True, "ok_fraction": 57 / 61, "ok_count": 57, "invoke_count": 61,
                     "target": None},
    "net": {
        "valid": True,
        "all": {"send_count": 300, "recv_count": 290, "msg_count": 300, "msgs_per_op": 4.918},
        "clients": {"send_count": 122, "recv_count": 122, "msg_count": 122, "msgs_per_op": 2.0},
        "servers": {"send_count": 178, "recv_count": 168, "msg_count": 178, "msgs_per_op": 2.918},
    },
    "seed": 7,
    "flags": {
        "workload": "g-counter", "bin": None, "sim": True, "node_count": 3, "time_limit": 20.0,
        "rate": 100.0, "concurrency": "1n", "latency": 0.0, "latency_dist": "constant",
        "nemesis": ["partition", "kill"], "nemesis_interval": 10.0, "availability": None,
        "log_stderr": False, "log_net_send": False, "log_net_recv": False, "seed": 7,
        "recovery_time": 10.0, "loss_rate": 0.5, "store": "store", "args": [],
    },
}  # fmt: skip


def invalid_results() -> dict[str, Any]:
    results = copy.deepcopy(VALID)
    results["valid"] = False
    details = [
        {"node": f"n{i}", "process": i, "value": 9, "expected": [[12, 12]],
         "nearest_below": None, "nearest_above": 12,
         "reason": "missing 3: read 9, lowest acceptable value is 12"}
        for i in range(3)
    ]  # fmt: skip
    results["workload"] |= {"valid": False, "errors": [9, 9, 9], "error_details": details}
    results["beyond_maelstrom"]["read_lag"] |= {
        "valid": False,
        "explanation": "1 read returned a value no counter could have had.",
        "evidence": ["n1 (process 1): read 99 at 1.000 s, above any value the adds invoked "
                     "before it allow (12)"],
        "too_high": [{"process": 1, "node": "n1", "value": 99, "bound": 12, "time": 10**9}],
    }  # fmt: skip
    return results


def unknown_results() -> dict[str, Any]:
    return {
        "valid": "unknown",
        "stats": {"valid": True, "count": 0, "ok_count": 0, "fail_count": 0, "info_count": 0,
                  "by_f": {}},
        "availability": {"valid": True, "ok_fraction": 1.0, "ok_count": 0, "invoke_count": 0,
                         "target": None},
        "error": "Could not start node n1: build() raised ValueError('x'):\nTraceback ...",
        "seed": 3,
        "flags": {"workload": "echo", "sim": False, "bin": "./node.sh", "args": ["--fast", "a b"],
                  "time_limit": 2.0, "rate": 5.0, "nemesis": [], "seed": 3},
    }  # fmt: skip


def history() -> list[Op]:
    ops = [
        Op(0, "invoke", "add", 1, time=0, node="n0"),
        Op(0, "ok", "add", 1, time=4_000_000, node="n0"),
        Op(1, "invoke", "read", None, time=1_000_000, node="n1"),
        Op(1, "ok", "read", 1, time=3_000_000, node="n1"),
        Op(NEMESIS, "info", "kill", "n1", time=5_000_000, node="n1"),
        Op(NEMESIS, "info", "kill", "killed n1", time=6_000_000, node="n1"),
        Op(NEMESIS, "info", "start", "n1", time=1_006_000_000, node="n1"),
        Op(NEMESIS, "info", "start", "restarted n1", time=1_506_000_000, node="n1"),
    ]
    for i, op in enumerate(ops):
        op.index = i
    return ops


def report(run_dir: Path, results: dict[str, Any], ops: list[Op] | None = None) -> tuple[Page, str]:
    path = write_report(run_dir, results, history() if ops is None else ops)
    assert path == run_dir / "report.html"
    text = path.read_text(encoding="utf-8")
    return parse_page(text), text


@pytest.mark.parametrize(
    ("results", "start", "cls"),
    [
        (VALID, "Valid", "valid"),
        (invalid_results(), "INVALID", "invalid"),
        (unknown_results(), "Unknown", "unknown"),
    ],
)
def test_the_verdict_comes_first_coloured(
    tmp_path: Path, results: dict[str, Any], start: str, cls: str
) -> None:
    page, _ = report(tmp_path, results)
    verdict = page.by_id("verdict")
    assert verdict.text.startswith(start)
    assert verdict.attrs["class"] == cls
    # The sentence printed at the end of a run; the reasons follow it here.
    sentence = VERDICTS[results["valid"]]
    assert verdict.text == sentence.replace("(see above)", "(see below)")
    # Before any section of the page.
    first_section = next(e for e in page.elements if e.tag == "section")
    assert page.elements.index(verdict) < page.elements.index(first_section)
    assert start in next(e.text for e in page.elements if e.tag == "title")


def test_an_invalid_run_says_which_checkers_failed_and_why(tmp_path: Path) -> None:
    page, _ = report(tmp_path, invalid_results())
    why = page.by_id("why")
    reasons = [e.text for e in page.tagged("li") if e.text in why.text]
    assert "n0 (process 0): missing 3: read 9, lowest acceptable value is 12" in reasons
    assert len([r for r in reasons if "missing 3" in r]) == 3
    headings = [e.text for e in page.tagged("h3") if e.text in why.text]
    # Only Maelstrom's checkers explain the verdict; findings beyond it come after.
    assert headings == ["workload: INVALID"]
    assert not any(e.attrs.get("id") == "error" for e in page.elements)


def test_findings_beyond_maelstrom_are_shown_with_their_evidence(tmp_path: Path) -> None:
    results = invalid_results()
    results["beyond_maelstrom"]["definite_errors"] = {
        "valid": True, "explanation": "No add was answered with a definite error.", "evidence": [],
    }  # fmt: skip
    page, _ = report(tmp_path, results)
    beyond = page.by_id("beyond")
    elements = page.elements
    assert elements.index(page.by_id("why")) < elements.index(beyond)
    assert elements.index(beyond) < elements.index(page.by_id("run"))
    assert "--strict was off: these findings are reported but do not change the verdict." in (
        beyond.text
    )
    headings = [e.text for e in page.tagged("h3") if e.text in beyond.text]
    assert headings == [
        "read_lag: INVALID (beyond Maelstrom)",
        "definite_errors: valid (beyond Maelstrom)",
    ]
    assert "1 read returned a value no counter could have had." in beyond.text
    items = [e.text for e in page.tagged("li") if e.text in beyond.text]
    assert items == [
        "n1 (process 1): read 99 at 1.000 s, above any value the adds invoked before it allow (12)"
    ]
    assert "Beyond Maelstrom" in [a.text for a in page.tagged("a")]
    rows = [e.text for e in page.tagged("td")]
    assert rows[rows.index("read_lag (beyond Maelstrom)") + 1] == "INVALID"


def test_a_strict_run_says_the_findings_decided(tmp_path: Path) -> None:
    results = copy.deepcopy(VALID)
    results |= {"valid": False, "strict": True, "maelstrom_valid": True}
    results["beyond_maelstrom"]["read_lag"]["valid"] = False
    page, _ = report(tmp_path, results)
    assert page.by_id("verdict").attrs["class"] == "invalid"
    assert (
        "--strict was on: these findings are part of the verdict (Maelstrom's own checkers "
        "all pass)." in page.by_id("beyond").text
    )
    text = summary(results)
    assert "beyond Maelstrom (--strict was on: these findings are part of the verdict" in text
    assert "read_lag: INVALID (beyond Maelstrom). Every read" in text


def test_the_summary_lists_findings_with_their_evidence() -> None:
    text = summary(invalid_results())
    lines = text.splitlines()
    start = lines.index(
        "beyond Maelstrom (--strict was off: these findings are reported but do not change "
        "the verdict.)"
    )
    assert lines[start + 1] == (
        "  read_lag: INVALID (beyond Maelstrom). 1 read returned a value no counter could have had."
    )
    assert lines[start + 2].startswith("    n1 (process 1): read 99 at 1.000 s, above")
    assert "read lag: median 1, p99 5, max 6" in text
    assert "read_lag is invalid" not in text


def test_a_run_that_stopped_early_shows_why(tmp_path: Path) -> None:
    page, _ = report(tmp_path, unknown_results())
    error = page.by_id("error")
    assert "stopped early" in error.text
    assert "build() raised ValueError('x'):\nTraceback ..." in error.text


def test_the_run_parameters_and_how_to_replay_it(tmp_path: Path) -> None:
    page, _ = report(tmp_path, VALID)
    run = page.by_id("run")
    cells = [e.text for e in page.tagged("td") if e.text in run.text]
    for label, value in [
        ("workload", "g-counter"),
        ("mode", "simulation (--sim)"),
        ("nodes", "3"),
        ("time limit", "20 s"),
        ("rate", "100 operations per second"),
        ("nemesis", "partition, kill"),
        ("seed", "7"),
    ]:
        assert cells[cells.index(label) + 1] == value
    command = next(e.text for e in page.tagged("code") if e.text in run.text)
    assert command == (
        "glomers test -w g-counter --sim --node-count 3 --time-limit 20 --rate 100 "
        "--concurrency 1n --latency 0 --nemesis partition,kill --nemesis-interval 10 "
        "--recovery-time 10 --seed 7"
    )


def test_parameters_that_cannot_matter_stay_out_of_the_table(tmp_path: Path) -> None:
    # No loss fault, no latency, not broadcast: the loss rate, the latency's shape
    # and a topology cannot change this run.
    results = copy.deepcopy(VALID)
    results["flags"] |= {"topology": "grid"}
    page, _ = report(tmp_path, results)
    labels = [e.text for e in page.tagged("td") if e.text in page.by_id("run").text]
    assert "nemesis" in labels and "seed" in labels
    for idle in ("loss rate", "latency distribution", "topology"):
        assert idle not in labels
    results["flags"] |= {"workload": "broadcast", "nemesis": ["loss"], "latency": 100.0}
    page, _ = report(tmp_path, results)
    labels = [e.text for e in page.tagged("td") if e.text in page.by_id("run").text]
    for label in ("loss rate", "latency distribution", "topology"):
        assert label in labels


def test_the_replay_command_of_a_process_mode_run() -> None:
    command = replay_command(unknown_results())
    assert command == (
        "glomers test -w echo --bin ./node.sh --time-limit 2 --rate 5 --seed 3 -- --fast 'a b'"
    )
    assert replay_command({"seed": 5}) == "glomers test --seed 5"
    strict = {"flags": {"workload": "echo", "strict": True, "seed": 2}}
    assert replay_command(strict) == "glomers test -w echo --strict --seed 2"
    assert replay_command({}) is None


def test_figures_mirror_the_summary(tmp_path: Path) -> None:
    page, text = report(tmp_path, VALID)
    rows = [
        [c.text for c in page.elements[page.elements.index(r) + 1 :][:6]] for r in page.tagged("tr")
    ]
    assert ["all", "61", "57", "3", "1", "93.4%"] in rows
    assert ["add", "21", "17", "3", "1", "81.0%"] in rows
    assert ["servers", "178", "168", "178", "2.92"] in [r[:5] for r in rows]
    assert ["final reads", "12 on all 3"] in [r[:2] for r in rows]
    assert ["acceptable values", "12"] in [r[:2] for r in rows]
    assert ["counter units", "0", "1", "3", "5", "6"] in rows
    assert "93.4% of 61 invocations ended ok" in text
    # From the history: ok latencies, and the faults the nemesis held.
    assert ["add", "1", "4.000", "4.000", "4.000", "4.000"] in rows
    assert ["kill", "n1", "0.006", "1.506", "1.500", "killed n1"] in rows


def test_plots_are_shown_only_when_present(tmp_path: Path) -> None:
    page, text = report(tmp_path, VALID)
    assert page.tagged("img") == []
    assert "has no plots" in text
    for name in ("latency-raw.png", "rate.png"):
        (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    page, _ = report(tmp_path, VALID)
    images = page.tagged("img")
    assert [img.attrs["src"] for img in images] == ["latency-raw.png", "rate.png"]
    assert all(img.attrs["alt"] for img in images)


def test_timeline_and_files_are_linked_when_present(tmp_path: Path) -> None:
    page, _ = report(tmp_path, VALID)
    assert "timeline.html" not in {a.attrs.get("href") for a in page.tagged("a")}
    for name in ("timeline.html", "results.json", "history.jsonl", "net-journal.jsonl"):
        (tmp_path / name).write_text("{}")
    page, _ = report(tmp_path, VALID)
    hrefs = {a.attrs.get("href") for a in page.tagged("a")}
    assert {"timeline.html", "results.json", "history.jsonl", "net-journal.jsonl"} <= hrefs


def test_node_logs_are_embedded_and_long_ones_cut(tmp_path: Path) -> None:
    logs = tmp_path / "node-logs"
    logs.mkdir()
    (logs / "n10.log").write_text(f"started\n{HOSTILE}\n")
    (logs / "n2.log").write_text("".join(f"line {i:06d} é\n" for i in range(20_000)))
    (logs / "n3.log").write_text("")
    page, text = report(tmp_path, VALID)
    details = page.tagged("details")
    assert [d.text.split()[0] for d in details] == ["n2", "n3", "n10"]
    long_log, empty, short = details
    pre = next(e for e in page.tagged("pre") if e.text in long_log.text and e.text)
    assert pre.text.startswith("line ")  # a whole line, not a piece of one
    assert pre.text.endswith("line 019999 é\n")
    assert "line 000000" not in pre.text
    assert LOG_TAIL_BYTES - 20 <= len(pre.text.encode()) <= LOG_TAIL_BYTES
    assert "the last 64.0 KB of" in long_log.text
    assert "(empty)" in empty.text
    assert f"started\n{HOSTILE}\n" in short.text
    hrefs = [a.attrs["href"] for a in page.tagged("a") if a.attrs["href"].startswith("node-logs/")]
    assert hrefs == ["node-logs/n2.log", "node-logs/n3.log", "node-logs/n10.log"]
    assert "<script" not in text


def test_everything_from_the_run_is_escaped(tmp_path: Path) -> None:
    results = invalid_results()
    results["error"] = HOSTILE
    results["flags"] |= {"bin": HOSTILE, "args": [HOSTILE], HOSTILE: HOSTILE}
    results["workload"]["error_details"][0]["reason"] = HOSTILE
    results["workload"]["warnings"] = [HOSTILE]
    results[HOSTILE] = {"valid": False, "errors": [HOSTILE]}
    ops = history()
    ops[5].value = HOSTILE  # the kill's detail, shown in the faults table
    page, text = report(tmp_path, results, ops)
    assert "<script" not in text
    assert not page.tagged("script")
    assert HOSTILE in page.by_id("error").text
    assert HOSTILE in page.by_id("why").text


def test_a_simulated_run_folder(tmp_path: Path, simulated_run: Callable[..., Path]) -> None:
    folder = simulated_run(
        tmp_path / "store",
        "-w g-counter --node-count 3 --time-limit 5 --rate 50 --concurrency 3 "
        "--nemesis partition,pause --nemesis-interval 1 --recovery-time 1 --seed 5",
    )
    results = json.loads((folder / "results.json").read_text())
    page, text = report(folder, results, read_history(folder / "history.jsonl"))
    assert page.by_id("verdict").text.startswith("Valid")
    assert f"{results['stats']['count']}" in [e.text for e in page.tagged("td")]
    assert "--sim" in page.by_id("run").text and "--seed 5" in page.by_id("run").text
    # Self-contained: only the run folder's own files and in-page anchors are referenced.
    refs = [e.attrs[a] for e in page.elements for a in ("href", "src") if a in e.attrs]
    assert refs and all(
        r.startswith("#") or r == "data:," or (folder / r).is_file() for r in refs
    ), refs
    assert "http" not in text


def test_a_page_that_fails_is_skipped_and_the_others_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from glomers.bench.pages import plots

    def broken(*args: Any) -> Any:
        raise ValueError("no plots today")

    monkeypatch.setattr(plots, "write_plots", broken)
    history = [Op(0, "invoke", "read", time=0), Op(0, "ok", "read", 0, time=5)]
    results = {"valid": True, "stats": {"count": 1}}
    store = RunStore(tmp_path / "store", "g-counter")
    store.write_results(results)
    store.write_pages(history, results, "g-counter")
    assert not list(store.dir.glob("*.png"))
    assert (store.dir / "timeline.html").is_file()
    assert "Valid" in (store.dir / "report.html").read_text()
    assert json.loads((store.dir / "results.json").read_text()) == results
    assert "could not write the plots" in caplog.text and "no plots today" in caplog.text


def test_the_verdict_line_names_the_checkers_that_failed() -> None:
    results = copy.deepcopy(VALID)
    results["valid"] = False
    results["stats"] = {"valid": False, "count": 3, "ok_count": 1, "fail_count": 0,
                        "info_count": 2, "by_f": {"read": {"valid": False, "count": 2,
                        "ok_count": 0, "fail_count": 0, "info_count": 2}}}  # fmt: skip
    lines = summary(results).splitlines()
    assert "stats is invalid: no read operation succeeded (2 attempted)" in lines
    assert lines[-1] == "INVALID: stats failed (see above)."


def test_a_valid_run_whose_final_reads_all_failed_says_so() -> None:
    results = copy.deepcopy(VALID)
    results["workload"]["final_reads"] = []
    last = summary(results).splitlines()[-1]
    assert last.startswith("Valid: every checker passed. But no final read succeeded")


def test_a_run_with_no_operations_claims_no_availability() -> None:
    results = copy.deepcopy(VALID)
    results["stats"] = {"valid": True, "count": 0, "ok_count": 0, "fail_count": 0,
                        "info_count": 0, "by_f": {}}  # fmt: skip
    results["availability"] = {"valid": True, "ok_fraction": 1.0}
    text = summary(results)
    assert "availability: no operation was invoked" in text
    assert "100.0%" not in text


def test_the_summary_says_why_operations_ended_info() -> None:
    results = copy.deepcopy(VALID)
    example = {"f": "read", "node": "n0", "error": "indeterminate: malformed-rpc-response: x"}
    results["exceptions"] = {"valid": True, "exceptions": [
        {"class": "malformed-rpc-response", "count": 7, "example": example}]}  # fmt: skip
    assert (
        "info: 7 x malformed-rpc-response, e.g. read on n0: indeterminate: "
        "malformed-rpc-response: x" in summary(results).splitlines()
    )
