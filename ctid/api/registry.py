"""The method registry: every API method with its parameters, roles and handler.

Methods are declared next to their handlers (``api/methods/*.py``) with
``@registry.method(...)``. The declared parameter class (attrs, lowerCamel
keys on the wire) is both the validator of incoming params and the source of
the JSON Schema that ``rpc.discover`` publishes, so the documented interface
and the checked one cannot drift apart.

Every method also declares its access policy (``roles``, ``target`` and
``objects``, see ``api.policy``); the dispatcher enforces it before the
handler runs, with the object checks registered here by ``object_check``.
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal, TypeVar

import attrs

from ..structure import StructureError, field_key, structure
from .auth import Role
from .limits import DEFAULT_INPUT_LIMITS, InputLimitError, InputLimits, check_params
from .policy import EVERY, ObjectRef, Target, resolve
from .rpc import INVALID_PARAMS, RpcError

__all__ = ["ALL_ROLES", "MethodSpec", "ObjectCheck", "Registry", "json_schema"]

ALL_ROLES = frozenset(Role)
P = TypeVar("P")

Handler = Callable[[Any, Any], Awaitable[Any]]
#: Checks that a request's session may act on one object (the request context,
#: the object's id); raises ``CstaError``/``RpcError`` to refuse.
ObjectCheck = Callable[[Any, str], Awaitable[None]]


@attrs.frozen(kw_only=True)
class MethodSpec:
    name: str
    handler: Handler
    params: type | None
    roles: frozenset[Role]
    summary: str
    #: The kinds of object the method acts on (``Target.NONE``: the role alone decides).
    target: Target
    #: Where each object is in the params; checked before the handler runs.
    objects: tuple[ObjectRef, ...] = ()
    #: False only for ``session.login``/``session.resume``.
    login_required: bool = True
    #: Refuse a foreign object with -32005 (forbidden) instead of the CSTA
    #: ``privilegeViolationOnSpecifiedDevice``: what ``recording.*`` and
    #: ``report.*`` have always answered.
    refuse_as_forbidden: bool = False
    #: What the method answers: an annotation for ``json_schema`` or a JSON Schema
    #: dict; None: the handler's return annotation (``rpc.discover``).
    result: Any = None
    #: Errors the method answers besides the ones every method may
    #: (``rpc.discover``): (code, message) pairs.
    errors: tuple[tuple[int, str], ...] = ()

    def targets_of(self, params: Any) -> list[tuple[ObjectRef, str]]:
        """The objects a parsed request acts on, with their ids (absent optional ones left out)."""
        out = []
        for ref in self.objects:
            value = resolve(params, ref)
            if value is not None:
                out.append((ref, value))
        return out

    def parse_params(
        self, raw: dict[str, Any] | list[Any] | None, limits: InputLimits = DEFAULT_INPUT_LIMITS
    ) -> Any:
        """Validate ``raw`` into the parameter class; ``RpcError(-32602)`` names the problem.

        The input limits (valid Unicode, integer range, ``userData`` size) are
        checked first, over the whole of ``raw``, so no value is converted blindly.
        """
        try:
            check_params(raw, "params", limits)
        except InputLimitError as exc:
            raise RpcError(
                INVALID_PARAMS, f"invalid params: {exc}", {"path": exc.path, "problem": exc.problem}
            ) from None
        if self.params is None:
            if raw not in (None, {}, []):
                raise RpcError(INVALID_PARAMS, f"{self.name} takes no params")
            return None
        if raw is None:
            raw = {}
        if isinstance(raw, list):
            keys = [field_key(f, "camel") for f in attrs.fields(self.params) if f.init]
            if len(raw) > len(keys):
                raise RpcError(
                    INVALID_PARAMS, f"{self.name} takes at most {len(keys)} positional params"
                )
            raw = dict(zip(keys, raw, strict=False))
        try:
            return structure(self.params, raw, "params", style="camel")
        except StructureError as exc:
            raise RpcError(
                INVALID_PARAMS, f"invalid params: {exc}", {"path": exc.path, "problem": exc.problem}
            ) from None


class Registry:
    """Name -> ``MethodSpec``."""

    def __init__(self) -> None:
        self.methods: dict[str, MethodSpec] = {}
        #: How to check a session's right to each kind of object.
        self.checks: dict[Target, ObjectCheck] = {}

    def method(
        self,
        name: str,
        *,
        roles: frozenset[Role],
        target: Target,
        objects: tuple[ObjectRef, ...] = (),
        params: type | None = None,
        login_required: bool = True,
        refuse_as_forbidden: bool = False,
        result: Any = None,
        errors: tuple[tuple[int, str], ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Register a handler with its params class and its access policy.

        ``roles`` and ``target`` are required: a method without a policy does
        not load. ``objects`` must name exactly the kinds in ``target``, at
        paths that exist in ``params``.
        """
        declared = Target.NONE
        for ref in objects:
            declared |= ref.target
            _check_path(name, params, ref)
        if declared != target:
            raise ValueError(
                f"method {name}: target {target.label} but objects name {declared.label}"
            )
        if not roles:
            raise ValueError(f"method {name}: no role may call it")

        def register(handler: Handler) -> Handler:
            if name in self.methods:
                raise ValueError(f"method {name} registered twice")
            doc = (handler.__doc__ or "").strip().split("\n\n")[0]
            self.methods[name] = MethodSpec(
                name=name,
                handler=handler,
                params=params,
                roles=roles,
                summary=" ".join(doc.split()),
                target=target,
                objects=objects,
                login_required=login_required,
                refuse_as_forbidden=refuse_as_forbidden,
                result=result,
                errors=errors,
            )
            return handler

        return register

    def object_check(self, target: Target) -> Callable[[ObjectCheck], ObjectCheck]:
        """Register how a session's right to one kind of object is checked."""

        def register(check: ObjectCheck) -> ObjectCheck:
            if target in self.checks:
                raise ValueError(f"a check for {target.label} is registered twice")
            self.checks[target] = check
            return check

        return register

    def get(self, name: str) -> MethodSpec | None:
        return self.methods.get(name)


def _check_path(name: str, params: type | None, ref: ObjectRef) -> None:
    """Fail at import, not at the first request, when a policy names a missing param."""
    if ref.path == EVERY:
        return
    cls: Any = params
    for key in ref.path.split("."):
        if cls is None or not attrs.has(cls):
            raise ValueError(f"method {name}: no params field {ref.path!r}")
        hints = typing.get_type_hints(cls)
        found = [f for f in attrs.fields(cls) if field_key(f, "camel") == key]
        if not found:
            raise ValueError(f"method {name}: no params field {ref.path!r}")
        cls = next(
            (a for a in _options(hints[found[0].name]) if attrs.has(a)),
            None,
        )


def _options(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        return typing.get_args(tp)
    return (tp,)


def json_schema(tp: Any) -> dict[str, Any]:
    """A JSON Schema for an annotation supported by ``structure`` (for ``rpc.discover``)."""
    if tp is Any:
        return {}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        options = [json_schema(a) for a in args]
        return {"anyOf": options}
    if origin is Literal:
        return {"enum": list(args)}
    if tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if tp is re.Pattern or origin is re.Pattern:
        return {"type": "string", "format": "regex"}
    if origin in (tuple, list):
        return {"type": "array", "items": json_schema(args[0]) if args else {}}
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        return {
            "type": "object",
            "additionalProperties": json_schema(args[1]) if len(args) == 2 else {},
        }
    if isinstance(tp, type) and attrs.has(tp):
        hints = typing.get_type_hints(tp)
        props = {}
        required = []
        for f in attrs.fields(tp):
            if not f.init:
                continue
            key = field_key(f, "camel")
            schema = json_schema(hints[f.name])
            doc = f.metadata.get("doc")
            if doc:
                schema["description"] = doc
            props[key] = schema
            if f.default is attrs.NOTHING:
                required.append(key)
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            out["required"] = required
        return out
    raise TypeError(f"no JSON Schema for {tp!r}")
