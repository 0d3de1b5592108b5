"""Pieces shared by the HTML pages: escaping, compact JSON, tables and numbers."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

#: The top of the style of the pages that use the whole window (the timeline and
#: the message diagram), so that they look alike.
WIDE_PAGE_STYLE = """
:root { color-scheme: light; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #fff; }
header { padding: 12px 16px 4px; }
h1 { font-size: 20px; margin: 0 0 4px; }
p { margin: 4px 0; }
"""

#: C0 and C1 control characters other than tab and newline: not valid in HTML text.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape(text: str) -> str:
    """``text`` for HTML text or attributes, control characters (invalid in HTML)
    replaced."""
    return html.escape(_CONTROL.sub("\ufffd", text), quote=True)


def json_text(value: Any, limit: int = 2_000) -> str:
    """A value as compact JSON text, cut at ``limit`` characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=repr)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def cell_text(value: Any) -> str:
    """A value for a table cell: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json_text(value)


def table(
    head: Sequence[str] | None, rows: Iterable[Sequence[Any]], numeric: Iterable[int] = ()
) -> str:
    """A table (with a header row unless ``head`` is None); cells are escaped here,
    and the ``numeric`` columns right-aligned."""
    right = set(numeric)

    def cell(tag: str, i: int, value: Any) -> str:
        cls = ' class="n"' if i in right else ""
        return f"<{tag}{cls}>{escape(cell_text(value))}</{tag}>"

    out = ["<table>\n"]
    if head is not None:
        out += ["<tr>", *(cell("th", i, h) for i, h in enumerate(head)), "</tr>\n"]
    for row in rows:
        out += ["<tr>", *(cell("td", i, v) for i, v in enumerate(row)), "</tr>\n"]
    out.append("</table>\n")
    return "".join(out)


def num(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return "-" if value is None else str(value)


def size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"
