"""Swedish number formatting, the small-count rule, period comparison, paths and a chart smoke test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.report import report_path, safe_name
from pipelines.report.charts import Series, bar_chart
from pipelines.report.data import comparison_period_id, kon_list
from pipelines.report.format import NBSP, Suppressor, fmt_number, fmt_pct


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0, 0, "0"),
        (999, 0, "999"),
        (1000, 0, "1 000"),
        (1531595, 0, "1 531 595"),
        (1234567.891, 1, "1 234 567,9"),
        (17.45, 1, "17,5"),  # half up, not banker's rounding
        (0.125, 2, "0,13"),
        (-66872.18, 0, "-66 872"),
        (-0.04, 1, "0,0"),  # no "-0,0"
        (2212598.0, 0, "2 212 598"),
    ],
)
def test_swedish_numbers(value, digits, expected):
    text = fmt_number(value, digits)
    assert plain(text) == expected
    assert " " not in text  # thousands use a no-break space, so a number never wraps


def test_percent_and_nothing():
    assert fmt_pct(11 / 18) == f"61,1{NBSP}%"
    assert fmt_pct(0.7) == f"70,0{NBSP}%"
    assert fmt_pct(None) == "–"
    assert fmt_number(None) == "–"


def test_small_counts_are_suppressed():
    s = Suppressor(3)
    assert [s.count(n).text for n in (0, 1, 2, 3, 1234)] == ["0", "<3", "<3", "3", f"1{NBSP}234"]
    assert s.count(2).kind == "sup" and s.count(2).value is None  # nothing for a chart to draw
    assert s.count(None).text == "–"
    assert Suppressor(5).count(4).text == "<5"


def test_shares_and_means_from_small_counts_are_hidden():
    s = Suppressor(3)
    assert s.share(11, 18).text == f"61,1{NBSP}%"
    assert s.share(0, 18).text == f"0,0{NBSP}%"
    assert s.share(2, 18).text == ".."  # numerator suppressed
    assert s.share(2, 2).text == ".."  # denominator suppressed
    assert s.share(5, 10, also=(1,)).text == ".."
    assert s.share(3, 0).text == "–" and s.share(None, 5).text == "–"
    assert s.rate(17.44, 11).text == "17,4"
    assert s.rate(35.0, 1).text == ".."  # one person's time in insats
    assert s.rate(0.5, pct=True).text == f"50,0{NBSP}%"
    assert s.diff(24, 16).text == "-8" and s.diff(2, 16).text == ".." and s.diff(0, 0).text == "0"
    assert s.amount(1.0).text == "1"  # money and hours are not counts of people


@pytest.mark.parametrize(
    ("period_id", "expected"),
    [
        ("2022-H1", "2021-H1"),
        ("2022", "2021"),
        ("2022-Q2", "2021-Q2"),
        ("2022-06", "2021-06"),
        ("2021-07--2022-06", "2020-07--2021-06"),
        ("2000-H2", "1999-H2"),
    ],
)
def test_comparison_is_the_same_period_a_year_earlier(period_id, expected):
    assert comparison_period_id(period_id) == expected


def test_safe_names_and_paths():
    assert safe_name("Samordningsförbundet Västerås") == "Samordningsförbundet_Västerås"
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("(förbund)") == "förbund"
    assert safe_name("") == "_" and safe_name("..") == "_"
    assert safe_name("2021-07--2022-06") == "2021-07--2022-06"
    out = Path("/r")
    assert report_path(out, "Södra Dalarna", "SAMV/AVESTA", "2018") == Path("/r/Södra_Dalarna/SAMV_AVESTA/2018.html")
    assert report_path(out, "Södra Dalarna", None, "2018") == Path("/r/Södra_Dalarna/_forbund/2018.html")
    assert report_path(out, "F", "_forbund", "2018").parent.name != "_forbund"


def test_kon_columns_show_okant_only_when_used():
    rows = [{"kon": "Kvinna", "n": 1}, {"kon": "Man", "n": 0}, {"kon": "Okänt", "n": 0, "sortering": 5}]
    assert kon_list(rows) == ["Kvinna", "Man"]
    rows[2]["n"] = 1
    assert kon_list(rows) == ["Kvinna", "Man", "Okänt"]


def test_bar_chart_renders_offline_with_suppressed_labels():
    s = Suppressor(3)
    svg = bar_chart(
        ["Arbete", "Studier", "Övrigt"],
        [
            Series("2022-H1", [s.count(12), s.count(2), s.count(0)]),
            Series("2021-H1", [s.count(1234), s.count(5), s.count(None)]),
        ],
        title="Utfall",
    )
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "http" not in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "&lt;3" in texts and "12" in texts and f"1{NBSP}234" in texts
    assert "2" not in texts  # the suppressed count is not drawn
    assert bar_chart(["a"], [Series("x", [s.count(None)])], title="tom") == ""
