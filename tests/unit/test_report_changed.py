"""After a night only the reports whose rows changed are rendered again (pipelines/report/)."""

from __future__ import annotations

import datetime as dt

from pipelines.report.data import Period
from pipelines.report.render import Job, touched_by


def _half_year(year: int) -> Period:
    start, end = dt.date(year, 1, 1), dt.date(year, 6, 30)
    return Period("halvar", f"{year}-H1", start, end, period_slut_as_of=end, is_complete=True, as_of=None)


H1, H1_2025 = _half_year(2026), _half_year(2025)
JOB = Job("Förbund A", "INS-1", H1)


def test_a_change_in_another_forbund_leaves_the_report():
    assert not touched_by(JOB, [("genomflode", "Förbund B", dt.date(2026, 1, 1), dt.date(2026, 6, 30))], H1_2025)


def test_a_change_in_a_later_period_leaves_the_report():
    assert not touched_by(JOB, [("genomflode", "Förbund A", dt.date(2026, 11, 1), dt.date(2026, 11, 30))], H1_2025)


def test_a_change_in_a_month_of_the_period_renders_it_again():
    assert touched_by(JOB, [("genomflode", "Förbund A", dt.date(2026, 3, 1), dt.date(2026, 3, 31))], H1_2025)


def test_a_change_in_the_comparison_period_renders_it_again():
    assert touched_by(JOB, [("genomflode", "Förbund A", dt.date(2025, 1, 1), dt.date(2025, 6, 30))], H1_2025)


def test_a_change_only_in_a_longer_period_around_it_leaves_the_report():
    assert not touched_by(JOB, [("genomflode", "Förbund A", dt.date(2026, 1, 1), dt.date(2026, 12, 31))], H1_2025)
    assert not touched_by(JOB, [("genomflode", "Förbund A", dt.date(2025, 12, 1), dt.date(2026, 11, 30))], H1_2025)


def test_a_change_of_every_forbund_or_every_period_renders_it_again():
    assert touched_by(JOB, [("genomflode", None, dt.date(2026, 6, 1), dt.date(2026, 6, 30))], None)
    assert touched_by(JOB, [("genomflode", "Förbund A", None, None)], None)


def test_a_change_in_the_financing_of_the_year_around_it_renders_it_again():
    assert touched_by(JOB, [("finansiering", "Förbund A", dt.date(2026, 1, 1), dt.date(2026, 12, 31))], H1_2025)
