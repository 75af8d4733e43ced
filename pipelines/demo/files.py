"""Writing the export files: CSV in the encodings real exports use, the SUS xlsx layout and the
names of the yearly files."""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo.codes import (
    AVSLUT,
    EXCEL_EPOCH_OFFSET,
    FORS,
    FRANVARO,
    KON,
    KOSTNADSSLAG,
    REMITTENT,
    STATUS,
    STEG_NAMN,
    SUS_COLUMNS,
    SYSS,
    TID,
    UTB,
    WORLD_FILE,
)

_C1 = re.compile("[\u0080-\u009f]")


def _latin1_is_cp1252(texts) -> bool:
    """True when every text is latin-1 without C1 controls: then cp1252 bytes = latin-1 bytes."""
    for t in texts:
        try:
            t.encode("latin-1")
        except UnicodeEncodeError:
            return False
        if _C1.search(t):
            return False
    return True


@functools.cache
def _fast_cp1252() -> bool:
    """Every string in the data comes from world.yml or the code lists above."""
    consts = [KON, AVSLUT, SYSS, FORS, TID, UTB, REMITTENT, STEG_NAMN, STATUS, FRANVARO, KOSTNADSSLAG, SUS_COLUMNS]
    return _latin1_is_cp1252([WORLD_FILE.read_text(encoding="utf-8")] + [x for c in consts for x in c])


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "cp1252" and _fast_cp1252():
        return text.encode("latin-1")  # a memcpy for latin-1 text; the same bytes as cp1252 here
    return text.encode(encoding)


@dataclass
class ExportFolder:
    out_dir: Path
    paths: list[Path] = field(default_factory=list)

    def csv(
        self,
        name: str,
        df: pl.DataFrame,
        *,
        sep: str = ";",
        encoding: str = "utf-8",
        bom: bool = False,
        crlf: bool = False,
        chunk_rows: int = 1_000_000,
    ) -> Path:
        path = self.out_dir / name
        with path.open("wb") as fh:
            self.write_frame(fh, df, sep=sep, encoding=encoding, bom=bom, crlf=crlf, header=True, chunk_rows=chunk_rows)
        self.paths.append(path)
        return path

    @staticmethod
    def write_frame(fh, df, *, sep, encoding, bom, crlf, header, chunk_rows=1_000_000) -> None:
        if bom and header:
            fh.write(codecs.BOM_UTF8)
        n = df.height
        for off in range(0, max(n, 1), chunk_rows):
            part = df.slice(off, chunk_rows)
            buf = io.BytesIO()
            part.write_csv(
                buf,
                separator=sep,
                line_terminator="\r\n" if crlf else "\n",
                include_header=header and off == 0,
                quote_style="necessary",
                null_value="",
            )
            data = buf.getvalue()
            if encoding != "utf-8":
                data = _encode(data.decode("utf-8"), encoding)
            fh.write(data)


def write_sus_xlsx(
    path: Path, df: pl.DataFrame, start_days: np.ndarray, end_days: np.ndarray, stamp: dt.datetime
) -> None:
    """SUS report layout: title, `Exekvering:` stamp, blank row, header, rows, `Slutsumma`."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"title": "SUS - Deltagarlista", "author": "SUS", "created": stamp})
    ws = wb.add_worksheet("Deltagarlista")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    bold = wb.add_format({"bold": True})
    ws.write_string(0, 0, "SUS - Deltagarlista", bold)
    ws.write_string(1, 0, f"Exekvering: {stamp:%Y-%m-%d %H:%M:%S}")
    ws.write_row(3, 0, SUS_COLUMNS, bold)
    i_start, i_end = SUS_COLUMNS.index("Startdatum"), SUS_COLUMNS.index("Slutdatum")
    r = 4
    for row, s, t in zip(df.iter_rows(), start_days.tolist(), end_days.tolist(), strict=True):
        for c, v in enumerate(row):
            if c == i_start:
                ws.write_number(r, c, s + EXCEL_EPOCH_OFFSET, date_fmt)
            elif c == i_end:
                if t >= 0:
                    ws.write_number(r, c, t + EXCEL_EPOCH_OFFSET, date_fmt)
            elif v is not None:
                ws.write_string(r, c, v)
        r += 1
    ws.write_string(r, 0, "Slutsumma", bold)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 13, 18)
    wb.close()


def yearly_file_names(kind: str, ext: str, years: list[int], end: dt.date, split: bool) -> dict[int | None, str]:
    export = end + dt.timedelta(days=2)
    if not split:
        return {None: f"{kind}_{export.isoformat()}.{ext}"}
    names = {}
    for y in years:
        fdate = min(dt.date(y + 1, 1, 12), export)
        names[y] = f"{kind}_{fdate.isoformat()}.{ext}"
    return names
