"""The parameters of a run, declared once in ``bench.params``, and everything
made from that declaration: parsers, options, replay commands, the report's
table, ``glomers compare``'s flags and ``run_workload``'s keywords."""

from __future__ import annotations

import dataclasses
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glomers.bench import cli, compare, fuzz, params
from glomers.bench.cli import parse_test_args
from glomers.bench.core import TestOptions
from glomers.bench.pages import report
from glomers.bench.pages.html import cell_text, escape
from glomers.bench.testing import run_workload
from glomers.counter import build

#: A value other than its default for every parameter, as typed on the command line.
OTHER: dict[str, list[str]] = {
    # broadcast: the one workload where every parameter matters (--topology).
    "workload": ["-w", "broadcast"],
    "topology": ["--topology", "tree3"],
    "bin": ["--bin", "./node"],
    "args": ["--", "--fast", "a b"],
    "sim": ["--sim"],
    "node_count": ["--node-count", "3"],
    "time_limit": ["--time-limit", "7.5"],
    "rate": ["--rate", "0.125"],
    "concurrency": ["--concurrency", "4"],
    "latency": ["--latency", "12"],
    "latency_dist": ["--latency-dist", "exponential"],
    "nemesis_interval": ["--nemesis-interval", "2.5"],
    "nemesis": ["--nemesis", "partition,loss"],
    "availability": ["--availability", "0.75"],
    "strict": ["--strict"],
    "log_stderr": ["--log-stderr"],
    "log_net_send": ["--log-net-send"],
    "log_net_recv": ["--log-net-recv"],
    "seed": ["--seed", "41"],
    "recovery_time": ["--recovery-time", "3"],
    "loss_rate": ["--loss-rate", "0.25"],
    "store": ["--store", "elsewhere"],
    "no_pages": ["--no-pages"],
}


def every_other() -> list[str]:
    """Flags giving every parameter its other value, the node's arguments last."""
    return [word for name in OTHER if name != "args" for word in OTHER[name]] + OTHER["args"]


def test_every_parameter_has_an_other_value_here() -> None:
    assert set(OTHER) == {p.name for p in params.PARAMS}


def test_testoptions_agrees_with_the_declaration_field_for_field() -> None:
    fields = {f.name: f for f in dataclasses.fields(TestOptions)}
    named = {p.name for p in params.PARAMS} & set(fields)
    assert set(fields) == named | set(params.DERIVED) | set(params.INTERNAL)
    sources = {name for names in params.DERIVED.values() for name in names}
    assert sources <= {p.name for p in params.PARAMS}
    # The declared defaults make TestOptions' own defaults (the seed aside: random).
    built = params.build_options({"seed": 0})
    for name in fields:
        if name != "flags":
            assert getattr(built, name) == getattr(TestOptions(), name), name


def test_every_parameter_round_trips_through_options_and_the_replay_command() -> None:
    args = parse_test_args(every_other())
    for name in OTHER:
        if name != "args":
            assert getattr(args, name) != params.by_name()[name].default, name
    opts = params.build_options(vars(args))
    command = report.replay_command({"flags": opts.flags})
    assert command is not None
    words = shlex.split(command)
    assert words[:2] == ["glomers", "test"]
    for p in params.PARAMS:
        if p.replay and not p.positional:
            assert p.flag in words, p.name
        if not p.replay:
            assert p.flag not in words, p.name
    again = params.build_options(vars(parse_test_args(words[2:])))
    for field in dataclasses.fields(TestOptions):
        if field.name != "flags":
            assert getattr(again, field.name) == getattr(opts, field.name), field.name
    replayed = {k: v for k, v in again.flags.items() if params.by_name()[k].replay}
    assert replayed == {k: v for k, v in opts.flags.items() if params.by_name()[k].replay}


def test_defaults_round_trip_too() -> None:
    opts = params.build_options(vars(parse_test_args(["--seed", "5"])))
    command = params.replay_command(opts.flags)
    again = params.build_options(vars(parse_test_args(shlex.split(command)[2:])))
    assert dataclasses.replace(again, flags={}) == dataclasses.replace(opts, flags={})


def test_a_replay_leaves_out_what_cannot_matter_and_puts_it_after_what_it_needs() -> None:
    idle = params.replay_command({"latency": 0.0, "latency_dist": "uniform", "nemesis": [],
                                  "nemesis_interval": 2.0, "loss_rate": 0.1})  # fmt: skip
    assert idle == "glomers test --latency 0"
    partition = params.replay_command({"nemesis": ["partition"], "loss_rate": 0.1})
    assert partition == "glomers test --nemesis partition"
    busy = params.replay_command(
        {"loss_rate": 0.1, "recovery_time": 1.0, "nemesis_interval": 2.0, "nemesis": ["loss"]}
    )
    assert busy == (
        "glomers test --nemesis loss --nemesis-interval 2 --loss-rate 0.1 --recovery-time 1"
    )


def test_fuzz_replays_with_the_same_function() -> None:
    argv = ["--nemesis", "partition", "--seeds", "3", "--nemesis-interval=2", "--bin", "m:f"]
    assert fuzz.replay_command(argv, 9) == params.replay_command(
        {"nemesis": ["partition"], "nemesis_interval": 2.0, "bin": "m:f", "seed": 9},
        first=["--sim"],
    )


def report_rows(flags: dict[str, Any]) -> dict[str, str]:
    html = report._run_html({"flags": flags})
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", html)
    return dict(cells)


def test_the_report_lists_every_parameter_that_differs_from_its_default() -> None:
    flags = params.build_options(vars(parse_test_args(every_other()))).flags
    rows = report_rows(flags)
    for p in params.PARAMS:
        assert p.label, p.name
        assert rows[escape(p.label)] == escape(cell_text(p.shown(flags[p.name]))), p.name
    assert rows["time limit"] == "7.5 s"
    assert rows["mode"] == "simulation (--sim)"
    assert rows["node arguments"] == escape(shlex.join(["--fast", "a b"]))
    # Undeclared keys (a hand-edited file, say) still show, under their own names.
    assert report_rows({"workload": "echo", "mystery": 3})["mystery"] == "3"


def test_compare_refuses_exactly_the_parameters_maelstrom_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "maelstrom"
    fake.write_text("#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("MAELSTROM", str(fake))
    (tmp_path / "node").write_text("")
    monkeypatch.chdir(tmp_path)
    # Values both benches can run with, where OTHER's would be refused for their value.
    acceptable = {**OTHER, "nemesis": ["--nemesis", "partition"],
                  "time_limit": ["--time-limit", "7"],
                  "latency_dist": ["--latency", "1", "--latency-dist", "exponential"]}  # fmt: skip
    refused = {}
    for name, words in acceptable.items():
        try:
            compare.parse_args(words)
        except compare.Refused as exc:
            refused[name] = str(exc)
    for name, why in refused.items():
        assert why == f"{params.by_name()[name].flag}: {params.by_name()[name].unlike_maelstrom}"
    # compare gives --seed a meaning of its own: the first of glomers' seeds.
    assert set(refused) == {p.name for p in params.PARAMS if not p.maelstrom} - {"seed"}
    # Given at what Maelstrom always does, a parameter it lacks is taken.
    assert compare.parse_args(["--recovery-time", "10"]).recovery_time == 10.0


def test_compare_help_lists_only_what_it_takes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "glomers", "compare", "--help"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0
    usage, _, epilog = done.stdout.partition("It takes the flags")
    for p in params.PARAMS:
        if p.positional:
            continue
        listed = re.search(rf"\[{re.escape(p.flag)}[\] ]", usage) is not None
        assert listed == (p.maelstrom or p.name == "seed"), p.name
        if not p.maelstrom and p.name != "seed":
            assert p.flag in epilog, p.name


def test_compare_gives_maelstrom_every_flag_it_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "maelstrom"
    fake.write_text("#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("MAELSTROM", str(fake))
    argv = ["-w", "echo", "--nemesis", "partition", "--availability", "total", "--log-stderr",
            "--log-net-send", "--log-net-recv", "--node-count", "2"]  # fmt: skip
    words = compare.maelstrom_argv(compare.parse_args(argv), "/node")
    for p in params.PARAMS:
        if not p.positional:
            assert (p.flag in words) == p.maelstrom, p.name


def test_an_unknown_keyword_of_run_workload_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"unknown keyword 'nodes'; did you mean 'node_count'"):
        run_workload(build, nodes=3)
    with pytest.raises(TypeError, match=r"'time_limt'; did you mean 'time_limit'"):
        run_workload(build, time_limt=3)
    with pytest.raises(TypeError, match=r"'store': --store is not a parameter run_workload"):
        run_workload(build, store="x")
    with pytest.raises(TypeError, match=r"unknown keyword 'colour' \(it takes workload, "):
        run_workload(build, colour="red")
    with pytest.raises(ValueError, match="nemesis='meteor': unknown fault meteor"):
        run_workload(build, nemesis="meteor")


def test_run_workload_takes_the_parameters_that_shape_a_run() -> None:
    with pytest.raises(TypeError) as refused:
        run_workload(build, colour="red")
    taken = str(refused.value).split("(it takes ")[1].rstrip(")").split(", ")
    assert set(taken) == {
        "workload", "node_count", "time_limit", "rate", "concurrency", "latency",
        "latency_dist", "nemesis", "nemesis_interval", "availability", "recovery_time",
        "loss_rate", "seed", "strict", "topology",
    }  # fmt: skip
    results = run_workload(build, "echo", time_limit=1.0, concurrency="2", nemesis=("pause",))
    assert results["flags"]["nemesis"] == ["pause"]
    assert results["flags"]["sim"] is True
    assert results["seed"] == 0


TOY = params.Param(
    "toy_knob", ("--toy-knob",), "how far to turn the toy knob", default=1.0,
    parse=params.positive(float), metavar="TURNS", maelstrom=False,
    unlike_maelstrom="Maelstrom has no toy knob", label="toy knob",
    show=lambda turns: f"{params.flag_text(turns)} turns",
)  # fmt: skip


def test_a_parameter_declared_once_shows_in_parser_replay_and_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(params, "PARAMS", (*params.PARAMS, TOY))
    parser = cli.test_parser()
    assert "how far to turn the toy knob (default: 1.0)" in " ".join(parser.format_help().split())
    args = parse_test_args(["-w", "echo", "--toy-knob", "2", "--seed", "4"])
    assert args.toy_knob == 2.0
    with pytest.raises(SystemExit):
        parse_test_args(["--toy-knob", "0"])
    opts = params.build_options(vars(args))
    command = params.replay_command(opts.flags)
    assert "--toy-knob 2" in command
    assert report_rows(opts.flags)["toy knob"] == "2 turns"
    with pytest.raises(compare.Refused, match=r"^--toy-knob: Maelstrom has no toy knob$"):
        compare.parse_args(["--toy-knob", "2"])
    assert "--toy-knob" not in compare.compare_parser().format_usage()
