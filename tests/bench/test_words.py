"""Counts in words, and clipped text."""

from __future__ import annotations

from glomers.bench.words import clipped, counted


def test_one_is_singular_and_others_plural() -> None:
    assert counted(1, "node") == "1 node"
    assert counted(0, "node") == "0 nodes"
    assert counted(3, "run") == "3 runs"
    assert counted(1, "process", "processes") == "1 process"
    assert counted(2, "process", "processes") == "2 processes"


def test_clipped_keeps_short_text_and_cuts_long_text_with_dots() -> None:
    assert clipped("abc", 3) == "abc"
    assert clipped("abcd", 3) == "abc..."
    assert clipped("abcd", 3, count=True) == "abc... (4 characters)"
    assert clipped("abc", 3, count=True) == "abc"


def test_clipped_quoted_puts_the_dots_outside_the_quotes() -> None:
    assert clipped("a'b", 5, quote=True) == repr("a'b")
    assert clipped("abcdef", 2, quote=True) == "'ab'..."
