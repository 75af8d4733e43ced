"""Charts: bar charts written directly as inline SVG text, one per table.

A chart is a few dozen `<rect>`, `<line>` and `<text>` elements computed here, so it costs well
under a millisecond and needs no renderer: at national scale a report has about 17 charts and
a refresh writes about 1 900 reports. The SVG goes inline into the HTML, so nothing is fetched
when the report is viewed, and it has no ids, no namespaces and no script.

Values arrive already suppressed: a suppressed count has value None (no bar) and its label
`<3`; labels are the table's own Swedish texts, so chart and table always say the same thing.

Layout: the category labels on one side, the value axis with light grid lines on the other,
one bar per series within a category (grouped, touching), the label at the bar's end, the
scale running 18 % past the largest value so that the label fits, a legend below when there are
several series, and an optional dashed reference line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from pipelines.report.format import Cell, fmt_number, fmt_pct

# Colours: the period itself dark, the comparison light; before/after as two clear hues.
COLOURS = ["#1f4e79", "#9dbbd6", "#c55a11", "#7f7f7f"]
FONT = "Helvetica, Arial, sans-serif"
RULE_COLOUR = "#c00000"
AXIS_COLOUR, GRID_COLOUR, LABEL_COLOUR, VALUE_COLOUR = "#888", "#e6e6e6", "#333", "#222"
LABEL_SIZE, VALUE_SIZE, TITLE_SIZE = 11, 10, 12
PAD = 5  # around the whole chart
TITLE_H = 24  # the title line and the gap below it
TICK = 5  # length of an axis tick
AXIS_H = TICK + 2 + LABEL_SIZE + 4  # tick, gap, tick label, gap
LEGEND_H = 22
HEADROOM = 1.18  # the value scale runs this far past the largest value: room for the label
BAND_PADDING = 0.1  # gap between categories, as a share of one category's step
VERTICAL_HEIGHT = 170
CATEGORY_LABEL_LIMIT = {True: 220, False: 90}  # px, horizontal / vertical chart

# Advance widths of Helvetica in 1/1000 em (its font metrics), to size the label margins
# without a renderer. Characters not listed count as a digit (556).
_WIDTHS = {
    **dict.fromkeys(" !,./:;I[\\]ft\u00a0", 278),
    **dict.fromkeys("ijl", 222),
    **dict.fromkeys('"-()r`{}', 333),
    **dict.fromkeys("ckszvxy_J", 500),
    **dict.fromkeys("+<=>", 584),
    **dict.fromkeys("FTZ", 611),
    **dict.fromkeys("ABEKPSVXYÅÄ", 667),
    **dict.fromkeys("CDHNRUw", 722),
    **dict.fromkeys("GOQÖ", 778),
    **dict.fromkeys("mM", 833),
    "W": 944,
    "%": 889,
    "L": 556,
    "…": 1000,
    "–": 556,
    "&": 667,
    "'": 191,
}


@dataclass(frozen=True)
class Series:
    name: str
    cells: list[Cell]  # one per category, as in the table


def text_width(text: str, size: float) -> float:
    """The width of `text` in Helvetica at `size` px (an estimate good to a few per cent)."""
    return sum(_WIDTHS.get(ch, 556) for ch in text) * size / 1000


def _truncate(text: str, limit: float, size: float) -> str:
    """`text`, cut with an ellipsis so that it is at most `limit` px wide."""
    if text_width(text, size) <= limit:
        return text
    while text and text_width(text + "…", size) > limit:
        text = text[:-1]
    return text.rstrip() + "…"


def _ticks(lo: float, hi: float, count: int, min_step: float) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k apart, about `count` of them) within [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count, 1)
    step = 10 ** math.floor(math.log10(raw))
    error = raw / step
    step *= 10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1
    step = max(step, min_step)
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def _tick_text(value: float, percent: bool) -> str:
    return fmt_pct(value, 0) if percent else fmt_number(value)


def _num(x: float) -> str:
    """A coordinate with at most two decimals (keeps the SVG small and its bytes stable)."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = LABEL_SIZE,
    fill: str = LABEL_COLOUR,
    anchor: str = "start",
    extra: str = "",
) -> str:
    if anchor != "start":
        extra = f' text-anchor="{anchor}"' + extra
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" fill="{fill}"{extra}>{escape(text, quote=False)}</text>'
    )


def _axis(
    lo: float, hi: float, top: float, length: float, percent: bool, horizontal: bool
) -> tuple[list[float], list[str]]:
    """Tick values and their labels for a value axis of `length` px over [lo, hi]: about one
    tick per 40 px, fewer when the labels would collide (side by side on a horizontal chart's
    axis, one above the other on a vertical one's). Per cent: whole tens of per cent up to
    `top` (the largest value), never past it; otherwise round steps of at least 1."""
    count = max(1, math.ceil(length / 40))
    while True:
        if percent:
            step = next((s for s in (0.1, 0.2, 0.5) if top / s <= count), 1.0)
            ticks = [round(i * step, 12) for i in range(int(top / step + 1e-9) + 1)]
        else:
            ticks = _ticks(lo, hi, count, 1)
        texts = [_tick_text(t, percent) for t in ticks]
        spacing = (ticks[1] - ticks[0]) / (hi - lo) * length if len(ticks) > 1 else length
        need = max(text_width(t, LABEL_SIZE) for t in texts) + 6 if horizontal else LABEL_SIZE + 2
        if count == 1 or need <= spacing:
            return ticks, texts
        count -= 1


def bar_chart(
    categories: list[str],
    series: list[Series],
    *,
    title: str,
    horizontal: bool = True,
    percent: bool = False,
    rule: float | None = None,
    width: int = 380,
    colours: list[str] | None = None,
) -> str:
    """Bars per category (grouped when there are several series), each labelled with its text.

    `width` is the width of the plot area in px; a horizontal chart is 16 px per bar (+ 8 per
    category) high, a vertical one 170 px. `percent`: values are shares 0–1, the axis has
    ticks at whole tens of per cent. `rule`: a dashed red reference line at that value. Returns
    "" when there is nothing to draw (the table says it all)."""
    if not categories or not series or all(c.value is None for s in series for c in s.cells):
        return ""
    colours = (colours or COLOURS)[: len(series)]
    n_cat, n_ser = len(categories), len(series)

    # value scale: from 0 (or the smallest negative value) to 18 % past the largest value
    drawn = [c.value for s in series for c in s.cells if c.value is not None]
    largest = max(drawn + [rule or 0, 1 if percent else 0]) or 1
    lo, hi = min([0.0] + drawn), largest * HEADROOM
    ticks, tick_texts = _axis(lo, hi, largest, width if horizontal else VERTICAL_HEIGHT, percent, horizontal)

    # category band: categories `step` apart, bars filling 90 % of it, series side by side
    plot_w = width
    plot_h = max(40, (16 * n_ser + 8) * n_cat) if horizontal else VERTICAL_HEIGHT
    cat_len = plot_h if horizontal else plot_w
    step = cat_len / n_cat  # a gap of half a padding before the first band and after the last
    band = step * (1 - BAND_PADDING)
    bar = band / n_ser
    value_len = plot_w if horizontal else plot_h

    def pos(v: float) -> float:  # value → px along the value axis, from its origin
        return (v - lo) / (hi - lo) * value_len

    cat_texts = [_truncate(c, CATEGORY_LABEL_LIMIT[horizontal], LABEL_SIZE) for c in categories]
    if horizontal:
        left = PAD + max(text_width(t, LABEL_SIZE) for t in cat_texts) + TICK + 3
        right = PAD + text_width(tick_texts[-1], LABEL_SIZE) / 2
    else:
        left = PAD + max(text_width(t, LABEL_SIZE) for t in tick_texts) + TICK + 3
        right = PAD + max(0.0, text_width(cat_texts[-1], LABEL_SIZE) - step) / 2
    top = PAD + TITLE_H
    legend_y = top + plot_h + AXIS_H + 6
    total_h = legend_y + (LEGEND_H if n_ser > 1 else 0) + PAD - 6
    legend_w = sum(14 + text_width(s.name, LABEL_SIZE) + 16 for s in series) if n_ser > 1 else 0
    total_w = max(left + plot_w + right, PAD + text_width(title, TITLE_SIZE) * 1.05 + PAD, left + legend_w + PAD)

    out = [
        (
            f'<svg role="img" aria-label="{escape(title)}" width="{_num(total_w)}" height="{_num(total_h)}" '
            f'viewBox="0 0 {_num(total_w)} {_num(total_h)}" preserveAspectRatio="xMinYMin meet" font-family="{FONT}">'
        ),
        f'<rect width="{_num(total_w)}" height="{_num(total_h)}" fill="white"/>',
        _text(PAD, PAD + TITLE_SIZE, title, size=TITLE_SIZE, fill="#000", extra=' font-weight="bold"'),
        f'<g transform="translate({_num(left)},{_num(top)})">',
    ]

    # grid lines and the value axis
    for t, text in zip(ticks, tick_texts, strict=True):
        p = pos(t)
        if horizontal:
            out.append(f'<line x1="{_num(p)}" x2="{_num(p)}" y1="0" y2="{_num(plot_h)}" stroke="{GRID_COLOUR}"/>')
            out.append(
                f'<line x1="{_num(p)}" x2="{_num(p)}" y1="{_num(plot_h)}" y2="{_num(plot_h + TICK)}" stroke="{AXIS_COLOUR}"/>'
            )
            out.append(_text(p, plot_h + TICK + 2 + LABEL_SIZE, text, anchor="middle", extra=' class="tick"'))
        else:
            y = plot_h - p
            out.append(f'<line x1="0" x2="{_num(plot_w)}" y1="{_num(y)}" y2="{_num(y)}" stroke="{GRID_COLOUR}"/>')
            out.append(f'<line x1="{-TICK}" x2="0" y1="{_num(y)}" y2="{_num(y)}" stroke="{AXIS_COLOUR}"/>')
            out.append(_text(-TICK - 2, y + LABEL_SIZE * 0.35, text, anchor="end", extra=' class="tick"'))

    # bars and their labels; a suppressed or empty value has no bar, its label sits at 0
    zero = pos(0)
    for i, cat_text in enumerate(cat_texts):
        start = step * BAND_PADDING / 2 + i * step  # this category's band
        centre = start + band / 2
        if horizontal:
            out.append(f'<line x1="{-TICK}" x2="0" y1="{_num(centre)}" y2="{_num(centre)}" stroke="{AXIS_COLOUR}"/>')
            out.append(_text(-TICK - 2, centre + LABEL_SIZE * 0.35, cat_text, anchor="end"))
        else:
            out.append(
                f'<line x1="{_num(centre)}" x2="{_num(centre)}" y1="{_num(plot_h)}" y2="{_num(plot_h + TICK)}" stroke="{AXIS_COLOUR}"/>'
            )
            out.append(_text(centre, plot_h + TICK + 2 + LABEL_SIZE, cat_text, anchor="middle"))
        for j, s in enumerate(series):
            cell = s.cells[i]
            b0 = start + j * bar  # this bar's band
            v = cell.value
            end = zero if v is None else pos(v)
            a, z = min(zero, end), max(zero, end)
            if v is not None and z - a > 0:
                if horizontal:
                    out.append(
                        f'<rect x="{_num(a)}" y="{_num(b0)}" width="{_num(z - a)}" height="{_num(bar)}" fill="{colours[j]}"/>'
                    )
                else:
                    out.append(
                        f'<rect x="{_num(b0)}" y="{_num(plot_h - z)}" width="{_num(bar)}" height="{_num(z - a)}" fill="{colours[j]}"/>'
                    )
            label = "" if cell.kind == "na" else cell.text
            if not label:
                continue
            if horizontal:
                x, anchor = (end + 3, "start") if end >= zero else (end - 3, "end")
                out.append(
                    _text(x, b0 + bar / 2 + VALUE_SIZE * 0.35, label, size=VALUE_SIZE, fill=VALUE_COLOUR, anchor=anchor)
                )
            else:
                y = plot_h - end - 3 if end >= zero else plot_h - end + VALUE_SIZE
                out.append(_text(b0 + bar / 2, y, label, size=VALUE_SIZE, fill=VALUE_COLOUR, anchor="middle"))

    # the axes' lines over the bars, then the reference line
    if horizontal:
        out.append(f'<line x1="0" x2="{_num(plot_w)}" y1="{_num(plot_h)}" y2="{_num(plot_h)}" stroke="{AXIS_COLOUR}"/>')
        out.append(f'<line x1="0" x2="0" y1="0" y2="{_num(plot_h)}" stroke="{AXIS_COLOUR}"/>')
    else:
        out.append(
            f'<line x1="0" x2="{_num(plot_w)}" y1="{_num(plot_h - zero)}" y2="{_num(plot_h - zero)}" stroke="{AXIS_COLOUR}"/>'
        )
        out.append(f'<line x1="0" x2="0" y1="0" y2="{_num(plot_h)}" stroke="{AXIS_COLOUR}"/>')
    if rule is not None:
        r = pos(rule)
        line = (
            f'x1="{_num(r)}" x2="{_num(r)}" y1="0" y2="{_num(plot_h)}"'
            if horizontal
            else f'x1="0" x2="{_num(plot_w)}" y1="{_num(plot_h - r)}" y2="{_num(plot_h - r)}"'
        )
        out.append(f'<line class="rule" {line} stroke="{RULE_COLOUR}" stroke-width="1.5" stroke-dasharray="4,3"/>')
    out.append("</g>")

    # legend: a square and the series name, side by side below the plot
    if n_ser > 1:
        x = left
        for s, colour in zip(series, colours, strict=True):
            out.append(f'<rect x="{_num(x)}" y="{_num(legend_y)}" width="10" height="10" fill="{colour}"/>')
            out.append(_text(x + 14, legend_y + 9, s.name))
            x += 14 + text_width(s.name, LABEL_SIZE) + 16
    out.append("</svg>")
    return "".join(out)
