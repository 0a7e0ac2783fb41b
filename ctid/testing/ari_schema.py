"""Check ARI requests and event payloads against Asterisk's own API descriptions.

Asterisk publishes its REST interface as Swagger 1.2 resource files
(``rest-api/api-docs/*.json`` in its source tree). ``AriSchema.load`` reads a
directory of them; then

* ``AriSchema.check_request`` says whether a request (method, path under
  ``/ari``, query, JSON body) names a real operation with the right parameter
  names, types, allowed values and required parameters, and
* ``AriSchema.check_model`` / ``AriSchema.check_event`` say whether a JSON
  value fits a model (required fields present, no unknown field, field types).

Both the unit tests (every request the driver can build) and the fake Asterisk
(every request it receives, every event it sends) use it, so it lives here
beside the fake. The API descriptions are Asterisk's (GPL-2.0); ctid does not ship
them, callers pass the directory they keep them in (ctid's tests use
``tests/fixtures/ari/api-docs``).

The checks are deliberately stricter than Asterisk in one way: an unknown query
parameter is an error, where Asterisk ignores it. A misspelt parameter is
a bug in ctid that Asterisk would silently drop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import attrs

__all__ = [
    "AriSchema",
    "CheckedRequest",
    "Operation",
    "Parameter",
    "RequestError",
]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{4}|Z)?$")
_INT_RE = re.compile(r"^-?\d+$")
_DOUBLE_RE = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_LIST_RE = re.compile(r"^List\[(.+)\]$")
_PRIMITIVES = frozenset({"string", "int", "long", "double", "boolean", "Date", "object"})


@attrs.frozen
class Parameter:
    """One parameter of an operation, as the API description declares it."""

    name: str
    param_type: str  # "path", "query" or "body"
    data_type: str
    required: bool
    allow_multiple: bool
    allowed_values: tuple[str, ...] | None
    minimum: float | None
    maximum: float | None


@attrs.frozen
class Operation:
    """One REST operation: ``(method, path template)`` and its parameters."""

    resource: str  # "channels", "bridges", ...
    nickname: str  # "originateWithId", ...
    method: str
    path: str  # "/channels/{channelId}"
    parameters: tuple[Parameter, ...]
    response_class: str

    @property
    def name(self) -> str:
        """``resource.nickname``, the name the REST builders tag requests with."""
        return f"{self.resource}.{self.nickname}"

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.strip("/").split("/"))


@attrs.frozen
class CheckedRequest:
    """A request that fits its operation: the operation and its path parameters."""

    operation: Operation
    path_params: Mapping[str, str]


class RequestError(Exception):
    """A request that does not fit the API: ``status`` and ``message`` as Asterisk would answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _parameter(raw: Mapping[str, Any]) -> Parameter:
    allowed = raw.get("allowableValues") or {}
    values: tuple[str, ...] | None = None
    minimum = maximum = None
    if allowed.get("valueType") == "LIST":
        values = tuple(allowed["values"])
    elif allowed.get("valueType") == "RANGE":
        minimum = allowed.get("min")
        maximum = allowed.get("max")
    return Parameter(
        name=raw["name"],
        param_type=raw["paramType"],
        data_type=raw["dataType"],
        # endpoints.json leaves "required" out of its path parameters; a path
        # parameter is always required.
        required=bool(raw.get("required")) or raw["paramType"] == "path",
        allow_multiple=bool(raw.get("allowMultiple")),
        allowed_values=values,
        minimum=minimum,
        maximum=maximum,
    )


class AriSchema:
    """The operations and models of one set of ARI API descriptions."""

    def __init__(
        self, operations: Iterable[Operation], models: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self.operations: tuple[Operation, ...] = tuple(operations)
        self.models: Mapping[str, Mapping[str, Any]] = dict(models)
        self._by_name = {op.name: op for op in self.operations}

    @classmethod
    def load(cls, directory: Path | str) -> AriSchema:
        """Read every ``*.json`` resource file in ``directory``."""
        operations: list[Operation] = []
        models: dict[str, Mapping[str, Any]] = {}
        for file in sorted(Path(directory).glob("*.json")):
            doc = json.loads(file.read_text(encoding="utf-8"))
            resource = file.stem
            for api in doc.get("apis", []):
                for op in api.get("operations", []):
                    operations.append(
                        Operation(
                            resource=resource,
                            nickname=op["nickname"],
                            method=op["httpMethod"],
                            path=api["path"],
                            parameters=tuple(_parameter(p) for p in op.get("parameters", [])),
                            response_class=op.get("responseClass", "void"),
                        )
                    )
            models.update(doc.get("models", {}))
        if not operations:
            raise ValueError(f"no ARI API descriptions in {directory}")
        return cls(operations, models)

    def operation(self, name: str) -> Operation:
        """The operation called ``resource.nickname`` (KeyError if there is none)."""
        return self._by_name[name]

    # ------------------------------------------------------------------ requests

    def match(self, method: str, path: str) -> CheckedRequest:
        """Find the operation for ``method`` and ``path`` (relative to ``/ari``).

        A literal segment beats a ``{parameter}``: ``POST /channels/create`` is
        ``create``, not ``originateWithId`` with the id ``create``.
        """
        segments = tuple(unquote(s) for s in path.strip("/").split("/"))
        best: list[tuple[int, Operation, dict[str, str]]] = []
        for op in self.operations:
            template = op.segments
            if len(template) != len(segments):
                continue
            params: dict[str, str] = {}
            literal = 0
            for want, got in zip(template, segments, strict=True):
                if want.startswith("{") and want.endswith("}"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                elif want == got:
                    literal += 1
                else:
                    break
            else:
                best.append((literal, op, params))
        if not best:
            raise RequestError(404, "Resource not found")
        top = max(score for score, _, _ in best)
        candidates = [(op, params) for score, op, params in best if score == top]
        for op, params in candidates:
            if op.method == method:
                return CheckedRequest(operation=op, path_params=params)
        raise RequestError(405, "Method Not Allowed")

    def check_request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]],
        body: Any = None,
    ) -> CheckedRequest:
        """Check a whole request; raise ``RequestError`` as Asterisk would answer it."""
        checked = self.match(method, path)
        op = checked.operation
        declared = {p.name: p for p in op.parameters}
        seen: set[str] = set()
        for name, value in query:
            param = declared.get(name)
            if param is None or param.param_type != "query":
                raise RequestError(400, f"Unknown parameter {name!r} for {op.name}")
            if name in seen:
                raise RequestError(400, f"Parameter {name!r} given twice")
            seen.add(name)
            values = value.split(",") if param.allow_multiple else [value]
            for item in values:
                problem = _check_scalar(param, item)
                if problem:
                    raise RequestError(400, problem)
        body_params = [p for p in op.parameters if p.param_type == "body"]
        if body is not None:
            if not body_params:
                raise RequestError(400, f"{op.name} takes no body")
            if not isinstance(body, dict):
                raise RequestError(400, "Request body must be a JSON object")
            for key, value in body.items():
                bparam = next((p for p in body_params if p.name == key), None)
                if bparam is None:
                    raise RequestError(400, f"Unknown body field {key!r} for {op.name}")
                if bparam.data_type == "containers" and (
                    not isinstance(value, dict)
                    or not all(isinstance(v, str) for v in value.values())
                ):
                    raise RequestError(400, f"{key} must be an object of strings")
        for param in op.parameters:
            if not param.required:
                continue
            if param.param_type == "query" and param.name not in seen:
                raise RequestError(
                    400, f"{param.name[:1].upper()}{param.name[1:]} must be specified"
                )
            if param.param_type == "body" and (
                not isinstance(body, dict) or param.name not in body
            ):
                raise RequestError(400, f"{param.name} must be specified in the body")
        return checked

    # -------------------------------------------------------------------- models

    def check_event(self, event: Any) -> list[str]:
        """Problems with one WebSocket message (an ``Event`` subtype); empty if it fits."""
        if not isinstance(event, dict):
            return ["message is not a JSON object"]
        kind = event.get("type")
        base = self.models["Event"]
        if kind == "MissingParams":
            return self._check_object(event, ["Message", "MissingParams"], "$")
        if not isinstance(kind, str) or kind not in base.get("subTypes", []):
            return [f"$.type: {kind!r} is not an Event subtype"]
        return self._check_object(event, ["Message", "Event", kind], "$")

    def check_model(self, model: str, value: Any, where: str = "$") -> list[str]:
        """Problems with ``value`` as an instance of ``model``; empty if it fits."""
        return self._check_value(model, value, where)

    def _check_object(self, value: Mapping[str, Any], chain: list[str], where: str) -> list[str]:
        props: dict[str, Mapping[str, Any]] = {}
        for name in chain:
            props.update(self.models[name].get("properties", {}))
        problems = [f"{where}: unknown field {key!r}" for key in value if key not in props]
        for key, spec in props.items():
            if key not in value:
                if spec.get("required") is True:
                    problems.append(f"{where}: missing required field {key!r}")
                continue
            problems.extend(self._check_value(spec["type"], value[key], f"{where}.{key}"))
            allowed = (spec.get("allowableValues") or {}).get("values")
            if allowed is not None and value[key] not in allowed:
                problems.append(f"{where}.{key}: {value[key]!r} not in {allowed}")
        return problems

    def _check_value(self, type_name: str, value: Any, where: str) -> list[str]:
        list_of = _LIST_RE.match(type_name)
        if list_of:
            if not isinstance(value, list):
                return [f"{where}: expected a list"]
            out: list[str] = []
            for i, item in enumerate(value):
                out.extend(self._check_value(list_of.group(1), item, f"{where}[{i}]"))
            return out
        if type_name in _PRIMITIVES:
            return _check_primitive(type_name, value, where)
        if type_name not in self.models:
            return [f"{where}: unknown model {type_name!r}"]
        if not isinstance(value, dict):
            return [f"{where}: expected a {type_name} object"]
        return self._check_object(value, [type_name], where)


def _check_primitive(type_name: str, value: Any, where: str) -> list[str]:
    ok: bool
    if type_name == "string":
        ok = isinstance(value, str)
    elif type_name in ("int", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif type_name == "double":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif type_name == "boolean":
        ok = isinstance(value, bool)
    elif type_name == "Date":
        ok = isinstance(value, str) and bool(_DATE_RE.match(value))
    else:  # object
        ok = isinstance(value, dict)
    return [] if ok else [f"{where}: {value!r} is not a {type_name}"]


def _check_scalar(param: Parameter, value: str) -> str | None:
    kind = param.data_type
    if kind in ("int", "long"):
        if not _INT_RE.match(value):
            return f"{param.name} must be an integer, not {value!r}"
        number: float = int(value)
    elif kind == "double":
        if not _DOUBLE_RE.match(value):
            return f"{param.name} must be a number, not {value!r}"
        number = float(value)
    elif kind == "boolean":
        if value not in ("true", "false"):
            return f"{param.name} must be true or false, not {value!r}"
        return None
    else:
        if param.allowed_values is not None and value not in param.allowed_values:
            return f"{param.name} must be one of {', '.join(param.allowed_values)}, not {value!r}"
        return None
    if param.minimum is not None and number < param.minimum:
        return f"{param.name} must be at least {param.minimum}"
    if param.maximum is not None and number > param.maximum:
        return f"{param.name} must be at most {param.maximum}"
    return None
