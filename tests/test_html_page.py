"""The tests' HTML reader: nested and own text, stray and void tags."""

from __future__ import annotations

from tests.html_page import parse_page


def test_text_holds_nested_text_and_own_only_the_direct_text() -> None:
    page = parse_page('<div id="a" class="o x">head <small>n0</small> tail</div>')
    div = page.by_id("a")
    assert div.text == "head n0 tail"
    assert div.own == "head  tail"
    assert div.classes == {"o", "x"}
    assert [e.own for e in page.tagged("small")] == ["n0"]
    assert page.having("x") == [div]
    assert div.inner == page.tagged("small")


def test_void_and_stray_tags_close_nothing() -> None:
    page = parse_page('<p>a<br>b</span>c<img src="x"></p><p style="top:-3px;left:4px">d</p>')
    first, second = page.tagged("p")
    assert first.text == "abc"
    assert second.text == "d"
    assert (second.px("top"), second.px("left")) == (-3, 4)
    assert {"p", "br", "img"} <= page.tags
