import re
from typing import Any, Literal

import attrs
import pytest

from ctid.structure import StructureError, structure


@attrs.frozen(kw_only=True)
class Inner:
    call_id: str
    device_id: str | None = None


@attrs.frozen(kw_only=True)
class Outer:
    name: str
    count: int = 1
    ratio: float = 0.5
    flag: bool = False
    mode: Literal["a", "b"] = "a"
    items: list[str] = attrs.field(factory=list)
    inner: Inner | None = None
    either: Inner | str | None = None
    data: dict[str, Any] | None = None
    pattern: re.Pattern[str] | None = None


def test_snake_and_camel_keys() -> None:
    value = structure(Outer, {"name": "x", "inner": {"callID": "c1"}}, style="camel")
    assert value.inner == Inner(call_id="c1")
    value = structure(Outer, {"name": "x", "inner": {"call_id": "c1", "device_id": "d"}})
    assert value.inner == Inner(call_id="c1", device_id="d")


def test_int_accepted_as_float_but_not_bool_as_int() -> None:
    assert structure(Outer, {"name": "x", "ratio": 2}).ratio == 2.0
    with pytest.raises(StructureError, match=r"count: expected an integer, got true"):
        structure(Outer, {"name": "x", "count": True})


def test_union_of_object_and_string() -> None:
    assert structure(Outer, {"name": "x", "either": "c9"}).either == "c9"
    assert structure(Outer, {"name": "x", "either": {"call_id": "c9"}}).either == Inner(
        call_id="c9"
    )
    with pytest.raises(StructureError, match=r"either: expected an object or a string, got 5"):
        structure(Outer, {"name": "x", "either": 5})


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        ({}, "cfg.name", "required but missing"),
        ({"name": 3}, "cfg.name", "expected a string, got 3"),
        ({"name": "x", "nmae": 1}, "cfg.nmae", "unknown key (known keys: "),
        ({"name": "x", "mode": "c"}, "cfg.mode", 'expected one of "a", "b", got "c"'),
        ({"name": "x", "items": ["a", 2]}, "cfg.items[1]", "expected a string, got 2"),
        ({"name": "x", "items": "a"}, "cfg.items", "expected a list"),
        ({"name": "x", "inner": {"call_id": 1}}, "cfg.inner.call_id", "expected a string"),
        ({"name": "x", "pattern": "("}, "cfg.pattern", "bad regular expression"),
        ({"name": "x", "data": []}, "cfg.data", "expected an object"),
    ],
)
def test_errors_name_the_key(data: dict[str, Any], path: str, problem: str) -> None:
    with pytest.raises(StructureError) as info:
        structure(Outer, data, "cfg")
    assert info.value.path == path
    assert problem in info.value.problem


def test_not_an_object() -> None:
    with pytest.raises(StructureError, match="expected an object, got a list"):
        structure(Outer, [], "params")


def test_every_problem_is_gathered_and_the_first_reads_first() -> None:
    from ctid.structure import each_error

    @attrs.frozen(kw_only=True)
    class Item:
        n: int

    @attrs.frozen(kw_only=True)
    class Table:
        items: list[Item]
        name: str

    with pytest.raises(StructureError) as info:
        structure(Table, {"items": [{"n": "x"}, {"n": 1}, {"m": 2}], "bogus": 1}, "t")
    assert (info.value.path, info.value.problem) == (
        "t.bogus",
        "unknown key (known keys: items, name)",
    )
    assert str(info.value) == "t.bogus: unknown key (known keys: items, name)"
    assert [(e.path, e.problem) for e in each_error(info.value)] == [
        ("t.bogus", "unknown key (known keys: items, name)"),
        ("t.items[0].n", 'expected an integer, got "x"'),
        ("t.items[2].m", "unknown key (known keys: n)"),
        ("t.items[2].n", "required but missing"),
        ("t.name", "required but missing"),
    ]


@attrs.frozen(kw_only=True)
class Entry:
    name: str
    level: int = 1
    tags: dict[str, Inner] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class Table:
    entries: list[Entry] = attrs.field(factory=list)
    secret: str | None = None
    limit: float = 5.0


def test_salvage_gives_what_structure_gives_for_a_good_table() -> None:
    from ctid.structure import Problems

    data = {"entries": [{"name": "a", "tags": {"t": {"call_id": "c"}}}], "secret": "s"}
    problems = Problems()
    assert problems.salvage(Table, data, "t") == structure(Table, data, "t")
    assert problems.errors == []
    problems.raise_any()


def test_salvage_notes_every_wrong_value_and_the_checks_after_it_see_the_rest() -> None:
    from ctid.structure import Problems, each_error

    data = {
        "entries": [
            {"name": "a", "level": "high", "tags": {"t": {"call_id": 5}, "u": {"call_id": "c"}}},
            7,
            {"level": 500},
            {"name": "d", "level": 200},
        ],
        "secret": 12,
        "limit": "x",
        "bogus": 1,
    }
    with pytest.raises(StructureError) as info:
        structure(Table, data, "t")
    problems = Problems()
    table = problems.salvage(Table, data, "t")
    # The same problems as structure() finds, and each of them (the table's keys first).
    assert [str(e) for e in problems.errors] == [
        "t.bogus: unknown key (known keys: entries, limit, secret)",
        't.entries[0].level: expected an integer, got "high"',
        "t.entries[0].tags.t.call_id: expected a string, got 5",
        "t.entries[1]: expected an object, got 7",
        "t.entries[2].name: required but missing",
        "t.secret: expected a string, got 12",
        't.limit: expected a number, got "x"',
    ]
    assert {str(e) for e in each_error(info.value)} <= {str(e) for e in problems.errors}
    # Stand-ins where a value was wrong: the default, a neutral value where there is none,
    # and a written optional value stays given ("" rather than None).
    tags = {"t": Inner(call_id=""), "u": Inner(call_id="c")}
    assert table.entries[0] == Entry(name="a", level=1, tags=tags)
    assert table.entries[1] == Entry(name="")
    assert table.entries[2] == Entry(name="", level=500)
    assert (table.secret, table.limit) == ("", 5.0)
    # A later check at or under a key that did not convert is not noted again ...
    for i, entry in enumerate(table.entries):
        if not 0 <= entry.level <= 100:
            problems.add(f"t.entries[{i}].level", "must be between 0 and 100")
        if not entry.name:
            problems.add(f"t.entries[{i}].name", "must not be empty")

    def too_short() -> None:
        raise StructureError("t.secret", "too short")

    with problems.check():
        too_short()
    # ... while the others are, in order; entries[1] and [2] had theirs already.
    assert [str(e) for e in problems.errors[7:]] == [
        "t.entries[2].level: must be between 0 and 100",
        "t.entries[3].level: must be between 0 and 100",
    ]
    assert problems.found_under("t.entries[2]") and not problems.found_under("t.entries[4]")
    assert not problems.found_under("t.entries[1")  # a path, not a prefix of text
    with pytest.raises(StructureError) as gathered:
        problems.raise_any()
    assert len(each_error(gathered.value)) == 9


def test_salvage_of_a_value_that_is_not_a_table_notes_that_only() -> None:
    from ctid.structure import Problems

    problems = Problems()
    assert problems.salvage(Entry, 5, "t.entries[0]") == Entry(name="")
    assert [str(e) for e in problems.errors] == ["t.entries[0]: expected an object, got 5"]
