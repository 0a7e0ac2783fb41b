"""The values a flow file becomes: a ``Flow`` of named nodes, each a frozen value.

``build_flow`` turns a document that has passed the JSON Schema
(``flow.schema.json``) into these values; ``load`` adds the checks a schema
cannot make. Each node says which nodes it leads to (``targets``), which
templates it fills (``templates``) and which variables it sets (``assigns``),
so the checks need no per-type code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

import attrs

__all__ = [
    "ANY_LANGUAGE",
    "AgentNode",
    "CollectNode",
    "CompareNode",
    "FilePrompt",
    "Flow",
    "HangupNode",
    "LanguageNode",
    "LookupNode",
    "MenuNode",
    "Node",
    "PlayNode",
    "PromptItem",
    "QueueNode",
    "RecordNode",
    "SayNode",
    "SetNode",
    "Silence",
    "Sound",
    "TransferNode",
    "Tts",
    "VoicemailNode",
    "build_flow",
]

#: Key of a localized text that is the same in every language.
ANY_LANGUAGE: Final = "*"

Localized = Mapping[str, str]


def _localized(value: str | Mapping[str, str]) -> Localized:
    return {ANY_LANGUAGE: value} if isinstance(value, str) else dict(value)


def pick(text: Localized, language: str, fallback: str) -> str | None:
    """The text for ``language``; else the same-for-all text; else ``fallback``'s."""
    for key in (language, ANY_LANGUAGE, fallback):
        if key in text:
            return text[key]
    return None


# --------------------------------------------------------------------- prompts


@attrs.frozen(kw_only=True)
class Tts:
    """Text spoken by the TTS engine in the caller's language."""

    text: Localized


@attrs.frozen(kw_only=True)
class FilePrompt:
    """A recorded prompt (a WAV file); paths are absolute once loaded."""

    path: Localized


@attrs.frozen(kw_only=True)
class Sound:
    """A prompt from the switch's own library, by name."""

    name: str


@attrs.frozen(kw_only=True)
class Silence:
    seconds: float


PromptItem = Tts | FilePrompt | Sound | Silence
Prompt = tuple[PromptItem, ...]


def _prompt(value: Any, base: Path) -> Prompt:
    items = value if isinstance(value, list) else [value]
    out: list[PromptItem] = []
    for item in items:
        if isinstance(item, str):
            out.append(Tts(text=_localized(item)))
        elif "tts" in item:
            out.append(Tts(text=_localized(item["tts"])))
        elif "file" in item:
            paths = _localized(item["file"])
            out.append(FilePrompt(path={k: str((base / v).resolve()) for k, v in paths.items()}))
        elif "sound" in item:
            out.append(Sound(name=item["sound"]))
        else:
            out.append(Silence(seconds=float(item["silence"])))
    return tuple(out)


def prompt_templates(prompt: Prompt) -> Iterator[str]:
    for item in prompt:
        if isinstance(item, Tts):
            yield from item.text.values()


# ----------------------------------------------------------------------- nodes


@attrs.frozen(kw_only=True)
class Node:
    """Base of nodes. ``kind`` is the ``type`` in the file."""

    kind: ClassVar[str] = ""
    #: Waits for the caller (plays, listens or records): resets the loop guard.
    waits: ClassVar[bool] = False
    #: Allowed in the on-hangup handler (no caller to talk to any more).
    after_hangup: ClassVar[bool] = False
    name: str

    def targets(self) -> Iterator[tuple[str, str]]:
        """(field, node name) for every node this one can lead to."""
        return iter(())

    def templates(self) -> Iterator[tuple[str, str]]:
        """(field, template) for every template this node fills in."""
        return iter(())

    def assigns(self) -> Iterator[str]:
        """Variables this node sets."""
        return iter(())

    def prompts(self) -> Iterator[tuple[str, Prompt]]:
        return iter(())


@attrs.frozen(kw_only=True)
class PlayNode(Node):
    kind: ClassVar[str] = "play"
    waits: ClassVar[bool] = True
    prompt: Prompt
    barge_in: bool = False
    next: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next

    def templates(self) -> Iterator[tuple[str, str]]:
        for t in prompt_templates(self.prompt):
            yield "prompt", t

    def prompts(self) -> Iterator[tuple[str, Prompt]]:
        yield "prompt", self.prompt


@attrs.frozen(kw_only=True)
class MenuNode(Node):
    kind: ClassVar[str] = "menu"
    waits: ClassVar[bool] = True
    prompt: Prompt
    choices: Mapping[str, str]
    timeout: float = 5.0
    retries: int = 2
    no_input_prompt: Prompt = ()
    invalid_prompt: Prompt = ()
    on_failure: str | None = None
    store: str | None = None
    barge_in: bool = True

    def targets(self) -> Iterator[tuple[str, str]]:
        for digit, target in self.choices.items():
            yield f"choices.{digit}", target
        if self.on_failure is not None:
            yield "on_failure", self.on_failure

    def templates(self) -> Iterator[tuple[str, str]]:
        for field, prompt in self.prompts():
            for t in prompt_templates(prompt):
                yield field, t

    def assigns(self) -> Iterator[str]:
        if self.store:
            yield self.store

    def prompts(self) -> Iterator[tuple[str, Prompt]]:
        yield "prompt", self.prompt
        yield "no_input_prompt", self.no_input_prompt
        yield "invalid_prompt", self.invalid_prompt


@attrs.frozen(kw_only=True)
class CollectNode(Node):
    kind: ClassVar[str] = "collect"
    waits: ClassVar[bool] = True
    variable: str
    prompt: Prompt = ()
    min_length: int = 1
    max_length: int = 20
    terminator: str = "#"
    first_digit_timeout: float = 10.0
    inter_digit_timeout: float = 5.0
    pattern: str | None = None
    retries: int = 2
    invalid_prompt: Prompt = ()
    on_failure: str | None = None
    next: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next
        if self.on_failure is not None:
            yield "on_failure", self.on_failure

    def templates(self) -> Iterator[tuple[str, str]]:
        for field, prompt in self.prompts():
            for t in prompt_templates(prompt):
                yield field, t

    def assigns(self) -> Iterator[str]:
        yield self.variable

    def prompts(self) -> Iterator[tuple[str, Prompt]]:
        yield "prompt", self.prompt
        yield "invalid_prompt", self.invalid_prompt


@attrs.frozen(kw_only=True)
class SayNode(Node):
    kind: ClassVar[str] = "say"
    waits: ClassVar[bool] = True
    value: str
    as_: str = attrs.field(alias="as_")
    currency: str | None = None
    barge_in: bool = False
    next: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next

    def templates(self) -> Iterator[tuple[str, str]]:
        yield "value", self.value


@attrs.frozen(kw_only=True)
class LanguageNode(Node):
    kind: ClassVar[str] = "language"
    set: str | None = None
    cycle: tuple[str, ...] = ()
    next: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next

    def templates(self) -> Iterator[tuple[str, str]]:
        if self.set is not None:
            yield "set", self.set


@attrs.frozen(kw_only=True)
class HttpRequest:
    url: str
    method: str = "GET"
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: Mapping[str, str] | None = None


@attrs.frozen(kw_only=True)
class SqlQuery:
    database: str
    query: str
    params: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class LookupNode(Node):
    kind: ClassVar[str] = "lookup"
    after_hangup: ClassVar[bool] = True
    http: HttpRequest | None = None
    sql: SqlQuery | None = None
    timeout: float = 3.0
    map: Mapping[str, str] = attrs.field(factory=dict)
    next: str
    on_error: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next
        yield "on_error", self.on_error

    def templates(self) -> Iterator[tuple[str, str]]:
        if self.http is not None:
            yield "http.url", self.http.url
            for k, v in self.http.headers.items():
                yield f"http.headers.{k}", v
            for k, v in (self.http.body or {}).items():
                yield f"http.body.{k}", v
        if self.sql is not None:
            for k, v in self.sql.params.items():
                yield f"sql.params.{k}", v

    def assigns(self) -> Iterator[str]:
        yield from self.map


@attrs.frozen(kw_only=True)
class CompareNode(Node):
    kind: ClassVar[str] = "compare"
    after_hangup: ClassVar[bool] = True
    value: str
    op: str
    to: Any = None
    then: str
    else_: str = attrs.field(alias="else_")

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "then", self.then
        yield "else", self.else_

    def templates(self) -> Iterator[tuple[str, str]]:
        yield "value", self.value
        if isinstance(self.to, str):
            yield "to", self.to


@attrs.frozen(kw_only=True)
class SetNode(Node):
    kind: ClassVar[str] = "set"
    after_hangup: ClassVar[bool] = True
    values: Mapping[str, Any]
    next: str

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next

    def templates(self) -> Iterator[tuple[str, str]]:
        for k, v in self.values.items():
            if isinstance(v, str):
                yield f"values.{k}", v

    def assigns(self) -> Iterator[str]:
        yield from self.values


@attrs.frozen(kw_only=True)
class QueueNode(Node):
    kind: ClassVar[str] = "queue"
    queue: str
    priority: int = 0
    data: Mapping[str, str] = attrs.field(factory=dict)
    on_failure: str | None = None

    def targets(self) -> Iterator[tuple[str, str]]:
        if self.on_failure is not None:
            yield "on_failure", self.on_failure

    def templates(self) -> Iterator[tuple[str, str]]:
        for k, v in self.data.items():
            yield f"data.{k}", v


@attrs.frozen(kw_only=True)
class AgentNode(Node):
    kind: ClassVar[str] = "agent"
    agent: str
    on_failure: str | None = None

    def targets(self) -> Iterator[tuple[str, str]]:
        if self.on_failure is not None:
            yield "on_failure", self.on_failure

    def templates(self) -> Iterator[tuple[str, str]]:
        yield "agent", self.agent


@attrs.frozen(kw_only=True)
class TransferNode(Node):
    kind: ClassVar[str] = "transfer"
    to: str
    on_failure: str | None = None

    def targets(self) -> Iterator[tuple[str, str]]:
        if self.on_failure is not None:
            yield "on_failure", self.on_failure

    def templates(self) -> Iterator[tuple[str, str]]:
        yield "to", self.to


@attrs.frozen(kw_only=True)
class RecordNode(Node):
    """Record the caller into a file; ``variable`` gets its path."""

    kind: ClassVar[str] = "record"
    waits: ClassVar[bool] = True
    variable: str | None
    prompt: Prompt = ()
    max_seconds: float = 120.0
    terminator: str = "#"
    next: str
    #: For voicemail: ``("queue", name)`` or ``("agent", id)``.
    mailbox: tuple[str, str] | None = None

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next

    def templates(self) -> Iterator[tuple[str, str]]:
        for t in prompt_templates(self.prompt):
            yield "prompt", t

    def assigns(self) -> Iterator[str]:
        if self.variable:
            yield self.variable

    def prompts(self) -> Iterator[tuple[str, Prompt]]:
        yield "prompt", self.prompt


@attrs.frozen(kw_only=True)
class VoicemailNode(RecordNode):
    kind: ClassVar[str] = "voicemail"


@attrs.frozen(kw_only=True)
class FaxReceiveNode(Node):
    """Answer as a fax machine and file what the caller sends; ``variable`` gets the fax id."""

    kind: ClassVar[str] = "faxReceive"
    waits: ClassVar[bool] = True
    mailbox: str = "ivr"
    variable: str | None = None
    prompt: Prompt = ()
    next: str
    on_failure: str | None = None

    def targets(self) -> Iterator[tuple[str, str]]:
        yield "next", self.next
        if self.on_failure:
            yield "on_failure", self.on_failure

    def templates(self) -> Iterator[tuple[str, str]]:
        for t in prompt_templates(self.prompt):
            yield "prompt", t

    def assigns(self) -> Iterator[str]:
        if self.variable:
            yield self.variable

    def prompts(self) -> Iterator[tuple[str, Prompt]]:
        yield "prompt", self.prompt


@attrs.frozen(kw_only=True)
class FaxSendNode(FaxReceiveNode):
    """Fax a document (an id or name; a template) back to the caller in the same call."""

    kind: ClassVar[str] = "faxSend"
    document: str
    header: str | None = None

    def templates(self) -> Iterator[tuple[str, str]]:
        yield from super().templates()
        yield "document", self.document
        if self.header is not None:
            yield "header", self.header


@attrs.frozen(kw_only=True)
class HangupNode(Node):
    kind: ClassVar[str] = "hangup"
    after_hangup: ClassVar[bool] = True
    prompt: Prompt = ()

    def templates(self) -> Iterator[tuple[str, str]]:
        for t in prompt_templates(self.prompt):
            yield "prompt", t

    def prompts(self) -> Iterator[tuple[str, Prompt]]:
        yield "prompt", self.prompt


# ------------------------------------------------------------------------ flow


@attrs.frozen(kw_only=True)
class Flow:
    """One loaded flow. ``version`` is a digest of the file, so a reload that changes
    nothing keeps it, and calls in progress keep the ``Flow`` value they started with."""

    name: str
    version: str
    file: str
    start: str
    language: str = "en"
    languages: tuple[str, ...] = ("en",)
    variables: Mapping[str, Any] = attrs.field(factory=dict)
    user_data: frozenset[str] = frozenset()
    on_hangup: str | None = None
    on_error: str | None = None
    #: The node to go to when the switch hears a calling fax machine (CNG).
    on_fax: str | None = None
    max_steps: int = 500
    loop_limit: int = 50
    nodes: Mapping[str, Node] = attrs.field(factory=dict)
    description: str = ""
    #: A folder of recorded pieces for say nodes (``<dir>/<language>/<piece>.wav``);
    #: None: say speaks through TTS.
    say_pieces: str | None = None


def _node(name: str, raw: Mapping[str, Any], base: Path) -> Node:
    kind = raw["type"]
    args = {k: v for k, v in raw.items() if k != "type"}
    for key in ("prompt", "no_input_prompt", "invalid_prompt"):
        if key in args:
            args[key] = _prompt(args[key], base)
    match kind:
        case "play":
            return PlayNode(name=name, **args)
        case "menu":
            return MenuNode(name=name, **args)
        case "collect":
            return CollectNode(name=name, **args)
        case "say":
            args["as_"] = args.pop("as")
            return SayNode(name=name, **args)
        case "language":
            if "cycle" in args:
                args["cycle"] = tuple(args["cycle"])
            return LanguageNode(name=name, **args)
        case "lookup":
            if "http" in args:
                args["http"] = HttpRequest(**args["http"])
            if "sql" in args:
                args["sql"] = SqlQuery(**args["sql"])
            return LookupNode(name=name, **args)
        case "compare":
            args["else_"] = args.pop("else")
            return CompareNode(name=name, **args)
        case "set":
            return SetNode(name=name, **args)
        case "queue":
            return QueueNode(name=name, **args)
        case "agent":
            return AgentNode(name=name, **args)
        case "transfer":
            return TransferNode(name=name, **args)
        case "voicemail":
            ((box_kind, box),) = args.pop("mailbox").items()
            return VoicemailNode(
                name=name, variable=args.pop("variable", None), mailbox=(box_kind, box), **args
            )
        case "record":
            return RecordNode(name=name, **args)
        case "faxReceive":
            return FaxReceiveNode(name=name, **args)
        case "faxSend":
            return FaxSendNode(name=name, **args)
        case "hangup":
            return HangupNode(name=name, **args)
    raise ValueError(f"unknown node type {kind!r}")  # the schema lets none through


def build_flow(doc: Mapping[str, Any], *, name: str, version: str, file: str) -> Flow:
    """A ``Flow`` from a schema-valid document; file prompts resolve against its folder."""
    base = Path(file).resolve().parent if not file.startswith("<") else Path.cwd()
    language = doc.get("language", "en")
    return Flow(
        name=doc.get("name", name),
        version=version,
        file=file,
        start=doc["start"],
        language=language,
        languages=tuple(doc.get("languages", [language])),
        variables=dict(doc.get("variables", {})),
        user_data=frozenset(doc.get("user_data", ())),
        on_hangup=doc.get("on_hangup"),
        on_error=doc.get("on_error"),
        on_fax=doc.get("on_fax"),
        max_steps=doc.get("max_steps", 500),
        loop_limit=doc.get("loop_limit", 50),
        nodes={n: _node(n, raw, base) for n, raw in doc["nodes"].items()},
        description=doc.get("description", ""),
        say_pieces=str((base / doc["say_pieces"]).resolve()) if "say_pieces" in doc else None,
    )
