"""Pages the bench writes, read back with html.parser for tests: one parser for all."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Elements that have no end tag, so never hold text.
_VOID = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr")
)


@dataclass(eq=False)
class Element:
    """One element: its tag, attributes, all the text inside it (nested elements
    included), ``own``, the text directly inside it, and ``inner``, the elements
    nested in it at any depth."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    own: str = ""
    inner: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def px(self, prop: str) -> int:
        """The pixels its inline style gives ``prop``."""
        match = re.search(rf"(?:^|;){prop}:(-?\d+)px", self.attrs.get("style", ""))
        assert match, (prop, self.attrs)
        return int(match.group(1))


@dataclass
class Page(HTMLParser):
    """Every element of a page, in document order."""

    elements: list[Element] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__()
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        for outer in self._open:
            outer.inner.append(element)
        self.tags.add(tag)
        if tag not in _VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        # An end tag with no open element of its kind is stray: it closes nothing.
        if any(e.tag == tag for e in self._open):
            while self._open.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data
        if self._open:
            self._open[-1].own += data

    def by_id(self, id_: str) -> Element:
        return next(e for e in self.elements if e.attrs.get("id") == id_)

    def tagged(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def having(self, cls: str) -> list[Element]:
        """The elements of class ``cls``."""
        return [e for e in self.elements if cls in e.classes]


def parse_page(text: str) -> Page:
    """``text``, an HTML page, parsed."""
    page = Page()
    page.feed(text)
    page.close()
    return page
