"""Directory number helpers shared by configuration and drivers."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["parse_number_ranges"]


def parse_number_ranges(spec: str | Iterable[str]) -> list[str]:
    """``"1001-1010"`` or ``["1001-1003", "2000"]`` -> the numbers, keeping leading zeros."""
    items = [spec] if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for item in items:
        for part in item.split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                lo, hi = (p.strip() for p in part.split("-", 1))
                if not (lo.isdigit() and hi.isdigit()) or len(lo) != len(hi) or int(lo) > int(hi):
                    raise ValueError(f"bad number range {part!r}: want e.g. 1001-1010")
                out.extend(str(n).zfill(len(lo)) for n in range(int(lo), int(hi) + 1))
            elif part.isdigit():
                out.append(part)
            else:
                raise ValueError(f"bad directory number {part!r}: want digits")
    if len(set(out)) != len(out):
        raise ValueError("the same number is listed twice")
    return out
