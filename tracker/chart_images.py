"""The report's charts as PNG at print resolution, drawn by matplotlib from the same plotly figures the
dashboard shows (tracker/charts.py): the bars' values, names, colours, stacking and title are read from the
figure, so the report and the screen cannot disagree.

matplotlib rather than kaleido: kaleido drives a Chromium (none on a closed-network server) and loads MathJax
from a CDN unless told not to; matplotlib draws in-process with its own fonts (DejaVu Sans covers Vietnamese)
and has no network or browser at all.
"""

from __future__ import annotations

import html
import io

from tracker.charts import Chart

DPI = 200


def _colors(marker, n: int):
    color = getattr(marker, "color", None)
    if color is None or isinstance(color, str):
        return [color or "#4472c4"] * n
    return list(color)


def _save(fig) -> bytes:
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _title(chart: Chart) -> str | None:
    title = chart.figure.layout.title.text if chart.figure.layout.title else None
    return html.unescape(title) if title else None


def _areas(chart: Chart, areas, width_mm: float) -> bytes:
    """Stacked areas (the cumulative flow): the traces in the figure's order, bottom first."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_mm / 25.4, 80 / 25.4), dpi=DPI)
    ax = fig.add_subplot()
    x = list(areas[0].x)
    ax.stackplot(x, *[[float(v or 0) for v in t.y] for t in areas], labels=[html.unescape(t.name or "") for t in areas],
                 colors=[t.line.color for t in areas])
    ax.xaxis.set_major_formatter(DateFormatter("%d/%m/%Y"))
    ax.tick_params(labelsize=7)
    fig.autofmt_xdate()
    if _title(chart):
        ax.set_title(_title(chart), fontsize=9)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig)


def png(chart: Chart, *, width_mm: float = 150) -> bytes | None:
    """The figure's bar traces, or its stacked areas, as a PNG `width_mm` wide (None for anything else)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    areas = [t for t in chart.figure.data if t.type == "scatter" and t.stackgroup and t.x is not None and len(t.x)]
    if areas:
        return _areas(chart, areas, width_mm)
    bars = [t for t in chart.figure.data if t.type == "bar" and t.x is not None and len(t.x)]
    if not bars:
        return None
    labels = [html.unescape(str(v)) for v in (bars[0].y if bars[0].orientation == "h" else bars[0].x)]
    height_mm = min(120, max(50, 4.5 * len(labels) + 30))
    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), dpi=DPI)
    ax = fig.add_subplot()
    stacked = chart.figure.layout.barmode == "stack"
    left = [0.0] * len(labels)
    for trace in bars:
        horizontal = trace.orientation == "h"
        values = [float(v or 0) for v in (trace.x if horizontal else trace.y)]
        cats = [html.unescape(str(v)) for v in (trace.y if horizontal else trace.x)]
        pos = [labels.index(c) for c in cats]
        base = [left[p] for p in pos] if stacked else None
        kwargs = {"color": _colors(trace.marker, len(values)), "label": html.unescape(trace.name or "")}
        if horizontal:
            ax.barh(pos, values, left=base, **kwargs)
        else:
            ax.bar(pos, values, bottom=base, **kwargs)
        if stacked:
            for p, v in zip(pos, values):
                left[p] += v
    horizontal = bars[0].orientation == "h"
    (ax.set_yticks if horizontal else ax.set_xticks)(range(len(labels)), labels, fontsize=7)
    if horizontal:
        ax.invert_yaxis()
    ax.tick_params(labelsize=7)
    title = _title(chart)
    if title:
        ax.set_title(title, fontsize=9)
    if len(bars) > 1:
        ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0 if not title else 1.06),
                  ncol=min(len(bars), 3), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig)
