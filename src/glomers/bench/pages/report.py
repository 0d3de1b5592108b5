"""``report.html``: the readable account of a run, in its folder.

``write_report`` writes the console's account (``summary``), and more: the
verdict first, then why the run is invalid or why it stopped early, the
findings beyond Maelstrom (and whether ``--strict`` made them count), its
parameters and the command that replays it, the figures (operations, latency,
availability, messages, the workload checker's, exceptions, the workload's own
such as the counters' read lag, faults), the plots, the timeline and the
message diagram present in the folder, links to its files, and the end of each
node's log. Why a checker failed is worded by ``explain``; what only one
workload shows comes from its ``Workload`` hooks. The page is a single file
with inline CSS and no script; everything it shows or links is in the run
folder, so it works opened from the file system.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from glomers.bench import faults, params
from glomers.bench.checker import ok_latencies, value_summary
from glomers.bench.history import Op, fault_periods
from glomers.bench.pages.explain import pct, reasons, workload_of
from glomers.bench.pages.html import cell_text, escape, json_text, size, table
from glomers.bench.pages.summary import (
    VERDICTS,
    findings_of,
    node_error_lines,
    per_op,
    strict_note,
)
from glomers.bench.workloads import Workload

#: The plots every run folder may hold, in the order shown, with their alt texts
#: (a workload's own plots, ``Workload.plots``, come after them).
PLOTS = (
    ("latency-raw.png", "Latency of every completed operation against the time it was invoked"),
    ("latency-quantiles.png", "Latency quantiles per operation over time"),
    ("rate.png", "Completed operations per second over time"),
)

#: How much of the end of each node log the page embeds.
LOG_TAIL_BYTES = 64 * 1024

#: At most this many reasons are listed per invalid checker (all are in results.json).
_MAX_REASONS = 50

_NS_PER_S = 1_000_000_000

_STYLE = """
:root { color-scheme: light; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 15px; margin: 18px 0 6px; }
nav { font-size: 14px; color: #57606a; }
nav a { margin-right: 14px; }
a { color: #0969da; }
.muted { color: #57606a; }
#verdict { margin: 16px 0; padding: 14px 18px; border-radius: 6px; border-left: 8px solid;
  font-size: 20px; font-weight: 600; }
#verdict.valid { background: #dafbe1; border-color: #1a7f37; color: #116329; }
#verdict.invalid { background: #ffebe9; border-color: #cf222e; color: #a40e26; }
#verdict.unknown { background: #fff8c5; border-color: #bf8700; color: #7d4e00; }
.bad { color: #cf222e; font-weight: 600; }
.good { color: #1a7f37; }
.unsure { color: #9a6700; font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 14px; }
th, td { padding: 3px 12px 3px 0; border-bottom: 1px solid #eaeef2; text-align: left;
  vertical-align: top; }
th { font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; padding-left: 12px; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #f6f8fa; padding: 10px 12px; border-radius: 6px; overflow: auto;
  white-space: pre-wrap; overflow-wrap: anywhere; }
pre.log { max-height: 36em; white-space: pre; }
figure { margin: 12px 0 20px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
figcaption { font-size: 13px; color: #57606a; }
details { margin: 6px 0; }
summary { cursor: pointer; }
ul.reasons li { margin: 2px 0; }
"""


def write_report(run_dir: Path, results: Mapping[str, Any], history: Sequence[Op]) -> Path:
    """Write ``report.html`` into ``run_dir`` and return its path.

    Call it last: the page shows the plots and links the timeline and files
    that exist in ``run_dir`` when it is written.
    """
    path = run_dir / "report.html"
    page = render_report(run_dir, results, history)
    # Lone surrogates can come from JSON strings; they cannot be encoded as UTF-8.
    path.write_text(page, encoding="utf-8", errors="backslashreplace")
    return path


def render_report(run_dir: Path, results: Mapping[str, Any], history: Sequence[Op]) -> str:
    """The HTML of ``report.html`` for the run in ``run_dir``."""
    flags: Mapping[str, Any] = results.get("flags") or {}
    valid = results.get("valid", "unknown")
    workload = str(flags.get("workload") or "run")
    title = f"{workload} {run_dir.name}: {verdict_sentence(valid).split(':')[0]}"
    own = workload_of(results)
    sections = [
        _why_html(results, own),
        _beyond_html(results),
        _run_html(results),
        _figures_html(results, history, own),
        _plots_html(run_dir, own),
        _files_html(run_dir),
        _logs_html(run_dir, bool(flags.get("sim"))),
    ]
    nav = ['<a href="#run">Run</a>', '<a href="#figures">Figures</a>']
    if "strict" in results or findings_of(results):
        nav.insert(0, '<a href="#beyond">Beyond Maelstrom</a>')
    nav.append('<a href="#plots">Plots</a>')
    if (run_dir / "timeline.html").is_file():
        nav.append('<a href="timeline.html">Timeline</a>')
    if (run_dir / "messages.html").is_file():
        nav.append('<a href="messages.html">Messages</a>')
    nav += ['<a href="#files">Files</a>', '<a href="#logs">Node logs</a>']
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{escape(title)}</title>\n<link rel="icon" href="data:,">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>glomers test: {escape(workload)}</h1>\n"
        f'<p class="muted">{escape(str(run_dir))}</p>\n'
        f"<nav>{''.join(nav)}</nav>\n"
        f'<p id="verdict" class="{verdict_class(valid)}">{escape(verdict_sentence(valid))}</p>\n'
        + "".join(sections)
        + "</main>\n</body>\n</html>\n"
    )


def verdict_class(valid: Any) -> str:
    """The CSS class of a verdict: ``valid``, ``invalid`` or ``unknown``."""
    if valid is True:
        return "valid"
    if valid is False:
        return "invalid"
    return "unknown"


def verdict_sentence(valid: Any) -> str:
    """The verdict as ``summary`` prints it; on the page the reasons come after it."""
    key: Any = valid if valid is True or valid is False else "unknown"
    return VERDICTS[key].replace("(see above)", "(see below)")


def replay_command(results: Mapping[str, Any]) -> str | None:
    """The ``glomers test`` command that runs this test again (None without flags)."""
    flags: Mapping[str, Any] = results.get("flags") or {}
    seed = results.get("seed", flags.get("seed"))
    if not flags and seed is None:
        return None
    return params.replay_command({**flags, "seed": seed})


def _validity_html(valid: Any) -> str:
    if valid is True:
        return '<span class="good">valid</span>'
    if valid is False:
        return '<span class="bad">INVALID</span>'
    return f'<span class="unsure">{escape(cell_text(valid))}</span>'


def _why_html(results: Mapping[str, Any], workload: Workload) -> str:
    """Why the run is invalid or unknown: the checkers that said so, and any early stop."""
    out: list[str] = []
    node_errors = node_error_lines(results)
    if node_errors:
        out.append('<section id="node-errors">\n<h2>Nodes that broke the protocol</h2>\n')
        out.append(f"<pre>{escape(chr(10).join(node_errors).strip())}</pre>\n</section>\n")
    if results.get("error") and "workload" in results:
        # Checked, but a node crashed: the crash is the verdict.
        out.append('<section id="error">\n<h2>A node crashed</h2>\n')
        out.append(
            "<p>The history was checked (the figures below), but a node that crashed "
            "leaves the verdict unknown, as in Maelstrom.</p>\n"
        )
    elif results.get("error"):
        out.append('<section id="error">\n<h2>The run stopped early</h2>\n')
        out.append(
            "<p>The run did not complete, so its history was not checked "
            "(the figures below cover what happened before it stopped).</p>\n"
        )
        out.append(f"<pre>{escape(str(results['error']))}</pre>\n</section>\n")
    failing = [
        (name, result)
        for name, result in results.items()
        if isinstance(result, Mapping) and "valid" in result and result["valid"] is not True
    ]
    if failing:
        out.append('<section id="why">\n<h2>Why</h2>\n')
        for name, result in failing:
            out.append(f"<h3>{escape(name)}: {_validity_html(result['valid'])}</h3>\n")
            told = reasons(name, result, workload)
            shown = told[:_MAX_REASONS]
            out.append('<ul class="reasons">\n')
            out += [f"<li>{escape(str(r))}</li>\n" for r in shown]
            if len(told) > len(shown):
                more = len(told) - len(shown)
                out.append(f"<li>… and {more} more (see results.json)</li>\n")
            out.append("</ul>\n")
        out.append("</section>\n")
    return "".join(out)


def _beyond_html(results: Mapping[str, Any]) -> str:
    """The findings beyond Maelstrom: each with its verdict, explanation and evidence."""
    found = findings_of(results)
    if "strict" not in results and not found:
        return ""
    out = ['<section id="beyond">\n<h2>Beyond Maelstrom</h2>\n']
    out.append(
        "<p>Checks Maelstrom does not make. "
        f'<span class="{"bad" if results.get("strict") else "muted"}">'
        f"{escape(strict_note(results))}</span></p>\n"
    )
    if not found:
        out.append("<p>Nothing to report for this run.</p>\n")
    # The ones that found something first.
    for name, finding in sorted(found.items(), key=lambda item: item[1].get("valid") is True):
        valid = finding.get("valid")
        out.append(
            f"<h3>{escape(name)}: {_validity_html(valid)} "
            '<span class="muted">(beyond Maelstrom)</span></h3>\n'
        )
        text = finding.get("explanation") or finding.get("error")
        if text:
            out.append(f"<p>{escape(str(text))}</p>\n")
        evidence = [str(e) for e in finding.get("evidence") or []]
        if evidence and valid is not True:
            shown = evidence[:_MAX_REASONS]
            out.append('<ul class="reasons">\n')
            out += [f"<li>{escape(e)}</li>\n" for e in shown]
            if len(evidence) > len(shown):
                out.append(f"<li>… and {len(evidence) - len(shown)} more (see results.json)</li>\n")
            out.append("</ul>\n")
    out.append("</section>\n")
    return "".join(out)


def _run_html(results: Mapping[str, Any]) -> str:
    flags: Mapping[str, Any] = results.get("flags") or {}
    # Parameters that cannot matter to this run (a topology for a counter) stay out.
    known = params.by_name()
    declared = [p for p in params.ordered() if p.name in flags and p.matters(flags)]
    flags = {k: v for k, v in flags.items() if k not in known or known[k] in declared}
    rows: list[tuple[str, Any]] = [(p.label, p.shown(flags[p.name])) for p in declared]
    rows += [(key, flags[key]) for key in flags if key not in params.by_name(declared)]
    if "seed" not in flags and "seed" in results:
        rows.append(("seed", results["seed"]))
    out = ['<section id="run">\n<h2>Run</h2>\n']
    if rows:
        out.append(table(["parameter", "value"], rows))
    else:
        out.append("<p>The results do not record the run's parameters.</p>\n")
    command = replay_command(results)
    if command is not None:
        out.append("<p>Run it again (the same seed and flags give the same test")
        out.append(
            ", exactly in simulation mode" if flags.get("sim") else "; process mode is not exact"
        )
        out.append("):</p>\n")
        out.append(f"<pre><code>{escape(command)}</code></pre>\n")
    out.append("</section>\n")
    return "".join(out)


def _figures_html(results: Mapping[str, Any], history: Sequence[Op], workload: Workload) -> str:
    out = ['<section id="figures">\n<h2>Figures</h2>\n']
    checkers = [
        (name, result["valid"])
        for name, result in results.items()
        if isinstance(result, Mapping) and "valid" in result
    ]
    checkers += [
        (f"{name} (beyond Maelstrom)", finding.get("valid"))
        for name, finding in findings_of(results).items()
    ]
    if checkers:
        out.append("<h3>Checkers</h3>\n<table>\n<tr><th>checker</th><th>verdict</th></tr>\n")
        out += [
            f"<tr><td>{escape(name)}</td><td>{_validity_html(valid)}</td></tr>\n"
            for name, valid in checkers
        ]
        out.append("</table>\n")
    out.append(_operations_html(results.get("stats") or {}))
    out.append(_latency_html(history))
    out.append(_availability_html(results.get("availability") or {}))
    out.append(_net_html(results.get("net") or {}))
    out.append(_workload_html(results.get("workload") or {}, workload))
    out.append(_exceptions_html(results.get("exceptions") or {}))
    out.append(workload.report_html(results))
    out.append(_faults_html(history))
    out.append("</section>\n")
    return "".join(out)


def _operations_html(stats: Mapping[str, Any]) -> str:
    if not stats:
        return ""

    def row(name: str, s: Mapping[str, Any]) -> list[Any]:
        count = s.get("count", 0)
        ok = s.get("ok_count", 0)
        share = pct(ok / count) if count else "-"
        return [name, count, ok, s.get("info_count", 0), s.get("fail_count", 0), share]

    rows = [row("all", stats)]
    rows += [row(f, s) for f, s in sorted((stats.get("by_f") or {}).items())]
    return (
        "<h3>Operations</h3>\n"
        + table(["f", "count", "ok", "info", "fail", "ok share"], rows, range(1, 6))
        + '<p class="muted">info: the outcome is unknown (a timeout, say); fail: it '
        "certainly did not happen.</p>\n"
    )


def _quantiles(values: list[float]) -> list[str]:
    s = value_summary(values)
    return [f"{s[k]:.3f}" for k in ("median", "p90", "p99", "max")]


def _latency_html(history: Sequence[Op]) -> str:
    latencies = ok_latencies(history)
    if not latencies:
        return ""
    every = [v for values in latencies.values() for v in values]
    rows = [["all", len(every), *_quantiles(every)]]
    rows += [[f, len(v), *_quantiles(v)] for f, v in sorted(latencies.items())]
    return "<h3>Latency of ok operations (ms)</h3>\n" + table(
        ["f", "count", "median", "p90", "p99", "max"], rows, range(1, 6)
    )


def _availability_html(availability: Mapping[str, Any]) -> str:
    if "ok_fraction" not in availability:
        return ""
    target = availability.get("target")
    text = (
        f"{pct(availability['ok_fraction'])} of {availability.get('invoke_count', 0)} "
        f"invocations ended ok"
    )
    text += "; no --availability target." if target is None else f"; target {json_text(target)}."
    cls = "" if availability.get("valid", True) else ' class="bad"'
    return f"<h3>Availability</h3>\n<p{cls}>{escape(text)}</p>\n"


def _net_html(net: Mapping[str, Any]) -> str:
    groups = [(g, net[g]) for g in ("all", "clients", "servers") if isinstance(net.get(g), Mapping)]
    if not groups:
        return ""
    rows = [
        [
            group,
            counts.get("send_count", 0),
            counts.get("recv_count", 0),
            counts.get("msg_count", 0),
            per_op(counts),
        ]
        for group, counts in groups
    ]
    return (
        "<h3>Messages</h3>\n"
        + table(["between", "sent", "received", "messages", "per operation"], rows, range(1, 5))
        + '<p class="muted">clients: messages to or from a client; servers: all the others '
        "(between nodes, and with services).</p>\n"
    )


def _workload_html(workload: Mapping[str, Any], own: Workload) -> str:
    """The ``workload`` checker's figures: the workload's own rows, then its scalars."""
    if not workload:
        return ""
    rows = own.report_rows(workload)
    skip = {"valid", "errors", "error_details", "warnings"}
    rows += [
        (key.replace("_", " "), value)
        for key, value in workload.items()
        if key not in skip and not isinstance(value, Mapping | list)
    ]
    for key in ("errors", "error_details"):
        if isinstance(workload.get(key), list) and workload[key]:
            rows.append((key.replace("_", " "), f"{len(workload[key])} (see Why above)"))
            break
    out = "<h3>Workload</h3>\n" + table(None, rows) if rows else ""
    warnings = workload.get("warnings") or []
    if warnings:
        out += "<p>Warnings:</p>\n<ul>\n" + "".join(
            f"<li>{escape(cell_text(w))}</li>\n" for w in warnings
        )
        out += "</ul>\n"
    return out


def _exceptions_html(exceptions: Mapping[str, Any]) -> str:
    groups = [e for e in exceptions.get("exceptions") or [] if isinstance(e, Mapping)]
    if not groups:
        return ""
    rows = [
        [e.get("class"), e.get("count"), cell_text((e.get("example") or {}).get("error"))]
        for e in groups
    ]
    return (
        "<h3>Exceptions</h3>\n"
        + table(["kind", "info operations", "example"], rows, [1])
        + '<p class="muted">Operations that ended info with an exception: no reply in time, '
        "a reply that does not fit the workload, or an error code, as Maelstrom records them."
        "</p>\n"
    )


def _faults_html(history: Sequence[Op]) -> str:
    periods = fault_periods(history)
    if not periods:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("fault", "node"))
    head += "".join(f'<th class="n">{h}</th>' for h in ("from (s)", "until (s)", "lasting (s)"))
    out = ["<h3>Faults</h3>\n<table>\n<tr>", head, "<th>detail</th></tr>\n"]
    for p in periods:
        end = "-" if p.end is None else f"{p.end / _NS_PER_S:.3f}"
        took = "still in force" if p.end is None else f"{(p.end - p.start) / _NS_PER_S:.3f}"
        detail = "" if p.detail is None else cell_text(p.detail)[:300]
        times = (f"{p.start / _NS_PER_S:.3f}", end, took)
        # The fault's colour, as on the timeline and the plots, marks its name.
        out += [
            f'<tr><td style="border-left: 6px solid {faults.color(p.fault)}; padding-left: 6px">',
            f"{escape(faults.label(p.fault))}</td><td>{escape(p.node or '')}</td>",
            *(f'<td class="n">{escape(t)}</td>' for t in times),
            f"<td>{escape(detail)}</td></tr>\n",
        ]
    out.append("</table>\n")
    return "".join(out)


def _plots_html(run_dir: Path, workload: Workload) -> str:
    out = ['<section id="plots">\n<h2>Plots</h2>\n']
    every = [*PLOTS, *((plot.name, plot.alt) for plot in workload.plots())]
    found = [(name, alt) for name, alt in every if (run_dir / name).is_file()]
    for name, alt in found:
        out.append(
            f'<figure><img src="{escape(quote(name))}" alt="{escape(alt)}">'
            f"<figcaption>{escape(name)}</figcaption></figure>\n"
        )
    if not found:
        out.append("<p>This run folder has no plots.</p>\n")
    out.append("</section>\n")
    return "".join(out)


def _files_html(run_dir: Path) -> str:
    out = ['<section id="files">\n<h2>Files</h2>\n<ul>\n']
    if (run_dir / "timeline.html").is_file():
        out.append(
            '<li><a href="timeline.html">timeline.html</a>: every operation and nemesis '
            "step on a time line</li>\n"
        )
    if (run_dir / "messages.html").is_file():
        out.append(
            '<li><a href="messages.html">messages.html</a>: every message as an arrow '
            "from its send to its delivery</li>\n"
        )
    for name, what in (
        ("results.json", "the checkers' results"),
        ("history.jsonl", "the history, one operation per line"),
        ("net-journal.jsonl", "every message sent and received"),
    ):
        if (run_dir / name).is_file():
            shown = size((run_dir / name).stat().st_size)
            out.append(f'<li><a href="{escape(quote(name))}">{name}</a>: {what} ({shown})</li>\n')
        else:
            out.append(f"<li>{name}: {what} (not in the run folder)</li>\n")
    out.append("</ul>\n</section>\n")
    return "".join(out)


def _natural(name: str) -> list[Any]:
    """Sort key that puts n2 before n10."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)
    ]


def _log_tail(path: Path) -> tuple[str, int, bool]:
    """The end of a log (at most ``LOG_TAIL_BYTES``), its size, and whether it was cut."""
    with path.open("rb") as f:
        total = f.seek(0, 2)
        cut = total > LOG_TAIL_BYTES
        f.seek(total - LOG_TAIL_BYTES if cut else 0)
        data = f.read()
    if cut:
        # Start at a line boundary rather than in the middle of a line (or a character).
        newline = data.find(b"\n")
        if 0 <= newline < len(data) - 1:
            data = data[newline + 1 :]
    return data.decode("utf-8", errors="replace"), total, cut


def _logs_html(run_dir: Path, sim: bool) -> str:
    out = ['<section id="logs">\n<h2>Node logs</h2>\n']
    logs_dir = run_dir / "node-logs"
    logs = (
        sorted(logs_dir.glob("*.log"), key=lambda p: _natural(p.name)) if logs_dir.is_dir() else []
    )
    if not logs:
        why = " (in simulation mode nodes run inside the bench)" if sim else ""
        out.append(f"<p>No node logs in this run folder{why}.</p>\n")
    for log in logs:
        href = escape(quote(f"node-logs/{log.name}"))
        try:
            text, total, cut = _log_tail(log)
        except OSError as exc:
            out.append(
                f'<details><summary>{escape(log.stem)}</summary><p><a href="{href}">'
                f"{escape(log.name)}</a> could not be read: {escape(str(exc))}</p></details>\n"
            )
            continue
        note = (
            f"the last {size(LOG_TAIL_BYTES)} of {size(total)}, from the first whole line"
            if cut
            else size(total)
        )
        body = f'<pre class="log">{escape(text)}</pre>' if text else "<p>(empty)</p>"
        out.append(
            f'<details><summary>{escape(log.stem)} <span class="muted">({note})</span></summary>\n'
            f'<p><a href="{href}">node-logs/{escape(log.name)}</a>'
            + (" (the whole log)" if cut else "")
            + f"</p>\n{body}\n</details>\n"
        )
    out.append("</section>\n")
    return "".join(out)
