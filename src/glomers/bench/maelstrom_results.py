"""Reading what Maelstrom writes (``results.edn``, ``history.edn``) into glomers' shapes.

Maelstrom stores EDN; glomers stores JSON with underscored keys. To compare the
two, EDN values become plain Python values: keywords become strings (map keys
with ``-`` turned into ``_`` and a trailing ``?`` dropped, so ``:ok-count``
reads ``ok_count`` and ``:valid?`` reads ``valid``; other keywords keep their
name, so ``:start-partition`` stays ``start-partition``), sets and lists
become lists, ratios floats. History lines become ``Op``s like glomers' own.
"""

from __future__ import annotations

import datetime
import fractions
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import edn_format

from glomers.bench.history import Op

#: Tagged literals: ``#jepsen.history.Op{...}`` and the like. Their tag names
#: a Clojure record or object; its content is all a comparison needs.
_TAG = re.compile(r"#([A-Za-z][\w.\-/*+!?<>=]*)")
_BUILTIN_TAGS = {"inst", "uuid"}


def _untagged(value: Any) -> Any:
    return value


def _accept_tags(text: str) -> None:
    # edn_format refuses tags it does not know; a tag only wraps the value.
    for name in set(_TAG.findall(text)) - _BUILTIN_TAGS:
        edn_format.add_tag(name, _untagged)


def _key(key: Any) -> Any:
    if isinstance(key, edn_format.Keyword):
        return key.name.removesuffix("?").replace("-", "_")
    return plain(key)


def plain(value: Any) -> Any:
    """An EDN value as plain JSON-like Python data (see the module docstring)."""
    if isinstance(value, edn_format.Keyword | edn_format.Symbol):
        return value.name
    if isinstance(value, Mapping):
        return {_key(k): plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        items = [plain(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, list | tuple | edn_format.ImmutableList):
        return [plain(v) for v in value]
    if isinstance(value, fractions.Fraction):
        return float(value)
    if isinstance(value, edn_format.Char | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def loads(text: str) -> Any:
    """Parse one EDN value into plain data."""
    _accept_tags(text)
    return plain(edn_format.loads(text))


def read_results(path: Path) -> dict[str, Any]:
    """Maelstrom's ``results.edn`` as a dict shaped like glomers' ``results.json``."""
    results = loads(path.read_text(encoding="utf-8"))
    if not isinstance(results, dict):
        raise ValueError(f"{path}: expected a map, got {type(results).__name__}")
    return results


def history_op(record: dict[str, Any]) -> Op:
    """One converted ``history.edn`` line as an ``Op`` (``:final?`` becomes ``final``)."""
    return Op.from_json(record)


def read_history(path: Path) -> list[Op]:
    """Maelstrom's ``history.edn`` (one map per line) as glomers ``Op``s."""
    ops: list[Op] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                ops.append(history_op(loads(line)))
    return ops
