"""Error codes, their definite flags, and error bodies both ways."""

from __future__ import annotations

import pytest

from glomers import (
    Crash,
    ErrorCode,
    KeyDoesNotExist,
    MalformedRequest,
    PreconditionFailed,
    RPCError,
    Timeout,
)
from glomers.errors import is_definite

# Reference section 1: which of Maelstrom's codes are definite.
MAELSTROM_CODES = {
    0: False,
    1: True,
    10: True,
    11: True,
    12: True,
    13: False,
    14: True,
    20: True,
    21: True,
    22: True,
    30: True,
}


def test_codes_match_maelstrom() -> None:
    assert {int(c): c.definite for c in ErrorCode} == MAELSTROM_CODES


@pytest.mark.parametrize("code", [2, 15, 999, 1000, 1001, 5000])
def test_unknown_and_application_codes_are_indefinite(code: int) -> None:
    assert not is_definite(code)
    assert not RPCError(code, "x").definite


def test_from_body_picks_the_subclass() -> None:
    err = RPCError.from_body({"type": "error", "code": 20, "text": "no key"}, source="seq-kv")
    assert isinstance(err, KeyDoesNotExist)
    assert (err.code, err.text, err.source, err.definite) == (20, "no key", "seq-kv", True)
    assert isinstance(RPCError.from_body({"code": 22}), PreconditionFailed)
    assert type(RPCError.from_body({"code": 1234})) is RPCError


def test_from_body_malformed_is_indefinite_crash() -> None:
    err = RPCError.from_body({"type": "error", "code": "bad"})
    assert isinstance(err, Crash)
    assert not err.definite
    assert not RPCError.from_body({"type": "error", "code": True}).definite


def test_to_body_round_trip_keeps_extra_fields() -> None:
    body = {"type": "error", "code": 1001, "text": "custom", "in_reply_to": 3, "hint": [1, 2]}
    err = RPCError.from_body(body)
    assert err.to_body() == {"type": "error", "code": 1001, "text": "custom", "hint": [1, 2]}


def test_fixed_code_classes_take_just_a_text() -> None:
    assert MalformedRequest("bad delta").to_body() == {
        "type": "error",
        "code": 12,
        "text": "bad delta",
    }
    assert Timeout().code == 0
    assert str(Timeout("slow", source="n1")) == "timeout (code 0) from n1: slow"
    assert ErrorCode.KEY_DOES_NOT_EXIST.label == "key-does-not-exist"
