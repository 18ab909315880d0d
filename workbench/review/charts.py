"""Small server-rendered SVG charts (no script, no CDN): horizontal bars, grouped bars and a
line chart. Colours are presentation attributes, not inline styles, so the CSP allows them.
Every chart carries a <title> and an aria-label; the pages put the numbers in a table too."""
from markupsafe import Markup, escape

FONT = 'font-family="system-ui, DejaVu Sans, sans-serif" font-size="12"'
INK, MUTED, RULE = "#1f2328", "#5b636d", "#e3e0d8"
PALETTE = {"open": "#1d4f91", "overdue": "#a11d1d", "done": "#3b7d3a", "created": "#8a4b00",
           "true": "#2f6f3e", "mostly_true": "#6a9a4f", "mixed": "#b08a2e", "mostly_false": "#c0643a",
           "false": "#a11d1d", "unverifiable": "#6b6f76", "alpha": "#1d4f91"}


def _fmt(value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _svg(width: int, height: int, title: str, body: list[str], css: str) -> Markup:
    return Markup(f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" width="{width}" '
                  f'height="{height}" role="img" aria-label="{escape(title)}" {FONT} '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')


def bar_chart(items: list[tuple[str, float | None, str]], title: str, *, lo: float = 0.0,
              hi: float | None = None, width: int = 520, label_width: int = 170, fmt=_fmt,
              css: str = "bars") -> Markup:
    """items: (label, value or None for n/a, colour key). Bars start at `lo` (or at 0 if lo < 0)."""
    hi = hi if hi is not None else max([v for _, v, _ in items if v is not None] + [1])
    row, pad = 26, 8
    plot = width - label_width - 60
    height = max(1, len(items)) * row + 2 * pad + 16
    span = (hi - lo) or 1
    x_of = lambda v: label_width + plot * (max(min(v, hi), lo) - lo) / span  # noqa: E731
    zero = x_of(0 if lo <= 0 <= hi else lo)
    body = [f'<line x1="{zero:.1f}" y1="{pad}" x2="{zero:.1f}" y2="{height - pad - 16}" stroke="{MUTED}"/>']
    for i, (label, value, colour) in enumerate(items):
        y = pad + i * row
        body.append(f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="{INK}">'
                    f'{escape(_clip(label, 24))}</text>')
        if value is None:
            body.append(f'<text x="{zero + 6:.1f}" y="{y + 17}" fill="{MUTED}">n/a</text>')
            continue
        x = x_of(value)
        left, w = min(zero, x), abs(x - zero)
        body.append(f'<rect x="{left:.1f}" y="{y + 5}" width="{max(w, 1):.1f}" height="16" rx="2" '
                    f'fill="{PALETTE.get(colour, colour)}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        body.append(f'<text x="{max(x, zero) + 6:.1f}" y="{y + 17}" fill="{INK}">{escape(fmt(value))}</text>')
    axis_y = height - 8
    body.append(f'<text x="{label_width}" y="{axis_y}" fill="{MUTED}">{escape(fmt(lo))}</text>')
    body.append(f'<text x="{label_width + plot}" y="{axis_y}" text-anchor="end" fill="{MUTED}">{escape(fmt(hi))}</text>')
    return _svg(width, height, title, body, css)


def grouped_bars(rows: list[tuple[str, dict[str, int]]], keys: list[str], title: str, *,
                 width: int = 520, label_width: int = 130) -> Markup:
    """One group of thin bars per row (e.g. a reviewer's open, overdue and done counts)."""
    top = max([v for _, d in rows for v in d.values()] + [1])
    bar, gap, pad = 12, 10, 8
    group = bar * len(keys) + gap
    plot = width - label_width - 40
    legend_h = 22
    height = legend_h + max(1, len(rows)) * group + 2 * pad
    body = []
    for i, key in enumerate(keys):
        x = label_width + i * 110
        body.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{PALETTE.get(key, MUTED)}"/>'
                    f'<text x="{x + 17}" y="14" fill="{INK}">{escape(key)}</text>')
    for r, (label, values) in enumerate(rows):
        y0 = legend_h + pad + r * group
        body.append(f'<text x="{label_width - 8}" y="{y0 + group / 2 + 2:.0f}" text-anchor="end" fill="{INK}">'
                    f'{escape(_clip(label, 18))}</text>')
        for i, key in enumerate(keys):
            v = values.get(key, 0)
            w = plot * v / top
            y = y0 + i * bar
            body.append(f'<rect x="{label_width}" y="{y}" width="{max(w, 1):.1f}" height="{bar - 2}" '
                        f'fill="{PALETTE.get(key, MUTED)}"><title>{escape(label)}, {escape(key)}: {v}</title></rect>'
                        f'<text x="{label_width + w + 4:.1f}" y="{y + bar - 3}" font-size="10" fill="{INK}">{v}</text>')
    return _svg(width, height, title, body, "grouped")


def line_chart(labels: list[str], series: dict[str, list[float]], title: str, *, width: int = 520,
               height: int = 220) -> Markup:
    left, right, top, bottom = 36, 12, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for values in series.values() for v in values] + [1])
    n = max(len(labels), 2)
    x_of = lambda i: left + plot_w * i / (n - 1)  # noqa: E731
    y_of = lambda v: top + plot_h * (1 - v / peak)  # noqa: E731
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{RULE}"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="{MUTED}">{_fmt(peak)}</text>',
            f'<text x="{left - 6}" y="{top + plot_h + 4}" text-anchor="end" fill="{MUTED}">0</text>']
    step = max(1, -(-len(labels) // 6))
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % step == 0:   # always label the latest week; space the others evenly
            body.append(f'<text x="{x_of(i):.1f}" y="{height - 12}" text-anchor="middle" fill="{MUTED}">'
                        f'{escape(label)}</text>')
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE.get(name, INK)
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        dash = ' stroke-dasharray="5 3"' if s else ""
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        for i, v in enumerate(values):
            body.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}">'
                        f'<title>{escape(name)}, week of {escape(labels[i])}: {_fmt(v)}</title></circle>')
        lx = left + s * 120
        body.append(f'<line x1="{lx}" y1="10" x2="{lx + 18}" y2="10" stroke="{colour}" stroke-width="2.5"{dash}/>'
                    f'<text x="{lx + 23}" y="14" fill="{INK}">{escape(name)}</text>')
    return _svg(width, height, title, body, "line")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
