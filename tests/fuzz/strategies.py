"""Hypothesis strategies for hostile API input, generated from the registry's JSON Schemas."""

from __future__ import annotations

import json
from typing import Any

import msgpack
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from ctid.api.registry import MethodSpec, json_schema

#: Deterministic and bounded: the whole fuzz suite stays well under a minute.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Stands for a number no finite float holds; written as 1e999 (JSON) or inf (msgpack).
INFINITE = "\x00ctid-fuzz-infinite\x00"

lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
#: Strings with at least one lone surrogate somewhere.
surrogate_strings = st.builds(
    lambda a, s, b: a + s + b, st.text(max_size=5), lone_surrogates, st.text(max_size=5)
)
huge_integers = st.one_of(
    st.integers(min_value=2**53, max_value=2**64 - 1),
    st.integers(max_value=-(2**53), min_value=-(2**63)),
    st.integers(min_value=10**20, max_value=10**400),
)


def deep(levels: int) -> Any:
    value: Any = 0
    for i in range(levels):
        value = [value] if i % 2 else {"d": value}
    return value


#: Values refused wherever they appear in params (ids and method names aside).
poisons = st.one_of(
    surrogate_strings,
    huge_integers,
    st.just(INFINITE),
    st.integers(min_value=70, max_value=300).map(deep),
    st.integers(min_value=16_385, max_value=20_000).map(lambda n: "x" * n),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Valid values for a JSON Schema made by ``registry.json_schema``."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([from_schema(s) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=-1000, max_value=10_000)
    if kind == "number":
        return st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
    if kind == "string":
        return st.just(".*") if schema.get("format") == "regex" else st.text(max_size=12)
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=3)
    if kind == "object" and "properties" in schema:
        required = set(schema.get("required", ()))
        props = schema["properties"]
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in props.items() if k in required},
            optional={k: from_schema(v) for k, v in props.items() if k not in required},
        )
    if kind == "object":
        extra = schema.get("additionalProperties", {})
        return st.dictionaries(st.text(max_size=8), from_schema(extra), max_size=3)
    return json_values


def params_strategy(spec: MethodSpec) -> st.SearchStrategy[dict[str, Any]]:
    if spec.params is None:
        return st.just({})
    return from_schema(json_schema(spec.params))  # type: ignore[return-value]


@st.composite
def poisoned(draw: st.DrawFn, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` with one poison put in at a random place (a leaf replaced, or a key added)."""
    slots: list[tuple[Any, Any]] = []
    stack: list[Any] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            slots.extend((node, k) for k in node)
            slots.append((node, None))
            stack.extend(node.values())
        elif isinstance(node, list):
            slots.extend((node, i) for i in range(len(node)))
            stack.extend(node)
    container, key = draw(st.sampled_from(slots))
    poison = draw(poisons)
    if key is None:
        name = draw(st.one_of(st.text(min_size=1, max_size=5), surrogate_strings))
        container[name] = poison
    else:
        container[key] = poison
    return value


def encode_json(message: Any) -> str:
    """JSON text as a hostile client writes it: \\ud800 escapes, 1e999."""
    return json.dumps(message).replace(json.dumps(INFINITE), "1e999")


def _for_msgpack(value: Any) -> Any:
    if value == INFINITE:
        return float("inf")
    if isinstance(value, int) and not -(2**63) <= value < 2**64:
        return 2**64 - 1  # msgpack cannot carry more; still out of range
    if isinstance(value, str):
        # msgpack strings are UTF-8: a lone surrogate cannot be sent, so send U+FFFD.
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_for_msgpack(k): _for_msgpack(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_for_msgpack(v) for v in value]
    return value


def encode_msgpack(message: Any) -> bytes:
    return bytes(msgpack.packb(_for_msgpack(message), use_bin_type=True))
