"""The generic checkers on hand-written histories (each workload's own checker is
tested with the workload: test_workload_*.py)."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest

from glomers.bench.checker import (
    availability,
    compose,
    exceptions,
    guarded,
    merge_valid,
    net_stats,
    perf,
    quantile,
    stats,
    value_summary,
)
from glomers.bench.history import NEMESIS
from tests.bench.histories import History

# ---------------------------------------------------------------------------
# stats, availability, net_stats


def test_stats() -> None:
    h = History()
    h.add(0, 1)
    h.add(1, 1, "fail")
    h.add(2, 1, "info")
    h.invoke(3, "add", 1)  # never completes: counts as info
    h.read(4, 1)
    h.invoke(NEMESIS, "start-partition")
    h.complete(NEMESIS, "info", "start-partition")
    result = stats(h.ops)
    assert result == {
        "valid": True,
        "count": 5,
        "ok_count": 2,
        "fail_count": 1,
        "info_count": 2,
        "by_f": {
            "add": {"valid": True, "count": 4, "ok_count": 1, "fail_count": 1, "info_count": 2},
            "read": {"valid": True, "count": 1, "ok_count": 1, "fail_count": 0, "info_count": 0},
        },
    }


def test_stats_invalid_when_an_f_never_succeeds() -> None:
    h = History()
    h.add(0, 1)
    h.read(1, None, "fail")
    result = stats(h.ops)
    assert result["valid"] is False
    assert result["by_f"]["read"]["valid"] is False
    assert stats([])["valid"] is True


def test_availability() -> None:
    h = History()
    h.add(0, 1)
    h.add(1, 1)
    h.add(2, 1, "fail")
    h.invoke(3, "read")  # never completes
    h.invoke(NEMESIS, "start-partition")
    h.complete(NEMESIS, "ok", "start-partition")
    assert availability(h.ops, None) == {
        "valid": True,
        "ok_fraction": 0.5,
        "ok_count": 2,
        "invoke_count": 4,
        "target": None,
    }
    assert availability(h.ops, "total")["valid"] is False
    assert availability(h.ops, 0.5)["valid"] is True
    assert availability(h.ops, 0.51)["valid"] is False
    assert availability(h.ops, 0)["valid"] is True


def test_availability_total_and_empty() -> None:
    h = History()
    h.add(0, 1)
    assert availability(h.ops, "total")["valid"] is True
    assert availability([], "total") == {
        "valid": True,
        "ok_fraction": 1.0,
        "ok_count": 0,
        "invoke_count": 0,
        "target": "total",
    }


@pytest.mark.parametrize("target", ["most", 1.5, -0.1, True])
def test_availability_rejects_unknown_targets(target: Any) -> None:
    with pytest.raises(ValueError, match="availability target"):
        availability([], target)


def test_net_stats() -> None:
    counts = {
        "all": {"send_count": 100, "recv_count": 90, "msg_count": 100},
        "clients": {"send_count": 8, "recv_count": 8, "msg_count": 8},
        "servers": {"send_count": 92, "recv_count": 82, "msg_count": 92},
    }
    h = History()
    for i in range(4):
        h.add(i, 1)
    h.invoke(NEMESIS, "start-partition")
    h.complete(NEMESIS, "info", "start-partition")
    result = net_stats(counts, h.ops)
    assert result["valid"] is True
    assert result["all"] == {
        "send_count": 100,
        "recv_count": 90,
        "msg_count": 100,
        "msgs_per_op": 25,
    }
    assert result["clients"]["msgs_per_op"] == 2
    assert result["servers"]["msgs_per_op"] == 23
    assert "msgs_per_op" not in counts["all"]  # the input is left alone
    json.dumps(result)


def test_net_stats_without_operations() -> None:
    zero = {"send_count": 0, "recv_count": 0, "msg_count": 0}
    result = net_stats({"all": zero, "clients": zero, "servers": zero}, [])
    assert result == {"valid": True, "all": zero, "clients": zero, "servers": zero}
    with pytest.raises(ValueError, match="servers"):
        net_stats({"all": zero, "clients": zero}, [])


# ---------------------------------------------------------------------------
# compose


def test_compose() -> None:
    assert compose({}) is True
    assert compose({"a": {"valid": True}, "b": {"valid": True}}) is True
    assert compose({"a": {"valid": True}, "b": {"valid": "unknown"}}) == "unknown"
    assert compose({"a": {"valid": False}, "b": {"valid": "unknown"}}) is False
    assert merge_valid(["unknown", False, True]) is False


def test_compose_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="no 'valid' key"):
        compose({"a": {}})
    with pytest.raises(ValueError, match="not a validity"):
        compose({"a": {"valid": 1}})


# ---------------------------------------------------------------------------
# Results Maelstrom also gives: single-precision availability, exceptions, perf


def test_availability_compares_a_single_precision_fraction_with_a_double_target() -> None:
    h = History()
    for p in range(9):
        h.add(p, 1)
    h.add(9, 1, "info")
    result = availability(h.ops, 0.9)
    # 9/10 in single precision is 0.89999997..., below the double 0.9: not enough, as in Maelstrom.
    assert result["valid"] is False
    assert result["ok_fraction"] == struct.unpack("f", struct.pack("f", 0.9))[0]
    assert result["ok_fraction"] < 0.9
    assert availability(h.ops, 0.8999999)["valid"] is True
    h.add(10, 1)
    assert availability(h.ops, 10 / 11)["valid"] is (
        struct.unpack("f", struct.pack("f", 10 / 11))[0] >= 10 / 11
    )


def test_exceptions_group_info_ops_by_kind() -> None:
    h = History()
    h.add(0, 1, "info", error="indeterminate: x", extra={"exception": "timeout"})
    h.add(1, 2, "info", error="indeterminate: y", extra={"exception": "key-does-not-exist",
                                                          "code": 20})  # fmt: skip
    h.add(2, 3, "info", error="indeterminate: z", extra={"exception": "timeout"})
    h.add(3, 4, "info", error="net-timeout")  # no exception: not listed
    h.add(4, 5, "fail", error="x", extra={"exception": "timeout"})  # not info: not listed
    result = exceptions(h.ops)
    assert result["valid"] is True
    assert [(e["class"], e["count"]) for e in result["exceptions"]] == [
        ("timeout", 2),
        ("key-does-not-exist", 1),
    ]
    example = result["exceptions"][0]["example"]
    assert (example["process"], example["error"], example["exception"]) == (0, "indeterminate: x",
                                                                           "timeout")  # fmt: skip
    assert exceptions([]) == {"valid": True, "exceptions": []}


def test_perf_gives_latency_quantiles_and_rates_per_f_and_outcome() -> None:
    h = History()
    for i, ms in enumerate([1, 2, 3, 4]):
        h.invoke(i, "read", at=i)
        h.complete(i, "ok", "read", 0, at=i + ms / 1000)
    h.invoke(9, "add", 1, at=9.0)
    h.complete(9, "info", "add", 1, at=10.0)
    h.invoke(10, "add", 1, at=10.0)  # never completes: no latency
    result = perf(h.ops)
    assert result["valid"] is True
    reads = result["latency"]["read"]["ok"]
    assert reads["count"] == 4
    assert [reads[q] for q in ("0", "0.5", "0.95", "0.99", "1")] == pytest.approx([1, 3, 4, 4, 4])
    assert result["latency"]["add"] == {"info": {"count": 1} | dict.fromkeys(
        ("0", "0.5", "0.95", "0.99", "1"), pytest.approx(1000.0))}  # fmt: skip
    assert result["rate"]["read"]["ok"] == pytest.approx(0.4)
    assert result["rate"]["all"] == pytest.approx(0.5)
    assert perf([]) == {"valid": True, "latency": {}, "rate": {"all": None}}


def test_quantile_is_jepsens_everywhere() -> None:
    assert quantile([1, 2, 3, 4], 0.5) == 3
    assert value_summary([1, 2, 3, 4])["median"] == 3
    assert value_summary(range(1, 101))["p90"] == 91


def test_stats_ignore_nemesis_ops_without_ok() -> None:
    h = History()
    h.add(0, 1)
    h.invoke(NEMESIS, "start-partition")
    h.complete(NEMESIS, "info", "start-partition")
    assert stats(h.ops)["valid"] is True
    assert set(stats(h.ops)["by_f"]) == {"add"}


def test_guarded_turns_a_raising_checker_into_unknown() -> None:
    def broken() -> dict[str, Any]:
        raise ValueError("no delta")

    assert guarded(broken) == {"valid": "unknown", "error": "ValueError: no delta"}
    assert guarded(lambda: {"valid": True}) == {"valid": True}


def test_compose_is_the_worst_validity() -> None:
    assert compose({"a": {"valid": True}, "b": {"valid": False}, "c": {"valid": True}}) is False
    assert compose({}) is True
