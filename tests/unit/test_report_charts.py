"""The SVG bar charts: geometry and labels read back from the SVG text."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from pipelines.report.charts import COLOURS, HEADROOM, RULE_COLOUR, Series, bar_chart, text_width
from pipelines.report.format import NBSP, Suppressor

S = Suppressor(3)


def parse(svg: str) -> ET.Element:
    """The chart as XML (it must be well-formed to be inlined into HTML)."""
    return ET.fromstring(svg)


def bars(root: ET.Element) -> list[dict]:
    """The plot's bars (rects inside the plot group), with float geometry."""
    plot = root.find("g")
    return [
        {k: (float(v) if k in ("x", "y", "width", "height") else v) for k, v in r.attrib.items()}
        for r in plot.iter("rect")
    ]


def texts(root: ET.Element, ticks: bool = True) -> list[str]:
    return [t.text or "" for t in root.iter("text") if ticks or t.get("class") != "tick"]


def tick_texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("text") if t.get("class") == "tick"]


def text_x(root: ET.Element, label: str) -> float:
    """x of the one bar label or category label reading `label` (axis ticks excluded)."""
    [t] = [t for t in root.iter("text") if t.text == label and t.get("class") != "tick"]
    return float(t.get("x"))


def test_horizontal_bar_lengths_are_proportional_to_values_and_labels_sit_at_the_bar_end():
    svg = bar_chart(
        ["Arbete", "Studier", "Övrigt"], [Series("2022", [S.count(40), S.count(10), S.count(25)])], title="Utfall"
    )
    root = parse(svg)
    got = bars(root)
    assert [b["fill"] for b in got] == [COLOURS[0]] * 3
    widths = [b["width"] for b in got]
    assert widths[0] / widths[1] == pytest.approx(4, rel=1e-3) and widths[2] / widths[1] == pytest.approx(2.5, rel=1e-3)
    # the scale runs 18 % past the largest value, over the 380 px plot
    assert widths[0] == pytest.approx(380 / HEADROOM, abs=0.01)
    assert all(b["x"] == 0 for b in got)
    # bars are stacked top to bottom in category order, each label 3 px past its bar's end
    assert got[0]["y"] < got[1]["y"] < got[2]["y"]
    assert text_x(root, "40") == pytest.approx(widths[0] + 3, abs=0.01)
    assert text_x(root, "10") == pytest.approx(widths[1] + 3, abs=0.01)
    assert texts(root, ticks=False) == ["Utfall", "Arbete", "40", "Studier", "10", "Övrigt", "25"]


def test_suppressed_count_has_no_bar_but_its_label_and_empty_cells_have_neither():
    svg = bar_chart(["A", "B", "C"], [Series("x", [S.count(12), S.count(2), S.count(None)])], title="t")
    root = parse(svg)
    assert len(bars(root)) == 1  # only 12 is drawn
    labels = texts(root, ticks=False)
    assert labels == ["t", "A", "12", "B", "<3", "C"]  # no "2", and nothing for the empty cell
    assert text_x(root, "<3") == pytest.approx(3)  # at the value axis' zero
    assert "&lt;3" in svg  # escaped in the markup


def test_grouped_series_share_a_category_band_and_get_a_legend():
    s1 = Series("2022-H1", [S.count(30), S.count(20)])
    s2 = Series("2021-H1", [S.count(15), S.count(20)])
    root = parse(bar_chart(["Kvinnor", "Män"], [s1, s2], title="Flöde", colours=[COLOURS[0], COLOURS[2]]))
    plot_bars = bars(root)
    assert [b["fill"] for b in plot_bars] == [COLOURS[0], COLOURS[2]] * 2
    first, second = plot_bars[0], plot_bars[1]
    assert second["y"] == pytest.approx(first["y"] + first["height"])  # side by side, touching
    assert first["height"] == pytest.approx(second["height"])
    assert first["width"] / second["width"] == pytest.approx(2, rel=1e-3)
    legend = [r for r in root.findall("rect") if r.get("width") == "10"]
    assert [r.get("fill") for r in legend] == [COLOURS[0], COLOURS[2]]
    assert texts(root)[-2:] == ["2022-H1", "2021-H1"]
    # a single series has no legend
    single = parse(bar_chart(["Kvinnor"], [s1], title="Flöde"))
    assert "2022-H1" not in texts(single)


def test_vertical_bars_grow_up_from_the_axis_with_labels_above():
    root = parse(
        bar_chart(
            ["jan", "feb"], [Series("Nya", [S.count(40), S.count(20)])], title="Månad", horizontal=False, width=300
        )
    )
    b1, b2 = bars(root)
    assert b1["height"] / b2["height"] == pytest.approx(2, rel=1e-3)
    assert b1["height"] == pytest.approx(170 / HEADROOM, abs=0.01)
    assert b1["y"] + b1["height"] == pytest.approx(170) == pytest.approx(b2["y"] + b2["height"])
    assert b1["x"] < b2["x"]
    [label] = [t for t in root.iter("text") if t.text == "40" and t.get("class") != "tick"]
    assert float(label.get("y")) < b1["y"] and label.get("text-anchor") == "middle"
    assert float(label.get("x")) == pytest.approx(b1["x"] + b1["width"] / 2)


def test_percent_axis_and_reference_line():
    cells = [S.rate(0.5, pct=True), S.rate(0.95, pct=True), S.rate(0.3, 2, pct=True)]
    root = parse(bar_chart(["a", "b", "c"], [Series("Grad", cells)], title="Fullföljandegrad", percent=True, rule=0.9))
    hi = 1.0 * HEADROOM  # the largest of the values, the rule and 100 %
    w = [b["width"] for b in bars(root)]
    assert w == pytest.approx([0.5 / hi * 380, 0.95 / hi * 380], abs=0.01)
    labels = texts(root)
    assert f"50,0{NBSP}%" in labels and f"95,0{NBSP}%" in labels and ".." in labels  # hidden share: label only
    # ticks at whole tens of per cent up to 100 %; labels that would collide are thinned
    tick_labels = tick_texts(root)
    assert tick_labels[0] == f"0{NBSP}%" and tick_labels[-1] == f"100{NBSP}%"
    assert set(tick_labels) <= {f"{10 * i}{NBSP}%" for i in range(11)}
    [rule] = [line for line in root.iter("line") if line.get("class") == "rule"]
    assert rule.get("stroke") == RULE_COLOUR and rule.get("stroke-dasharray")
    assert float(rule.get("x1")) == pytest.approx(0.9 / hi * 380, abs=0.01)


def test_count_axis_has_whole_round_ticks_with_swedish_thousands():
    root = parse(bar_chart(["x"], [Series("kr", [S.amount(2_500_000)])], title="Budget"))
    ticks = tick_texts(root)
    values = [int(t.replace(NBSP, "")) for t in ticks]
    assert values[0] == 0 and values == sorted(values)
    steps = {b - a for a, b in itertools.pairwise(values)}
    assert len(steps) == 1 and steps.pop() in {500_000, 1_000_000}  # round, evenly spaced, thinned if crowded
    assert f"1{NBSP}000{NBSP}000" in ticks
    # tiny counts never get fractional ticks
    small = parse(bar_chart(["x"], [Series("n", [S.count(0)])], title="Noll"))
    assert tick_texts(small) == ["0", "1"]


def test_long_category_labels_are_cut_to_the_label_limit_and_titles_are_escaped():
    long = "Arbetslivsinriktad rehabilitering med en mycket lång förklarande text"
    root = parse(bar_chart([long], [Series("a", [S.count(5)])], title='A & B "<x>"'))
    [cut] = [t for t in texts(root) if t.startswith("Arbetslivsinriktad")]
    assert cut.endswith("…") and text_width(cut, 11) <= 220 < text_width(long, 11)
    assert root.get("aria-label") == 'A & B "<x>"' and root.get("role") == "img"


def test_nothing_to_draw_gives_no_chart():
    assert bar_chart(["a"], [Series("x", [S.count(None)])], title="tom") == ""
    assert bar_chart([], [], title="tom") == ""
    svg = bar_chart(["a"], [Series("x", [S.count(5)])], title="t")
    assert "http" not in svg and "<script" not in svg and " id=" not in svg
