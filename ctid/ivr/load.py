"""Flow files into checked ``Flow`` values, with every problem named by file, node and problem.

Two stages. The JSON Schema (``flow.schema.json``, published in the docs)
checks the shape of the document. Then ``check_flow`` checks what a schema
cannot: that every node a node leads to exists, queues and databases are
known, every ``${variable}`` is defined somewhere, every node can be reached,
prompts exist in every language of the flow, files exist, patterns compile,
the on-hangup handler does not talk to a caller who has gone, and no cycle of
nodes can spin without ever waiting for the caller.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from . import templates
from .flow import (
    ANY_LANGUAGE,
    CompareNode,
    FilePrompt,
    Flow,
    LanguageNode,
    LookupNode,
    Node,
    QueueNode,
    RecordNode,
    SayNode,
    Tts,
    build_flow,
)
from .say import LANGUAGES as SAY_LANGUAGES
from .say import vocabulary

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "FLOW_SUFFIXES",
    "FlowError",
    "FlowProblem",
    "KnownNames",
    "check_flow",
    "flow_schema",
    "load_flow_file",
    "load_flow_text",
]

FLOW_SUFFIXES: Final = (".json", ".yaml", ".yml")
#: Flow files larger than this are refused (a flow is a few kilobytes).
MAX_FLOW_BYTES: Final = 1 << 20


@attrs.frozen(kw_only=True)
class FlowProblem:
    """One problem: the file, the node (None: the flow as a whole) and what is wrong."""

    file: str
    node: str | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: node {self.node}" if self.node else self.file
        return f"{where}: {self.problem}"

    def to_wire(self) -> dict[str, Any]:
        return {"file": self.file, "node": self.node, "problem": self.problem}


class FlowError(ValueError):
    """A flow file was refused; ``problems`` lists every reason found."""

    def __init__(self, problems: list[FlowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@attrs.frozen(kw_only=True)
class KnownNames:
    """What exists outside the flow, for the checks."""

    queue_exists: Callable[[str], bool] = lambda name: False
    databases: frozenset[str] = frozenset()
    #: Languages the IVR can speak (``say`` and TTS).
    languages: frozenset[str] = frozenset(SAY_LANGUAGES)


@cache
def flow_schema() -> dict[str, Any]:
    """The published JSON Schema of flow files."""
    text = resources.files("ctid.ivr").joinpath("flow.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_flow_file(path: Path, known: KnownNames) -> Flow:
    """Read, validate and check one flow file; ``FlowError`` says everything wrong with it."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problem = FlowProblem(file=file, node=None, problem=f"cannot read: {exc}")
        raise FlowError([problem]) from None
    fmt = "json" if path.suffix == ".json" else "yaml"
    return load_flow_text(data, fmt=fmt, file=file, name=path.stem, known=known)


def load_flow_text(data: bytes | str, *, fmt: str, file: str, name: str, known: KnownNames) -> Flow:
    """Validate and check a flow given as text (``fmt`` ``json`` or ``yaml``)."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_FLOW_BYTES:
        raise FlowError([FlowProblem(file=file, node=None, problem="larger than 1 MiB")])
    doc = _parse(raw, fmt, file)
    problems = list(_schema_problems(doc, file))
    if problems:
        raise FlowError(problems)
    version = hashlib.sha256(raw).hexdigest()[:12]
    flow = build_flow(doc, name=name, version=version, file=file)
    problems = check_flow(flow, known)
    if problems:
        raise FlowError(problems)
    return flow


def _parse(raw: bytes, fmt: str, file: str) -> Any:
    # PyYAML and jsonschema are imported when a flow is read, not with this module:
    # ~0.15 s that a ctid with no IVR flow (``ctid simulate``) would pay at start.
    import yaml

    try:
        if fmt == "json":
            return json.loads(raw)
        # safe_load: a flow file never builds Python objects.
        return yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if fmt == "json" else "YAML"
        detail = " ".join(str(exc).split())
        problem = FlowProblem(file=file, node=None, problem=f"not valid {kind}: {detail}")
        raise FlowError([problem]) from None


def _schema_problems(doc: Any, file: str) -> Iterable[FlowProblem]:
    import jsonschema  # see _parse

    validator = jsonschema.Draft202012Validator(flow_schema())
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        path = list(error.absolute_path)
        node = str(path[1]) if len(path) >= 2 and path[0] == "nodes" else None
        inner = path[2:] if node is not None else path
        where = ".".join(str(p) for p in inner)
        message = _schema_message(error)
        yield FlowProblem(file=file, node=node, problem=f"{where}: {message}" if where else message)


def _schema_message(error: jsonschema.ValidationError) -> str:
    import jsonschema  # see _parse

    # For oneOf/if-then the most specific sub-error says the most.
    best = jsonschema.exceptions.best_match([error, *(error.context or [])])
    if best.validator == "additionalProperties" and best is not error:
        return str(best.message)
    return str(error.message if not error.context else best.message)


# ---------------------------------------------------------------- semantic checks


def check_flow(flow: Flow, known: KnownNames) -> list[FlowProblem]:
    """Everything the schema cannot check; an empty list means the flow is good."""
    out: list[FlowProblem] = []
    file = flow.file

    def problem(node: str | None, text: str) -> None:
        out.append(FlowProblem(file=file, node=node, problem=text))

    nodes = flow.nodes
    for field, target in (
        ("start", flow.start),
        ("on_hangup", flow.on_hangup),
        ("on_error", flow.on_error),
        ("on_fax", flow.on_fax),
    ):
        if target is not None and target not in nodes:
            problem(None, f"{field}: no node {target!r}")
    for lang in (flow.language, *flow.languages):
        if lang not in known.languages:
            problem(None, f"language {lang!r} is not spoken here (known: {_list(known.languages)})")
    if flow.language not in flow.languages:
        problem(None, f"language {flow.language!r} is not in languages")
    defined = set(templates.BUILTINS) | set(flow.variables)
    for node in nodes.values():
        defined.update(node.assigns())
    for var in flow.user_data:
        if var not in defined:
            problem(None, f"user_data: variable {var!r} is never set")
    for node in nodes.values():
        for field, target in node.targets():
            if target not in nodes:
                problem(node.name, f"{field}: no node {target!r}")
        for field, text in node.templates():
            try:
                for var in templates.names(text):
                    if not var.startswith(templates.USER_DATA_PREFIX) and var not in defined:
                        problem(node.name, f"{field}: undefined variable ${{{var}}}")
            except templates.TemplateError as exc:
                problem(node.name, f"{field}: {exc}")
        for var in node.assigns():
            if var in templates.BUILTINS:
                problem(node.name, f"cannot set the built-in variable {var}")
        for field, prompt in node.prompts():
            for item in prompt:
                if isinstance(item, Tts | FilePrompt):
                    texts = item.text if isinstance(item, Tts) else item.path
                    missing = [
                        lang
                        for lang in flow.languages
                        if lang not in texts and ANY_LANGUAGE not in texts
                    ]
                    if missing:
                        problem(node.name, f"{field}: no prompt in {_list(missing)}")
                if isinstance(item, FilePrompt):
                    for path in item.path.values():
                        if not Path(path).is_file():
                            problem(node.name, f"{field}: no prompt file {path}")
        out.extend(_node_checks(flow, node, known))
    if flow.say_pieces is not None and any(isinstance(n, SayNode) for n in nodes.values()):
        out.extend(_missing_pieces(flow))
    if not any("no node" in p.problem for p in out):
        # With a dangling reference, every node after it would be "unreachable" too.
        out.extend(_reachability(flow))
    out.extend(_spin_loops(flow))
    return out


def _missing_pieces(flow: Flow) -> Iterable[FlowProblem]:
    assert flow.say_pieces is not None
    for language in flow.languages:
        folder = Path(flow.say_pieces) / language
        missing = sorted(p for p in vocabulary(language) if not (folder / f"{p}.wav").is_file())
        if missing:
            shown = ", ".join(missing[:8]) + (
                f" and {len(missing) - 8} more" if len(missing) > 8 else ""
            )
            yield FlowProblem(
                file=flow.file, node=None, problem=f"say_pieces: {folder} lacks {shown}"
            )


def _node_checks(flow: Flow, node: Node, known: KnownNames) -> Iterable[FlowProblem]:
    file = flow.file

    def problem(text: str) -> FlowProblem:
        return FlowProblem(file=file, node=node.name, problem=text)

    match node:
        case QueueNode():
            if not known.queue_exists(node.queue):
                yield problem(f"unknown queue {node.queue!r}")
        case RecordNode(mailbox=("queue", box)) if not known.queue_exists(box):
            yield problem(f"mailbox: unknown queue {box!r}")
        case LookupNode(sql=sql) if sql is not None and sql.database not in known.databases:
            names = _list(known.databases) or "none configured in [ivr.databases]"
            yield problem(f"sql.database: unknown database {sql.database!r} (known: {names})")
        case LanguageNode():
            for lang in node.cycle:
                if lang not in flow.languages:
                    yield problem(f"cycle: {lang!r} is not one of the flow's languages")
            if node.set is not None and "${" not in node.set and node.set not in flow.languages:
                yield problem(f"set: {node.set!r} is not one of the flow's languages")
        case CompareNode():
            yield from (problem(p) for p in _compare_problems(node))
        case SayNode(currency=currency) if currency is not None and node.as_ != "money":
            yield problem("currency: only for as: money")
        case _:
            pass
    pattern = getattr(node, "pattern", None)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            yield problem(f"pattern: bad regular expression: {exc}")
    lo, hi = getattr(node, "min_length", None), getattr(node, "max_length", None)
    if lo is not None and hi is not None and lo > hi:
        yield problem(f"min_length {lo} is more than max_length {hi}")


def _compare_problems(node: CompareNode) -> Iterable[str]:
    to = node.to
    if node.op == "in":
        if not isinstance(to, list):
            yield "to: op in needs a list"
    elif node.op == "time_between":
        if not (isinstance(to, list) and len(to) == 2 and all(_is_hhmm(t) for t in to)):
            yield 'to: op time_between needs ["HH:MM", "HH:MM"]'
    elif node.op == "regex":
        if not isinstance(to, str):
            yield "to: op regex needs a regular expression"
        else:
            try:
                re.compile(to)
            except re.error as exc:
                yield f"to: bad regular expression: {exc}"
    elif not isinstance(to, str | int | float) or isinstance(to, bool):
        yield f"to: op {node.op} needs a string or a number"


def _is_hhmm(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value) is not None


def _reachability(flow: Flow) -> Iterable[FlowProblem]:
    roots = [
        n for n in (flow.start, flow.on_hangup, flow.on_error, flow.on_fax) if n and n in flow.nodes
    ]
    seen = _closure(flow.nodes, roots)
    for name in flow.nodes:
        if name not in seen:
            yield FlowProblem(file=flow.file, node=name, problem="unreachable: no node leads here")
    if flow.on_hangup is not None and flow.on_hangup in flow.nodes:
        for name in sorted(_closure(flow.nodes, [flow.on_hangup])):
            node = flow.nodes[name]
            if not node.after_hangup:
                yield FlowProblem(
                    file=flow.file,
                    node=name,
                    problem=f"a {node.kind} node cannot run after the caller hung up "
                    "(on_hangup leads here; use set, compare, lookup and hangup)",
                )


def _closure(nodes: Mapping[str, Node], roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in nodes:
            continue
        seen.add(name)
        todo.extend(target for _, target in nodes[name].targets())
    return seen


def _spin_loops(flow: Flow) -> Iterable[FlowProblem]:
    """Cycles made only of nodes that never wait (set, compare, language) spin forever."""
    spinning = {
        n: [t for _, t in node.targets() if t in flow.nodes]
        for n, node in flow.nodes.items()
        if isinstance(node, CompareNode | LanguageNode) or node.kind == "set"
    }
    state: dict[str, int] = {}
    reported: set[str] = set()

    def visit(name: str, stack: list[str]) -> Iterable[FlowProblem]:
        state[name] = 1
        stack.append(name)
        for target in spinning[name]:
            if target not in spinning:
                continue
            if state.get(target) == 1:
                cycle = stack[stack.index(target) :]
                if not reported.intersection(cycle):
                    reported.update(cycle)
                    yield FlowProblem(
                        file=flow.file,
                        node=target,
                        problem="loop without waiting for the caller: "
                        + " -> ".join([*cycle, target]),
                    )
            elif target not in state:
                yield from visit(target, stack)
        stack.pop()
        state[name] = 2

    for name in sorted(spinning):
        if name not in state:
            yield from visit(name, [])


def _list(items: Iterable[str]) -> str:
    return ", ".join(sorted(items))
