"""Counts in words for what people read: "1 node", "3 nodes"."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, in the plural unless ``n`` is 1 (``plural`` if not just +s)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
