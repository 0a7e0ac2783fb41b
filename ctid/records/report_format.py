"""Reports as text: an aligned table, CSV or JSON; and as a chart (PNG, optional matplotlib)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from .reports import Report

__all__ = ["PlotUnavailable", "as_csv", "as_json", "as_table", "plot"]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
    return str(value)


def as_table(report: Report) -> str:
    cells = [list(report.columns)] + [[_cell(v) for v in row] for row in report.rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(report.columns))]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] is None for row in report.rows)
        and bool(report.rows)
        for i in range(len(report.columns))
    ]
    lines = [report.title, ""]
    for n, row in enumerate(cells):
        parts = [
            cell.rjust(width) if numeric[i] else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not report.rows:
        lines.append("(no records in this period)")
    return "\n".join(lines) + "\n"


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def as_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"


class PlotUnavailable(Exception):
    """matplotlib is not installed, or the report is not a time series."""


def plot(report: Report, path: Path) -> None:
    """Draw a time-series report (one made with an interval) as a PNG.

    One line per numeric column (per queue, trunk or agent where the report
    has one). matplotlib is optional (``pip install 'ctid[plot]'``): the
    daemon never needs it.
    """
    if report.interval_column is None:
        raise PlotUnavailable("--plot needs a time series: add --interval hour or day")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable(
            "--plot needs matplotlib: pip install 'ctid[plot]' (or matplotlib)"
        ) from None
    columns = list(report.columns)
    t = columns.index(report.interval_column)
    labels = [c for i, c in enumerate(columns) if i != t and _is_label(report, i)]
    values = [c for i, c in enumerate(columns) if i != t and not _is_label(report, i)]
    intervals = sorted({row[t] for row in report.rows})
    series: dict[str, dict[str, float]] = {}
    for row in report.rows:
        who = " ".join(str(row[columns.index(c)]) for c in labels)
        for column in values:
            value = row[columns.index(column)]
            if isinstance(value, int | float):
                name = f"{who} {column}".strip()
                series.setdefault(name, {})[row[t]] = float(value)
    figure, axes = plt.subplots(figsize=(10, 5))
    for name, points in sorted(series.items()):
        axes.plot(intervals, [points.get(i, 0.0) for i in intervals], marker="o", label=name)
    axes.set_title(report.title)
    axes.set_xlabel(report.interval_column)
    axes.legend(fontsize="small")
    axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def _is_label(report: Report, index: int) -> bool:
    return any(isinstance(row[index], str) for row in report.rows)
