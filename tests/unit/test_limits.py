"""The input checks of ``ctid.api.limits``, sans-IO: every limit at its edge, every message.

The protocol tests (tests/protocol/test_hostile.py) and the fuzz campaign send these
inputs over a socket; this file pins the checks themselves, each just inside and just
past its limit, with the exact path and problem a client is told. The defaults are the
ones docs/security.md ("Input limits") documents.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from ctid.api.limits import (
    DEFAULT_INPUT_LIMITS,
    MAX_SAFE_INTEGER,
    InputLimitError,
    InputLimits,
    check_depth,
    check_params,
    check_text,
    safe_text,
)


def refused(check: Any, *args: Any) -> InputLimitError:
    with pytest.raises(InputLimitError) as info:
        check(*args)
    return info.value


def test_the_documented_defaults() -> None:
    assert MAX_SAFE_INTEGER == 9_007_199_254_740_991
    assert InputLimits() == DEFAULT_INPUT_LIMITS
    assert (
        DEFAULT_INPUT_LIMITS.max_depth,
        DEFAULT_INPUT_LIMITS.max_string_chars,
        DEFAULT_INPUT_LIMITS.max_integer,
        DEFAULT_INPUT_LIMITS.max_user_data_keys,
        DEFAULT_INPUT_LIMITS.max_user_data_bytes,
        DEFAULT_INPUT_LIMITS.max_msgpack_items,
    ) == (64, 16_384, 9_007_199_254_740_991, 64, 8192, 10_000)


def test_the_error_names_path_and_problem() -> None:
    err = InputLimitError("params.x", "too long")
    assert (err.path, err.problem, str(err)) == ("params.x", "too long", "params.x: too long")
    bare = InputLimitError("", "nested deeper than 3 levels")
    assert (bare.path, str(bare)) == ("", "nested deeper than 3 levels")
    assert isinstance(bare, ValueError)


def test_safe_text() -> None:
    assert safe_text("plain") == "plain"
    assert safe_text("caf\u00e9") == "caf\u00e9"
    assert safe_text("a\ud800b") == "a\\ud800b"
    assert safe_text("\u00e9\udfff") == "\u00e9\\udfff"


def test_check_text_length_at_the_limit() -> None:
    check_text("x" * 16_384, "id")
    err = refused(check_text, "x" * 16_385, "id")
    assert (err.path, err.problem) == ("id", "string longer than 16384 characters (16385)")
    limits = InputLimits(max_string_chars=2)
    check_text("\u00e9\u00e9", "method", limits)  # characters, not bytes
    err = refused(check_text, "abc", "method", limits)
    assert str(err) == "method: string longer than 2 characters (3)"


def test_check_text_refuses_lone_surrogates_by_position() -> None:
    check_text("caf\u00e9 \U0001f600", "p")
    err = refused(check_text, "ab\udc80", "params.name")
    assert (err.path, err.problem) == (
        "params.name",
        "not valid Unicode: lone surrogate U+DC80 at character 2",
    )
    err = refused(check_text, "\ud800", "id")
    assert err.problem == "not valid Unicode: lone surrogate U+D800 at character 0"


def nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def test_check_depth_at_the_limit() -> None:
    check_depth(nested(64))
    err = refused(check_depth, nested(65))
    assert (err.path, err.problem) == ("", "nested deeper than 64 levels")
    limits = InputLimits(max_depth=2)
    check_depth({"a": [1, 2], "b": {"c": 3}}, limits)
    check_depth([[], {}], limits)
    err = refused(check_depth, {"a": [1], "b": {"c": [1]}}, limits)
    assert str(err) == "nested deeper than 2 levels"
    # Scalars and flat values have no depth to speak of.
    flat: list[Any] = [1, "x", None, [], {}]
    for value in flat:
        check_depth(value, InputLimits(max_depth=1))
    refused(check_depth, [[]], InputLimits(max_depth=1))


@pytest.mark.parametrize(
    "value",
    [
        MAX_SAFE_INTEGER,
        -MAX_SAFE_INTEGER,
        0,
        1.5,
        -0.0,
        1e308,
        True,
        None,
        "",
        [],
        {},
        {"userData": {}},
    ],
)
def test_check_params_accepts(value: Any) -> None:
    check_params({"v": value}, "params")


@pytest.mark.parametrize(
    ("value", "path", "problem"),
    [
        (
            MAX_SAFE_INTEGER + 1,
            "params.v",
            "integer out of range: must be within -9007199254740991..9007199254740991",
        ),
        (
            -MAX_SAFE_INTEGER - 1,
            "params.v",
            "integer out of range: must be within -9007199254740991..9007199254740991",
        ),
        (math.nan, "params.v", "NaN and infinities are not allowed"),
        (math.inf, "params.v", "NaN and infinities are not allowed"),
        (-math.inf, "params.v", "NaN and infinities are not allowed"),
        (b"x", "params.v", "bytes values are not allowed"),
        ((1, 2), "params.v", "tuple values are not allowed"),
        ({1: "a"}, "params.v", "object keys must be strings"),
        (
            [1, [2, "\udc00"]],
            "params.v[1][1]",
            "not valid Unicode: lone surrogate U+DC00 at character 0",
        ),
        (
            {"a": {"b": 2**60}},
            "params.v.a.b",
            "integer out of range: must be within -9007199254740991..9007199254740991",
        ),
    ],
)
def test_check_params_refuses_with_the_path(value: Any, path: str, problem: str) -> None:
    err = refused(check_params, {"v": value}, "params")
    assert (err.path, err.problem) == (path, problem)


def test_check_params_names_keys_and_uses_the_limits() -> None:
    err = refused(check_params, {"ab\udfffc": 1}, "params")
    assert (err.path, err.problem) == (
        "params.ab\\udfffc",
        "not valid Unicode: lone surrogate U+DFFF at character 2",
    )
    limits = InputLimits(max_string_chars=3, max_integer=10)
    check_params({"abc": ["xyz", 10, -10]}, "params", limits)
    err = refused(check_params, {"abcd": 1}, "params", limits)
    assert (err.path, err.problem) == ("params.abcd", "string longer than 3 characters (4)")
    err = refused(check_params, {"a": ["xyz", "wxyz"]}, "params", limits)
    assert (err.path, err.problem) == ("params.a[1]", "string longer than 3 characters (4)")
    err = refused(check_params, {"a": -11}, "params", limits)
    assert err.problem == "integer out of range: must be within -10..10"
    # An empty starting path: keys are the path.
    err = refused(check_params, {"x": [1, 2**53]}, "")
    assert err.path == "x[1]"
    err = refused(check_params, [1, 2**53], "")
    assert err.path == "[1]"


def test_user_data_keys_at_the_limit() -> None:
    check_params({"userData": {f"k{i}": "" for i in range(64)}}, "params")
    err = refused(check_params, {"userData": {f"k{i}": "" for i in range(65)}}, "params")
    assert (err.path, err.problem) == ("params.userData", "more than 64 keys (65)")
    # Any parameter of that name, at any depth.
    err = refused(check_params, {"a": [{"userData": {f"k{i}": 1 for i in range(65)}}]}, "params")
    assert err.path == "params.a[0].userData"
    # Only a map is a userData map: a long list of that name is just a list.
    check_params({"userData": list(range(100))}, "params")


def test_user_data_bytes_at_the_limit() -> None:
    limits = InputLimits(max_user_data_bytes=10)
    # Keys and values in UTF-8 bytes: "k" (1) + "\u00e9\u00e9\u00e9\u00e9" (8) + "n" (1) + None (0).
    check_params({"userData": {"k": "\u00e9\u00e9\u00e9\u00e9", "n": None}}, "params", limits)
    err = refused(
        check_params, {"userData": {"k": "\u00e9\u00e9\u00e9\u00e9x", "n": None}}, "params", limits
    )
    assert (err.path, err.problem) == (
        "params.userData",
        "larger than 10 bytes (11 bytes of keys, values)",
    )
    # Other values count as their text: "k" + "12345" + "b" + "True" = 11.
    err = refused(check_params, {"userData": {"k": 12345, "b": True}}, "params", limits)
    assert err.problem == "larger than 10 bytes (11 bytes of keys, values)"
    check_params({"userData": {"k": 1234, "b": True}}, "params", limits)
    # A lone surrogate is measured (not an encoding crash), then refused by the walk.
    err = refused(check_params, {"userData": {"k": "\udc00"}}, "params")
    assert err.path == "params.userData.k"
    # The default: 8,192 bytes.
    check_params({"userData": {"k": "x" * 8191}}, "params")
    err = refused(check_params, {"userData": {"k": "x" * 8192}}, "params")
    assert err.problem == "larger than 8192 bytes (8193 bytes of keys, values)"
