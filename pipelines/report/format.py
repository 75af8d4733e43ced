"""Swedish number formatting and small-count suppression for the reports.

Formatting (as Swedish reports and SCB print numbers):
- thousands separated by a no-break space (U+00A0), so a number never wraps: `1 531 595`;
- decimal comma: `17,4`; rounding half up (17,45 → 17,5), not banker's rounding;
- per cent with one decimal, a no-break space and `%`: `61,1 %`;
- a hyphen-minus for negative numbers (`-66 872`), so a copied cell stays a number in Excel.

Suppression (the rule, also in README.md and the report's footer):
- a count of people (or of episodes, activities …) greater than 0 and below the threshold is
  shown as `<T` (default `<3`) in tables, charts and running text; 0 is shown as 0;
- a share, mean or amount per person computed from such a count (as numerator or denominator)
  is hidden and shown as `..`;
- `–` means that there is nothing to show (no denominator, no data for the period).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NBSP = "\u00a0"
HIDDEN = ".."  # SCB: "uppgift för osäker / sekretess" — here: computed from a suppressed count
NOTHING = "–"  # nothing to show: no denominator, or no data for the period


def _round(value: float, digits: int) -> Decimal:
    try:
        return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # nan / inf
        raise ValueError(f"not a finite number: {value!r}") from None


def fmt_number(value: float | int | None, digits: int = 0) -> str:
    """`1234567.891, 1` → `1 234 567,9` (no-break space thousands, decimal comma)."""
    if value is None:
        return NOTHING
    if isinstance(value, int):  # the common case, exact without Decimal
        return f"{value:,}".replace(",", NBSP) + ("," + "0" * digits if digits else "")
    d = _round(value, digits)
    if d == 0:
        d = abs(d)  # no "-0"
    sign = "-" if d < 0 else ""
    text = f"{abs(d):.{digits}f}"
    whole, _, frac = text.partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = NBSP.join(groups)
    return sign + out + ("," + frac if frac else "")


def fmt_pct(share: float | None, digits: int = 1) -> str:
    """A share 0–1 as per cent: `0.6111` → `61,1 %`."""
    if share is None:
        return NOTHING
    return fmt_number(100 * share, digits) + NBSP + "%"


def fmt_pct_points(value: float | None, digits: int = 0) -> str:
    """A number that already is per cent (e.g. forandring_pct = 400) → `400 %`."""
    if value is None:
        return NOTHING
    return fmt_number(value, digits) + NBSP + "%"


@dataclass(frozen=True)
class Cell:
    """One formatted table cell. `value` is the number a chart may draw (None = nothing/hidden)."""

    text: str
    kind: str = "num"  # num | txt | sup (suppressed count) | hidden (derived from one) | na
    value: float | None = None

    @property
    def css(self) -> str:
        return {"num": "num", "txt": "txt", "sup": "num sup", "hidden": "num hidden", "na": "num na"}[self.kind]

    @property
    def title(self) -> str | None:
        if self.kind == "sup":
            return "Litet antal: visas inte exakt"
        if self.kind == "hidden":
            return "Dold: beräknad på ett litet antal"
        return None


def text_cell(text: str) -> Cell:
    return Cell(text, "txt")


@dataclass(frozen=True)
class Suppressor:
    """Applies the small-count rule with one threshold to every number of one report."""

    threshold: int = 3

    @property
    def label(self) -> str:
        return f"<{self.threshold}"

    def small(self, n: float | int | None) -> bool:
        return n is not None and 0 < n < self.threshold

    def any_small(self, *counts: float | int | None) -> bool:
        return any(self.small(n) for n in counts)

    # cells --------------------------------------------------------------------------------
    def count(self, n: int | None) -> Cell:
        if n is None:
            return Cell(NOTHING, "na")
        if self.small(n):
            return Cell(self.label, "sup")
        return Cell(fmt_number(n), "num", float(n))

    def share(self, num: float | None, den: float | None, *, digits: int = 1, also: tuple = ()) -> Cell:
        """num / den as per cent; hidden when num, den or any count in `also` is suppressed."""
        if den is None or den == 0 or num is None:
            return Cell(NOTHING, "na")
        if self.any_small(num, den, *also):
            return Cell(HIDDEN, "hidden")
        v = num / den
        return Cell(fmt_pct(v, digits), "num", v)

    def rate(self, value: float | None, *counts: float | int | None, digits: int = 1, pct: bool = False) -> Cell:
        """A mean, share or amount per person given ready-made, computed from `counts`."""
        if value is None:
            return Cell(NOTHING, "na")
        if self.any_small(*counts):
            return Cell(HIDDEN, "hidden")
        return Cell(fmt_pct(value, digits) if pct else fmt_number(value, digits), "num", float(value))

    def amount(self, value: float | None, digits: int = 0) -> Cell:
        """Money, hours or places: not a count of people, never suppressed."""
        if value is None:
            return Cell(NOTHING, "na")
        return Cell(fmt_number(value, digits), "num", float(value))

    def diff(self, a: int | None, b: int | None) -> Cell:
        """b − a for two counts; hidden when either is suppressed (it would reveal it)."""
        if a is None or b is None:
            return Cell(NOTHING, "na")
        if self.any_small(a, b):
            return Cell(HIDDEN, "hidden")
        return Cell(fmt_number(b - a), "num", float(b - a))

    # running text ----------------------------------------------------------------------------
    def n(self, n: int | None) -> str:
        return self.count(n).text
