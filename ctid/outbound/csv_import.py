"""A campaign list in CSV: header, a number column, every other column as the record's data.

Pure: text in, rows and problems out. A malformed row (wrong number of
fields, no number, a number that cannot be dialled) is reported by its line
in the file (the header is line 1) and skipped; every other row is kept. A
number seen before in the same file is reported as a duplicate and kept once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Final

import attrs

from .numbers import InvalidNumber, normalise

__all__ = [
    "MAX_LIST_ROWS",
    "ImportedRow",
    "ListFormatError",
    "ListImport",
    "ListProblem",
    "parse_list",
]

#: Rows one import may hold (a bigger list is imported in parts).
MAX_LIST_ROWS: Final = 1_000_000


@attrs.frozen(kw_only=True)
class ImportedRow:
    line: int
    number: str
    data: Mapping[str, str]


@attrs.frozen(kw_only=True)
class ListProblem:
    line: int
    problem: str

    def to_wire(self) -> dict[str, object]:
        return {"line": self.line, "problem": self.problem}


@attrs.frozen(kw_only=True)
class ListImport:
    rows: tuple[ImportedRow, ...]
    #: Rows left out, by line.
    problems: tuple[ListProblem, ...]
    #: Rows kept out because their number came earlier in the file: (line, first line).
    duplicates: tuple[tuple[int, int], ...]


class ListFormatError(ValueError):
    """The file as a whole cannot be read (no header, no such number column)."""


def parse_list(text: str, number_column: str) -> ListImport:
    """Read ``text`` (CSV with a header); raises ``ListFormatError`` if it has no header
    or no column ``number_column``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ListFormatError("the file is empty: a header line is needed") from None
    except csv.Error as exc:
        raise ListFormatError(f"line 1: {exc}") from None
    header = [name.strip() for name in header]
    if number_column not in header:
        raise ListFormatError(
            f"no column {number_column!r} in the header (columns: {', '.join(header)})"
        )
    if len(set(header)) != len(header) or any(not name for name in header):
        raise ListFormatError("the header has an empty or repeated column name")
    index = header.index(number_column)
    rows: list[ImportedRow] = []
    problems: list[ListProblem] = []
    duplicates: list[tuple[int, int]] = []
    first_line: dict[str, int] = {}
    while True:
        line = reader.line_num + 1  # where the row starts (a quoted field may span lines)
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(ListProblem(line=line, problem=str(exc)))
            continue
        if not fields or all(not f.strip() for f in fields):
            continue  # blank lines are not rows
        if len(fields) != len(header):
            problems.append(
                ListProblem(
                    line=line, problem=f"{len(fields)} fields where the header has {len(header)}"
                )
            )
            continue
        try:
            number = normalise(fields[index])
        except InvalidNumber as exc:
            problems.append(ListProblem(line=line, problem=str(exc)))
            continue
        if number in first_line:
            duplicates.append((line, first_line[number]))
            continue
        if len(rows) >= MAX_LIST_ROWS:
            problems.append(ListProblem(line=line, problem=f"over {MAX_LIST_ROWS} rows"))
            break
        first_line[number] = line
        data = {
            name: value for name, value in zip(header, fields, strict=True) if name != number_column
        }
        rows.append(ImportedRow(line=line, number=number, data=data))
    return ListImport(rows=tuple(rows), problems=tuple(problems), duplicates=tuple(duplicates))
