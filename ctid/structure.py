"""Plain data (TOML, JSON, msgpack) into attrs values, with errors that name the key.

Both the configuration loader and the JSON-RPC parameter checker use this, so
a config file and an API request get the same precise messages, e.g.
``switch.simulator.trunks: expected an integer, got "eight"``.

Supported annotations: ``str``, ``int``, ``float``, ``bool``, ``None`` and
``X | None``, ``Literal[...]``, enums (by value), ``re.Pattern[str]`` (from a
string), ``tuple[X, ...]``, ``list[X]``, ``dict[str, X]``/``Mapping[str, X]``,
``Any``, and nested attrs classes. Unknown keys are errors: a typo in a config
file must not be silently ignored.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import math
import re
import types
import typing
from collections.abc import Iterator, Mapping
from typing import Any, Literal, TypeVar

import attrs

from .naming import wire_name

__all__ = ["Problems", "StructureError", "describe", "each_error", "field_key", "structure"]

T = TypeVar("T")

#: Field metadata key overriding the key a field is read from.
KEY = "ctid.key"


class StructureError(ValueError):
    """``path`` is the dotted key where the problem is; ``problem`` says what is wrong."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


class _StructureErrors(StructureError):
    """Several problems: reads exactly as the first (``path``, ``problem``, ``str``), so
    an API request's error stays one precise message; ``errors`` holds them all, for
    ``ctid check-config`` and a refused reload."""

    def __init__(self, errors: list[StructureError]) -> None:
        super().__init__(errors[0].path, errors[0].problem)
        self.errors = errors


def each_error(exc: StructureError) -> list[StructureError]:
    """The single problems in ``exc``: itself, or every one it gathered."""
    return list(exc.errors) if isinstance(exc, _StructureErrors) else [exc]


class Problems:
    """Gathers the problems of a check that goes on after one, so that it reports every
    problem it finds, not only the first::

        problems = Problems()
        for i, item in enumerate(items):
            with problems.check():  # a StructureError here skips the rest of this item
                ...
        problems.raise_any()
    """

    def __init__(self) -> None:
        self.errors: list[StructureError] = []
        # Keys whose values did not convert (``salvage``): they stand in with a default,
        # so a later check of such a key would only repeat the problem, in other words.
        self._unconverted: list[str] = []

    @contextlib.contextmanager
    def check(self) -> Iterator[None]:
        """Run a block; a ``StructureError`` in it is noted and ends the block only."""
        try:
            yield
        except StructureError as exc:
            for error in each_error(exc):
                self._note(error)

    def add(self, path: str, problem: str) -> None:
        self._note(StructureError(path, problem))

    def salvage(self, cls: type[T], data: Any, path: str = "", *, style: str = "snake") -> T:
        """``cls`` built from ``data`` as ``structure`` builds it, noting every problem
        instead of stopping at the first entry that has one.

        A key whose value does not convert is noted and takes its default (a neutral
        value when it has none), so the checks that follow still run on the rest;
        what they find at or under such a key is not noted again. Entries of lists
        and nested tables are salvaged one by one, so one bad entry hides nothing
        of the others. Use the result only when ``raise_any`` raises nothing.
        """
        errors: list[StructureError] = []
        value = _salvage(cls, data, path, style, errors)
        self.errors.extend(errors)
        self._unconverted.extend(error.path for error in errors)
        return value

    def found_under(self, path: str) -> bool:
        """Whether a problem was noted at ``path`` or inside it (an entry to leave out)."""
        return any(_under(error.path, path) for error in self.errors)

    def _note(self, error: StructureError) -> None:
        if not any(_under(error.path, bad) for bad in self._unconverted):
            self.errors.append(error)

    def raise_any(self) -> None:
        """Raise what was gathered (one ``StructureError`` holding them all), if anything."""
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise _StructureErrors(self.errors)


def _printable(text: str) -> str:
    # Lone surrogates shown as escapes: an error message must itself be encodable.
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = _printable(key)
    return f"{path}.{key}" if path else key


def describe(value: Any) -> str:
    """A short description of a bad value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{_printable(shown)}"'
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def field_key(field: attrs.Attribute[Any], style: str) -> str:
    """The key a field is read from: metadata override, else snake_case or lowerCamel."""
    override = field.metadata.get(KEY)
    if override is not None:
        return str(override)
    name = field.alias or field.name
    return wire_name(name) if style == "camel" else name


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def structure(cls: type[T], data: Any, path: str = "", *, style: str = "snake") -> T:
    """Build ``cls`` (an attrs class) from ``data``; raise ``StructureError`` on any problem."""
    if not isinstance(data, Mapping):
        raise StructureError(path, f"expected an object, got {describe(data)}")
    hints = _hints(cls)  # type: ignore[arg-type]
    fields = attrs.fields(cls)  # type: ignore[arg-type]
    known = {field_key(f, style): f for f in fields if f.init}
    # Every key is looked at, so that all the problems are known (the first reads first).
    problems = Problems()
    for key in data:
        if key not in known:
            choices = ", ".join(sorted(known)) or "none"
            problems.add(_join(path, str(key)), f"unknown key (known keys: {choices})")
    kwargs: dict[str, Any] = {}
    for key, f in known.items():
        if key in data:
            with problems.check():
                kwargs[f.alias or f.name] = _convert(
                    hints[f.name], data[key], _join(path, key), style
                )
        elif f.default is attrs.NOTHING:
            problems.add(_join(path, key), "required but missing")
    problems.raise_any()
    try:
        return cls(**kwargs)
    except StructureError:
        raise
    except (ValueError, TypeError) as exc:
        raise StructureError(path, str(exc)) from None


def _under(path: str, key: str) -> bool:
    """Whether ``path`` is ``key`` or inside it (``a.b[0].c`` is inside ``a.b``)."""
    return path == key or (path.startswith(key) and path[len(key)] in ".[")


#: What ``_salvage_value`` returns for a value that did not convert.
_FAILED: Any = object()


def _salvage(cls: type[T], data: Any, path: str, style: str, errors: list[StructureError]) -> T:
    if not isinstance(data, Mapping):
        errors.append(StructureError(path, f"expected an object, got {describe(data)}"))
        return _salvage(cls, {}, path, style, [])  # stand-ins: their keys were never given
    hints = _hints(cls)  # type: ignore[arg-type]
    fields = [f for f in attrs.fields(cls) if f.init]  # type: ignore[arg-type]
    known = {field_key(f, style): f for f in fields}
    for key in data:
        if key not in known:
            choices = ", ".join(sorted(known)) or "none"
            errors.append(
                StructureError(_join(path, str(key)), f"unknown key (known keys: {choices})")
            )
    kwargs: dict[str, Any] = {}
    for key, f in known.items():
        tp = hints[f.name]
        value = _FAILED
        if key in data:
            value = _salvage_value(tp, data[key], _join(path, key), style, errors)
            if value is _FAILED and data[key] is not None and _not_none(tp) is not tp:
                # An optional value written but wrong: a stand-in that counts as given
                # (a password stays given, so "give exactly one of ..." does not follow).
                value = _neutral(_not_none(tp), _join(path, key), style)
        elif f.default is attrs.NOTHING:
            errors.append(StructureError(_join(path, key), "required but missing"))
        if value is _FAILED and f.default is attrs.NOTHING:
            value = _neutral(tp, _join(path, key), style)
        if value is not _FAILED:  # else the field's own default
            kwargs[f.alias or f.name] = value
    try:
        return cls(**kwargs)
    except (ValueError, TypeError) as exc:
        errors.append(StructureError(path, str(exc)))
    # Stand-ins everywhere: the problem is noted; the checks after it find nothing more.
    stand_ins = {f.alias or f.name: _neutral(hints[f.name], path, style) for f in fields}
    try:
        return cls(**stand_ins)
    except (ValueError, TypeError):
        raise _StructureErrors(errors) from None


def _salvage_value(tp: Any, value: Any, path: str, style: str, errors: list[StructureError]) -> Any:
    """``value`` converted; else the problems noted and, where the value has the shape
    of a table or a list of them, each part salvaged on its own; else ``_FAILED``."""
    try:
        return _convert(tp, value, path, style)
    except StructureError as exc:
        failure = exc
    options = (
        typing.get_args(tp) if typing.get_origin(tp) in (types.UnionType, typing.Union) else (tp,)
    )
    for option in options:
        origin = typing.get_origin(option)
        if isinstance(option, type) and attrs.has(option) and isinstance(value, Mapping):
            return _salvage(option, value, path, style, errors)
        if origin in (list, tuple) and isinstance(value, list | tuple):
            item = typing.get_args(option)[0] if typing.get_args(option) else Any
            items = []
            for i, v in enumerate(value):
                converted = _salvage_value(item, v, _join(path, i), style, errors)
                items.append(
                    _neutral(item, _join(path, i), style) if converted is _FAILED else converted
                )
            return tuple(items) if origin is tuple else items
        if (origin in (dict, Mapping) or option in (dict, Mapping)) and isinstance(value, Mapping):
            if not all(isinstance(k, str) for k in value):
                break
            item = typing.get_args(option)[1] if len(typing.get_args(option)) == 2 else Any
            out = {}
            for k, v in value.items():
                converted = _salvage_value(item, v, _join(path, k), style, errors)
                # Kept with a stand-in: what names the key (a schedule) still finds it.
                out[k] = (
                    _neutral(item, _join(path, k), style) if converted is _FAILED else converted
                )
            return out
    errors.extend(each_error(failure))
    return _FAILED


def _not_none(tp: Any) -> Any:
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return options[0] if len(options) == 1 else tp
    return tp


def _neutral(tp: Any, path: str, style: str) -> Any:
    """A stand-in of type ``tp`` for a value that is missing or wrong."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return None if type(None) in args else _neutral(args[0], path, style)
    if origin is Literal:
        return args[0]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    if tp is re.Pattern or origin is re.Pattern:
        return re.compile("")
    if origin in (list, tuple) or tp in (list, tuple):
        return () if tuple in (origin, tp) else []
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return {}
    if isinstance(tp, type) and attrs.has(tp):
        return _salvage(tp, {}, path, style, [])
    neutral: dict[Any, Any] = {str: "", int: 0, float: 0.0, bool: False}
    return neutral.get(tp)


def _convert(tp: Any, value: Any, path: str, style: str) -> Any:
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        errors: list[StructureError] = []
        for option in options:
            try:
                return _convert(option, value, path, style)
            except StructureError as exc:
                errors.append(exc)
        # When the value has the shape of exactly one option (an object for an
        # attrs class), that option's error is the precise one.
        shaped = [e for o, e in zip(options, errors, strict=True) if _same_shape(o, value)]
        if len(options) == 1:
            raise errors[0]
        if len(shaped) == 1:
            raise shaped[0]
        raise StructureError(path, f"expected {_name_union(options)}, got {describe(value)}")
    if origin is Literal:
        if value not in args:
            allowed = ", ".join(describe(a) for a in args)
            raise StructureError(path, f"expected one of {allowed}, got {describe(value)}")
        return value
    if tp is type(None):
        if value is not None:
            raise StructureError(path, f"expected null, got {describe(value)}")
        return None
    if tp is bool:
        if not isinstance(value, bool):
            raise StructureError(path, f"expected true or false, got {describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise StructureError(path, f"expected an integer, got {describe(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StructureError(path, f"expected a number, got {describe(value)}")
        # Checked, never converted blindly: float() of a huge int overflows.
        if isinstance(value, int) and not -(2**53) <= value <= 2**53:
            raise StructureError(path, "number out of range")
        if not math.isfinite(value):
            raise StructureError(path, "NaN and infinities are not allowed")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise StructureError(path, f"expected a string, got {describe(value)}")
        return value
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(describe(m.value) for m in tp)
            raise StructureError(
                path, f"expected one of {allowed}, got {describe(value)}"
            ) from None
    if tp is re.Pattern or origin is re.Pattern:
        if not isinstance(value, str):
            raise StructureError(
                path, f"expected a regular expression string, got {describe(value)}"
            )
        try:
            return re.compile(value)
        except re.error as exc:
            raise StructureError(path, f"bad regular expression: {exc}") from None
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise StructureError(path, f"expected a list, got {describe(value)}")
        item = args[0] if args else Any
        items = []
        problems = Problems()
        for i, v in enumerate(value):
            with problems.check():
                items.append(_convert(item, v, _join(path, i), style))
        problems.raise_any()
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise StructureError(path, f"expected an object, got {describe(value)}")
        item = args[1] if len(args) == 2 else Any
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise StructureError(path, f"keys must be strings, got {describe(k)}")
            out[k] = _convert(item, v, _join(path, k), style)
        return out
    if isinstance(tp, type) and attrs.has(tp):
        return structure(tp, value, path, style=style)
    raise TypeError(f"structure() does not support {tp!r} at {path}")


def _same_shape(tp: Any, value: Any) -> bool:
    origin = typing.get_origin(tp)
    if isinstance(value, Mapping):
        return (isinstance(tp, type) and attrs.has(tp)) or origin in (dict, Mapping)
    if isinstance(value, list | tuple):
        return origin in (list, tuple)
    # For scalars the union's own message ("expected a string or ...") is clearest.
    return False


def _name_union(options: list[Any]) -> str:
    names = []
    for option in options:
        if option is str:
            names.append("a string")
        elif option is int:
            names.append("an integer")
        elif option is float:
            names.append("a number")
        elif option is bool:
            names.append("true or false")
        elif typing.get_origin(option) in (list, tuple):
            names.append("a list")
        else:
            names.append("an object")
    return " or ".join(dict.fromkeys(names))
