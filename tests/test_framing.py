"""Splitting the input stream into lines, however the pipe chops it up."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from glomers._stdio import _LineSplitter


class Recorder:
    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def _feed(self, line: bytes) -> None:
        self.lines.append(line)


lines = st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30)


@given(
    lines=lines,
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=20),
    trailing_newline=st.booleans(),
)
def test_any_chunking_gives_the_same_lines(
    lines: list[bytes], cuts: list[int], trailing_newline: bool
) -> None:
    stream = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    bounds = sorted({0, len(stream), *(c for c in cuts if c <= len(stream))})
    recorder = Recorder()
    splitter = _LineSplitter(recorder)  # type: ignore[arg-type]
    for start, end in itertools.pairwise(bounds):
        splitter.chunk(stream[start:end])
    splitter.end()
    assert recorder.lines == [x for x in lines if x.strip()]


def test_blank_lines_are_skipped() -> None:
    recorder: Any = Recorder()
    splitter = _LineSplitter(recorder)
    splitter.chunk(b"a\n\n  \nb\n")
    splitter.end()
    assert recorder.lines == [b"a", b"b"]
