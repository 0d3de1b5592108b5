"""Text for what people read: counts in words ("3 nodes") and clipped long text."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, in the plural unless ``n`` is 1 (``plural`` if not just +s)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def clipped(text: str, limit: int, *, quote: bool = False, count: bool = False) -> str:
    """``text`` cut to its first ``limit`` characters, with ``...`` after a cut.

    ``quote`` shows the text kept as a Python literal (the ``...`` outside the
    quotes, so a reader sees where the text itself ends); ``count`` adds the
    full length after a cut, for text long enough that its size is news.
    """
    if len(text) <= limit:
        return repr(text) if quote else text
    head = text[:limit]
    tail = f"... ({len(text)} characters)" if count else "..."
    return (repr(head) if quote else head) + tail
