"""The figures ``glomers compare`` sets side by side, and the statistics of agreement.

Both benches' results arrive in the same plain shape (glomers' ``results.json``,
or Maelstrom's ``results.edn`` through ``maelstrom_results``) with a history of
``Op``s, and one function, ``figures``, measures both, so a difference in a row
is a difference between the runs, not between two ways of counting.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from glomers.bench.checker import at_quantile, ok_latencies, value_summary
from glomers.bench.history import Op

#: The checkers whose validity gets a row, in this order (those present in a run).
CHECKERS = ("workload", "stats", "availability", "net", "perf", "timeline", "exceptions")

#: Row groups, in table order; a row's group is the first word of its name.
_GROUPS = ("verdict", "exit", "valid:", "beyond:", "ops", "availability", "net", "final", "latency")

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054


def verdict_of(valid: Any) -> str:
    """``valid`` / ``invalid`` / ``unknown`` from a results' ``valid``."""
    return {True: "valid", False: "invalid"}.get(valid, "unknown")


def verdict_class(verdict: str) -> str:
    """What agreement compares: ``crashed (255)`` and ``crashed (254)`` are both a crash."""
    return verdict.split(" ")[0]


def figures(
    results: Mapping[str, Any] | None, history: Sequence[Op], exit_code: int | None
) -> dict[str, Any]:
    """One run's rows: ``results`` in glomers' plain shape (None when the bench
    wrote none: the run crashed), its history and the bench's exit status."""
    if results is None:
        return {"verdict": f"crashed ({exit_code})", "exit code": exit_code}
    verdict = verdict_of(results.get("valid"))
    if results.get("error"):
        verdict = f"crashed ({exit_code})"
    rows: dict[str, Any] = {"verdict": verdict, "exit code": exit_code}
    checkers = [c for c in CHECKERS if isinstance(results.get(c), dict)]
    checkers += sorted(
        k for k, v in results.items() if k not in CHECKERS and isinstance(v, dict) and "valid" in v
    )
    for name in checkers:
        rows[f"valid: {name}"] = results[name].get("valid")
    # glomers' findings beyond Maelstrom: shown, but never part of the agreement.
    for name, finding in sorted((results.get("beyond_maelstrom") or {}).items()):
        if isinstance(finding, dict):
            rows[f"beyond: {name}"] = finding.get("valid")
    by_f = (results.get("stats") or {}).get("by_f") or {}
    for f in sorted(by_f):
        for kind in ("ok", "info", "fail"):
            rows[f"ops {f} {kind}"] = by_f[f].get(f"{kind}_count")
    fraction = (results.get("availability") or {}).get("ok_fraction")
    if fraction is not None:
        rows["availability ok_fraction"] = fraction
    net = results.get("net") or {}
    for part in ("all", "servers"):
        per_op = (net.get(part) or {}).get("msgs_per_op")
        if per_op is not None:
            rows[f"net msgs_per_op {part}"] = per_op
    workload = results.get("workload") or {}
    final = workload.get("final_reads")
    if final is not None:
        rows["final reads"] = list(final)
    # set-full (broadcast, g-set) and unique-ids: the figures the challenges judge.
    for key in ("stable_count", "lost_count", "never_read_count", "duplicated_count"):
        if isinstance(workload.get(key), int):
            rows[f"workload {key}"] = workload[key]
    for kind in ("stable", "lost"):
        dist = workload.get(f"{kind}_latencies")
        if isinstance(dist, Mapping):
            for q, label in ((0.5, "median"), (1.0, "max")):
                rows[f"latency {kind} {label} ms"] = at_quantile(dist, q)
    for f, values in sorted(ok_latencies(history).items()):
        summary = value_summary(values)
        rows[f"latency {f} median ms"] = round(summary["median"], 3)
        rows[f"latency {f} p99 ms"] = round(summary["p99"], 3)
    return rows


def row_names(runs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every row of these runs, grouped in table order; within a group, Maelstrom's
    checkers first, then first-seen order."""
    seen: dict[str, int] = {}
    for run in runs:
        for name in run:
            seen.setdefault(name, len(seen))

    def rank(name: str) -> tuple[int, int, int]:
        first, _, rest = name.partition(" ")
        group = _GROUPS.index(first) if first in _GROUPS else len(_GROUPS)
        # Maelstrom's checkers in its order, whichever bench showed them first.
        checker = CHECKERS.index(rest) if first == "valid:" and rest in CHECKERS else len(CHECKERS)
        return group, checker, seen[name]

    return sorted(seen, key=rank)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def summarise(values: Sequence[Any], name: str) -> Any:
    """One bench's cell for a row over several seeds: the median of numbers
    (exit codes aside), how often final reads agree, else counts of each value."""
    present = [v for v in values if v is not None]
    n = len(values)
    if name == "final reads":
        same = sum(1 for v in present if isinstance(v, list) and len(set(map(str, v))) <= 1)
        return f"converged {same}/{n}"
    if name != "exit code" and present and all(_numeric(v) for v in present):
        return value_summary(present)["median"]
    counts = Counter(cell(v) for v in values)
    return ", ".join(f"{label} {k}/{n}" for label, k in counts.most_common())


def cell(value: Any) -> str:
    """A figure as a table shows it: ``—`` for none, booleans as Maelstrom
    writes them, floats to 4 significant digits, lists space-separated."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def ratio(ours: Any, theirs: Any) -> float | None:
    """glomers / Maelstrom for two numbers (None otherwise, or when dividing by 0)."""
    if _numeric(ours) and _numeric(theirs) and theirs != 0:
        return float(ours) / float(theirs)
    return None


#: Resamples behind a ratio's interval, and the fewest seeds a side needs for one.
RESAMPLES = 1000
MIN_SEEDS_FOR_INTERVAL = 5


def ratio_interval(ours: Sequence[Any], theirs: Sequence[Any]) -> tuple[float, float] | None:
    """Where glomers' median over seeds ÷ Maelstrom's falls 95% of the time when
    each bench's seeds are drawn again with replacement: a ratio whose interval
    holds 1 is within what the seeds' spread alone gives. None unless both sides
    have ``MIN_SEEDS_FOR_INTERVAL`` numbers; always the same for the same figures
    (its own fixed seed: it reads runs, it draws nothing for them)."""
    a = [float(v) for v in ours if _numeric(v)]
    b = [float(v) for v in theirs if _numeric(v)]
    if min(len(a), len(b)) < MIN_SEEDS_FOR_INTERVAL:
        return None
    rng = random.Random(0)
    ratios = []
    for _ in range(RESAMPLES):
        denominator = value_summary(rng.choices(b, k=len(b)))["median"]
        if denominator:
            ratios.append(value_summary(rng.choices(a, k=len(a)))["median"] / denominator)
    if len(ratios) < RESAMPLES // 2:
        return None  # Maelstrom's median is mostly 0: no ratio to speak of
    ratios.sort()
    tail = len(ratios) // 40
    return ratios[tail], ratios[-tail - 1]


def wilson(failures: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``failures / n`` (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    p = failures / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test on the table ``[[a, b], [c, d]]``:
    the probability, with the margins fixed, of a table no more likely than this one."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def probability(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    observed = probability(a)
    low, high = max(0, row1 + col1 - n), min(row1, col1)
    # A relative tolerance, so tables as likely as the observed one count despite rounding.
    total = sum(p for x in range(low, high + 1) if (p := probability(x)) <= observed * (1 + 1e-7))
    return min(1.0, total)


def agreement(ours: Sequence[str], theirs: Sequence[str], alpha: float = 0.05) -> dict[str, Any]:
    """Whether the verdicts of the seeds agree: the same on every seed; or, when a
    bench's verdict varies (a bug that shows on some seeds), failure rates that a
    Fisher exact test cannot tell apart at ``alpha``."""
    g = [verdict_class(v) for v in ours]
    m = [verdict_class(v) for v in theirs]
    out: dict[str, Any] = {"seeds": len(g)}
    if g == m:
        out.update(agree=True, how="same verdict on every seed")
        return out
    if len(set(g)) == 1 and len(set(m)) == 1:
        out.update(agree=False, how=f"glomers says {g[0]}, Maelstrom says {m[0]}, on every seed")
        return out
    fails_g = sum(v != "valid" for v in g)
    fails_m = sum(v != "valid" for v in m)
    p = fisher_exact(fails_g, len(g) - fails_g, fails_m, len(m) - fails_m)
    same = p >= alpha
    verdict = "statistically indistinguishable" if same else "statistically different"
    out.update(
        agree=same,
        how=f"failure rates {verdict} (p={p:.3g})",
        p_value=p,
        glomers={"failures": fails_g, "rate": fails_g / len(g), "ci95": wilson(fails_g, len(g))},
        maelstrom={"failures": fails_m, "rate": fails_m / len(m), "ci95": wilson(fails_m, len(m))},
    )
    return out
