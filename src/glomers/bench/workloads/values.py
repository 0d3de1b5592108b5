"""JSON values as Maelstrom's checkers see them: Clojure's equality and order.

A reply's JSON becomes Clojure data in Maelstrom, and its checkers compare
those: ``1``, ``1.0`` and ``"1"`` are three different values, ``true`` is not
``1``, and only some values can be ordered (numbers with numbers, strings with
strings, ...). ``key`` gives each value a hashable stand-in that is equal
exactly when Clojure's ``=`` says so; ``compare`` orders two values as
Clojure's ``compare`` does, raising ``Incomparable`` where it throws.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class Incomparable(TypeError):
    """Two values Clojure's ``compare`` refuses to order (it throws)."""


def key(value: Any) -> Hashable:
    """A stand-in for ``value``, equal to another's exactly when Clojure's ``=`` is true.

    Integers of any size are one kind and floats another (``1`` is not ``1.0``),
    booleans are neither; arrays compare item by item, objects key by key.
    """
    if value is None:
        return ("nil",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        # 0.0 and -0.0 are = in Clojure; Python agrees, and hashes them alike.
        return ("float", value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, Mapping):
        return ("map", frozenset((key(k), key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("vec", tuple(key(v) for v in value))
    return ("other", repr(value))


def _kind(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple):
        return "vec"
    return "other"


def compare(a: Any, b: Any) -> int:
    """Clojure's ``compare`` on two JSON values: negative, zero or positive.

    ``nil`` sorts before everything; numbers compare by value (so ``1`` and
    ``1.0`` compare equal though they are not ``=``); strings by UTF-16 code
    units, as Java's do; booleans false before true; arrays by length first,
    then item by item. Anything else (an object; a string against a number)
    raises ``Incomparable``.
    """
    if a is None or b is None:
        return (a is not None) - (b is not None)
    kind_a, kind_b = _kind(a), _kind(b)
    if kind_a != kind_b or kind_a == "other":
        raise Incomparable(f"cannot compare {_shown(a)} with {_shown(b)}")
    if kind_a == "str":
        units_a: bytes = a.encode("utf-16-be")
        units_b: bytes = b.encode("utf-16-be")
        return (units_a > units_b) - (units_a < units_b)
    if kind_a == "vec":
        if len(a) != len(b):
            return (len(a) > len(b)) - (len(a) < len(b))
        for x, y in zip(a, b, strict=True):
            c = compare(x, y)
            if c:
                return c
        return 0
    return bool(a > b) - bool(a < b)


def sort(items: Iterable[T], value: Callable[[T], Any] = lambda x: x) -> list[T]:
    """``items`` in Clojure's order of their ``value`` (``Incomparable`` if two
    cannot be ordered); equal ones keep their order."""
    listed = list(items)
    if len(listed) == 1:
        # Clojure sorts a single item without comparing it to anything.
        return listed

    def order(a: T, b: T) -> int:
        return compare(value(a), value(b))

    return sorted(listed, key=functools.cmp_to_key(order))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"
