"""Charts: Altair specs rendered to SVG by vl-convert, offline, one SVG per chart.

The SVG goes inline into the HTML, so nothing is fetched when the report is viewed. Values
arrive already suppressed: a suppressed count has value None (no bar) and its label `<3`;
labels are the table's own Swedish texts, so chart and table always say the same thing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import altair as alt
import vl_convert as vlc

from pipelines.report.format import Cell

# Colours: the period itself dark, the comparison light; before/after as two clear hues.
COLOURS = ["#1f4e79", "#9dbbd6", "#c55a11", "#7f7f7f"]
FONT = "Helvetica, Arial, sans-serif"
_CONFIG = {
    "font": FONT,
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelColor": "#333", "titleColor": "#333", "gridColor": "#e6e6e6"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom", "title": None},
    "view": {"stroke": None},
    "background": "white",
}


@dataclass(frozen=True)
class Series:
    name: str
    cells: list[Cell]  # one per category, as in the table


def _values(categories: list[str], series: list[Series]) -> list[dict]:
    out = []
    for s in series:
        for cat, cell in zip(categories, s.cells, strict=True):
            out.append({"kategori": cat, "serie": s.name, "v": cell.value, "label": cell.text if cell.kind != "na" else ""})
    return out


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
    """Bars per category (grouped when there are several series), each labelled with its text."""
    if not categories or not series or all(c.value is None for s in series for c in s.cells):
        return ""  # nothing to draw: the table says it all
    data = alt.Data(values=_values(categories, series))
    names = [s.name for s in series]
    grouped = len(names) > 1

    # room at the bar end for its label: the scale runs 18 % past the largest value
    drawn = [v["v"] for v in _values(categories, series) if v["v"] is not None]
    largest = max(drawn + [rule or 0, 1 if percent else 0]) or 1
    value_scale = alt.Scale(domain=[min([0] + drawn), largest * 1.18], nice=False)
    if percent:  # ticks at whole tens of per cent, never past what the data reach
        ticks = [i / 10 for i in range(0, int(largest * 10) + 1)]
        value_axis = alt.Axis(format=".0%", title=None, values=ticks)
    else:
        value_axis = alt.Axis(format=",d", tickMinStep=1, title=None)
    colour = alt.Color(
        "serie:N",
        scale=alt.Scale(domain=names, range=(colours or COLOURS)[: len(names)]),
        legend=alt.Legend(orient="bottom", title=None) if grouped else None,
    )
    if horizontal:
        cat = alt.Y("kategori:N", sort=categories, axis=alt.Axis(title=None, labelLimit=220))
        offset = {"yOffset": alt.YOffset("serie:N", sort=names)} if grouped else {}
        bars = alt.Chart(data).mark_bar().encode(cat, alt.X("v:Q", axis=value_axis, scale=value_scale), color=colour, **offset)
        text = alt.Chart(data).mark_text(align="left", dx=3, fontSize=10, color="#222").encode(
            cat, alt.X("pos:Q", scale=value_scale), text="label:N", **offset
        )
    else:
        cat = alt.X("kategori:N", sort=categories, axis=alt.Axis(title=None, labelAngle=0, labelLimit=90))
        offset = {"xOffset": alt.XOffset("serie:N", sort=names)} if grouped else {}
        bars = alt.Chart(data).mark_bar().encode(cat, alt.Y("v:Q", axis=value_axis, scale=value_scale), color=colour, **offset)
        text = alt.Chart(data).mark_text(baseline="bottom", dy=-2, fontSize=10, color="#222").encode(
            cat, alt.Y("pos:Q", scale=value_scale), text="label:N", **offset
        )
    # a label sits at its bar's end; a suppressed or empty bar (v null) is labelled at 0
    text = text.transform_calculate(pos="isValid(datum.v) ? datum.v : 0")
    layers = [bars, text]
    if rule is not None:
        rule_data = alt.Data(values=[{"r": rule}])
        mark = alt.Chart(rule_data).mark_rule(color="#c00000", strokeDash=[4, 3], strokeWidth=1.5)
        layers.append(mark.encode(x="r:Q") if horizontal else mark.encode(y="r:Q"))
    if horizontal:
        size = {"width": width, "height": max(40, (16 * len(names) + 8) * len(categories))}
    else:
        size = {"width": width, "height": 170}
    chart = alt.layer(*layers).properties(
        title=alt.Title(title, anchor="start", fontSize=12, fontWeight="bold"), **size
    )
    return to_svg(chart, title)


def to_svg(chart: alt.TopLevelMixin, title: str) -> str:
    spec = chart.to_dict(validate=False)
    spec.pop("$schema", None)
    spec["config"] = {**_CONFIG, **spec.get("config", {})}
    svg = vlc.vegalite_to_svg(spec, format_locale="sv-SE", allowed_base_urls=[])
    return inline_svg(svg, title)


def inline_svg(svg: str, title: str) -> str:
    """Make a standalone SVG fit for inlining into HTML5: namespaces dropped (the HTML parser
    puts <svg> in the SVG namespace itself, and no URL string stays in the report), ids made
    unique per chart (several charts in one page must not share clip-path ids; the prefix is
    a hash of the chart, so the same data gives the same bytes), scalable, and
    labelled for screen readers."""
    prefix = "c" + hashlib.sha1((title + svg).encode()).hexdigest()[:8] + "-"
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg, count=2)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    title_attr = title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{title_attr}" preserveAspectRatio="xMinYMin meet" ', 1)
    return svg
