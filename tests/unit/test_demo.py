"""The synthetic demo exports (pipelines/demo/generate.py): forms, codes, and the rules the
readers enforce (Luhn, no future dates, no overlapping episodes, registered Insats-IDs).

It is one module because nearly every test reads the same generated folder (the `demo`
fixture) for one promise: it looks like the real exports."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import re
from collections import defaultdict
from pathlib import Path

import fastexcel
import polars as pl
import pytest
import yaml

from pipelines.demo.generate import generate

ROOT = Path(__file__).resolve().parents[2]
END = dt.date(2026, 10, 31)
EXPORT = END + dt.timedelta(days=2)
KINDS = [
    "insatser",
    "sus_deltagare",
    "sus_anonyma",
    "stegmatning",
    "procapita_ekonomiskt_bistand",
    "procapita_aktiviteter",
    "procapita_narvaro",
    "budget",
    "finansiering",
    "ledger",
]


# ----------------------------------------------------------------------------- helpers


def _kind(path: Path) -> str:
    # longest kind that prefixes the name (procapita_* kinds share a prefix)
    return max((k for k in KINDS if path.name.startswith(k + "_")), key=len)


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252"), "cp1252"


def _read_table(path: Path) -> list[dict[str, str]]:
    """Rows of a csv/txt/xlsx export as dicts of strings ('' = empty); xlsx dates as ÅÅÅÅ-MM-DD."""
    if path.suffix == ".xlsx":
        reader = fastexcel.read_excel(path)
        raw_rows = reader.load_sheet(0, header_row=None).to_polars().rows()
        header_i = next(i for i, r in enumerate(raw_rows) if r[0] == "Förbund")
        df = reader.load_sheet(0, header_row=header_i).to_polars()
        header = df.columns
        out = []
        for r in df.rows():
            if r[0] == "Slutsumma":
                break
            d = {}
            for h, v in zip(header, r, strict=True):
                if v is None:
                    d[h] = ""
                elif isinstance(v, dt.datetime):
                    d[h] = v.date().isoformat()
                elif isinstance(v, dt.date):
                    d[h] = v.isoformat()
                else:
                    d[h] = str(v)
            out.append(d)
        return out
    text, _ = _decode(path.read_bytes())
    first = text.split("\n", 1)[0]
    sep = "\t" if "\t" in first else (";" if ";" in first else ",")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=sep))


def _norm_pnr(p: str) -> str:
    """Any accepted form → 12 digits (everyone here is born 1960-2004, so `-` forms)."""
    digits = p.replace("-", "").replace("+", "")
    if len(digits) == 10:
        yy = int(digits[:2])
        century = 20 if 2000 + yy <= EXPORT.year else 19
        digits = f"{century}{digits}"
    return digits


def _luhn_ok(p12: str) -> bool:
    ten = p12[2:]
    total = 0
    for i, ch in enumerate(ten[:9]):
        v = int(ch) * (2 if i % 2 == 0 else 1)
        total += v // 10 + v % 10
    return (10 - total % 10) % 10 == int(ten[9])


def _birth(p12: str) -> dt.date:
    day = int(p12[6:8])
    if day > 60:
        day -= 60
    return dt.date(int(p12[:4]), int(p12[4:6]), day)


def _date(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def _spec_headers(kind: str) -> list[str]:
    spec = yaml.safe_load((ROOT / "pipelines" / "sources" / f"{kind}.yml").read_text(encoding="utf-8"))
    return [c["header"] for c in spec["columns"]]


def _kodlistor() -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    with (ROOT / "dbt_project" / "seeds" / "kodlistor.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out[r["kodlista"]].add(r["kod"])
    return out


def _digest(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("demo_s1")
    paths = generate(out, seed=42, scale=1.0, end=END)
    by_kind: dict[str, list[Path]] = defaultdict(list)
    for p in paths:
        by_kind[_kind(p)].append(p)
    tables = {k: [r for p in ps for r in _read_table(p)] for k, ps in by_kind.items()}
    return {"dir": out, "paths": paths, "by_kind": by_kind, "tables": tables}


# ----------------------------------------------------------------------------- tests


def test_all_ten_kinds_written_with_export_date(demo):
    assert set(demo["by_kind"]) == set(KINDS)
    for p in demo["paths"]:
        assert p.exists() and p.stat().st_size > 0
        assert p.name.startswith(_kind(p) + "_")
        assert f"_{EXPORT.isoformat()}." in p.name, p.name
    assert len(demo["by_kind"]["sus_deltagare"]) == 3  # one per förbund
    assert sorted(p.suffix for p in demo["by_kind"]["sus_deltagare"]) == [".csv", ".csv", ".xlsx"]
    # nothing in the folder that is not returned
    assert sorted(demo["dir"].iterdir()) == sorted(demo["paths"])


def test_deterministic_per_seed(demo, tmp_path):
    again = generate(tmp_path / "again", seed=42, scale=1.0, end=END)
    assert _digest(again) == _digest(demo["paths"])
    other = generate(tmp_path / "other", seed=7, scale=1.0, end=END)
    d_other = _digest(other)
    d_demo = _digest(demo["paths"])
    assert set(d_other) == set(d_demo)
    changed = {n for n in d_demo if d_demo[n] != d_other[n]}
    assert {n for n in d_demo if n.startswith(("sus_deltagare", "ledger", "procapita_narvaro"))} <= changed


def test_sizes_at_scale_1(demo):
    t = demo["tables"]
    n_ep = len(t["sus_deltagare"])
    assert 1500 <= n_ep <= 4000
    assert 10_000 <= len(t["procapita_narvaro"]) <= 150_000
    forbund = {r["Förbund"] for r in t["insatser"]}
    assert forbund == {
        "Samordningsförbundet Västerås",
        "Södra Dalarnas Samordningsförbund",
        "Samordningsförbundet Malmö",
    }
    per_f = defaultdict(int)
    for r in t["insatser"]:
        per_f[r["Förbund"]] += 1
    assert min(per_f.values()) >= 3
    ins = {r["Insats-ID"]: r for r in t["insatser"]}
    assert ins["SOT-VAS"]["Insatsnamn"] == "Samordningsteam Västerås"
    assert (ins["SOT-VAS"]["Årsplatser"], ins["SOT-VAS"]["Provotid dagar"]) == ("111", "90")
    assert (
        ins["SAMV-AVESTA"]["Insatsnamn"],
        ins["SAMV-AVESTA"]["Årsplatser"],
        ins["SAMV-AVESTA"]["Provotid dagar"],
    ) == (
        "Samverkansteam Avesta",
        "60",
        "60",
    )
    assert ins["AC-MALMO"]["Insatsnamn"] == "Aktivitetscenter"


def test_headers_are_canonical(demo):
    for kind, paths in demo["by_kind"].items():
        expected = _spec_headers(kind)
        for p in paths:
            rows = _read_table(p)
            # (the ledger spec lists the optional Förbund first, as the files have it)
            assert list(rows[0].keys()) == expected, p.name


def test_encodings_and_delimiters(demo):
    bk = demo["by_kind"]
    (pay,) = bk["procapita_ekonomiskt_bistand"]
    raw = pay.read_bytes()
    assert pay.suffix == ".txt"
    assert raw.count(b"\r\n") == raw.count(b"\n") > 1000  # CRLF everywhere
    assert raw.split(b"\r\n")[0] == b"\t".join(
        x.encode()
        for x in [
            "Ar",
            "Manad",
            "Kommun",
            "Distrikt",
            "Personnr1",
            "Kon1",
            "Alder1",
            "Hhstatus1",
            "Sbel",
            "Personnr2",
            "Kon2",
            "Alder2",
        ]
    )
    raw.decode("cp1252")
    rows = _read_table(pay)
    assert all(re.fullmatch(r"\d{12}", r["Personnr1"]) for r in rows)
    assert all(re.fullmatch(r"\d{4}", r["Kommun"]) for r in rows)
    assert all(r["Manad"] in {f"{m:02d}" for m in range(1, 13)} for r in rows)
    assert any(r["Personnr2"] for r in rows) and any(not r["Personnr2"] for r in rows)

    cp1252_kinds = ["ledger", "procapita_narvaro", "procapita_aktiviteter"]
    for kind in cp1252_kinds:
        for p in bk[kind]:
            raw = p.read_bytes()
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")  # å ä ö as single bytes
            assert raw.count(b"\r\n") == raw.count(b"\n")
            assert raw.split(b"\r\n")[0].count(b";") >= 5

    (ledger,) = bk["ledger"]
    rows = _read_table(ledger)
    amount = re.compile(r"-?\d{1,3}( \d{3})*,\d{2}")
    assert all(amount.fullmatch(r["Belopp"]) for r in rows)
    assert any(" " in r["Belopp"] for r in rows)
    assert any(r["Belopp"].startswith("-") for r in rows)

    narv = _read_table(bk["procapita_narvaro"][0])
    assert all(
        re.fullmatch(r"\d+,\d", r["Planerade timmar"]) and re.fullmatch(r"\d+,\d", r["Närvarotimmar"]) for r in narv
    )

    sus = {p.name: p for p in bk["sus_deltagare"]}
    dal = sus[f"sus_deltagare_sodra_dalarna_{EXPORT}.csv"].read_bytes()
    assert not dal.startswith(b"\xef\xbb\xbf")
    assert dal.count(b"\r\n") == dal.count(b"\n")
    with pytest.raises(UnicodeDecodeError):
        dal.decode("utf-8")
    assert dal.split(b"\r\n")[0].decode("cp1252").split(";")[0] == "Förbund"
    malmo = sus[f"sus_deltagare_malmo_{EXPORT}.csv"].read_bytes()
    assert malmo.startswith(b"\xef\xbb\xbf")
    assert malmo.count(b"\r\n") == malmo.count(b"\n")
    assert malmo[3:].decode("utf-8").split("\r\n")[0].split(",")[0] == "Förbund"
    anon = bk["sus_anonyma"][0].read_bytes()
    assert anon.startswith(b"\xef\xbb\xbf") and b"," in anon.split(b"\n")[0]


def test_sus_xlsx_preamble_dates_and_slutsumma(demo):
    (xlsx,) = [p for p in demo["by_kind"]["sus_deltagare"] if p.suffix == ".xlsx"]
    assert xlsx.name == f"sus_deltagare_vasteras_{EXPORT}.xlsx"
    rows = fastexcel.read_excel(xlsx).load_sheet(0, header_row=None).to_polars().rows()
    assert rows[0][0] == "SUS - Deltagarlista"
    assert rows[1][0] == f"Exekvering: {EXPORT} 07:15:00"
    assert all(v is None for v in rows[2])
    assert list(rows[3]) == _spec_headers("sus_deltagare")
    assert rows[-1][0] == "Slutsumma" and all(v is None for v in rows[-1][1:])
    body = fastexcel.read_excel(xlsx).load_sheet(0, header_row=3).to_polars()
    assert body.height > 300
    # Startdatum / Slutdatum are real Excel dates (number cells with a date format)
    assert body.schema["Startdatum"] == body.schema["Slutdatum"] == pl.Datetime("ms")
    assert body["Startdatum"].head(-1).null_count() == 0
    assert 0 < body["Slutdatum"].null_count() < body.height
    assert body.schema["Personnummer"] == pl.String


def test_personnummer_valid_synthetic_and_sex_consistent(demo):
    t = demo["tables"]
    seen_forms = set()
    values: list[tuple[str, str | None]] = []
    values += [(r["Personnummer"], r["Kön"]) for r in t["sus_deltagare"]]
    values += [(r["Personnummer"], None) for r in t["stegmatning"]]
    values += [(r["Personnummer"], None) for r in t["procapita_aktiviteter"]]
    values += [(r["Personnummer"], None) for r in t["procapita_narvaro"][::50]]
    for r in t["procapita_ekonomiskt_bistand"]:
        values.append((r["Personnr1"], "Man" if r["Kon1"] == "1" else "Kvinna"))
        if r["Personnr2"]:
            values.append((r["Personnr2"], "Man" if r["Kon2"] == "1" else "Kvinna"))
    samordning = 0
    for raw, kon in values:
        if re.fullmatch(r"\d{8}-\d{4}", raw):
            seen_forms.add("long")
        elif re.fullmatch(r"\d{6}-\d{4}", raw):
            seen_forms.add("short")
        elif re.fullmatch(r"\d{12}", raw):
            seen_forms.add("digits")
        else:
            pytest.fail(f"bad personnummer form {raw!r}")
        p = _norm_pnr(raw)
        assert _luhn_ok(p), raw
        assert p[8:10] in ("98", "99"), raw  # synthetic serial range
        b = _birth(p)
        assert dt.date(1960, 1, 1) <= b <= dt.date(2004, 12, 31)
        samordning += int(p[6:8]) > 60
        if kon is not None:
            assert (int(p[10]) % 2 == 1) == (kon == "Man"), raw
    assert seen_forms == {"long", "short", "digits"}
    assert samordning > 0


def test_codes_come_from_kodlistor(demo):
    kl = _kodlistor()
    t = demo["tables"]
    code_cols = {
        "Kön": "kon",
        "Avslutsanledning": "avslutsanledning",
        "Sysselsättning efter": "sysselsattning_efter",
        "Tid i offentlig försörjning": "tid_i_offentlig_forsorjning",
        "Utbildningsnivå": "utbildningsniva",
        "Remittent": "remittent",
    }
    for r in t["sus_deltagare"]:
        for col, lista in code_cols.items():
            assert r[col] == "" or r[col] in kl[lista], (col, r[col])
        for col in ("Försörjning före", "Försörjning efter"):
            if r[col]:
                assert {x.strip() for x in r[col].split(",")} <= kl["forsorjning"], r[col]
        assert r["Försörjning före"]
    for r in t["insatser"]:
        assert {x.strip() for x in r["Målutfall"].split(",")} <= kl["utfall"]
    assert {r["Mättillfälle"] for r in t["stegmatning"]} <= kl["mattillfalle"]
    steg_ok = {"1", "2", "3", "4", "Introduktion", "Kom igång", "Kom i jobb", "Egen försörjning"}
    assert {r["Steg"] for r in t["stegmatning"]} <= steg_ok
    assert {r["Status"] for r in t["procapita_aktiviteter"]} == kl["aktivitetsstatus"]
    assert {r["Frånvaroorsak"] for r in t["procapita_narvaro"]} - {""} == kl["franvaroorsak"]
    assert {r["Kostnadsslag"] for r in t["budget"]} == kl["kostnadsslag"]
    # every Insats-ID used anywhere is registered
    registered = {r["Insats-ID"] for r in t["insatser"]}
    for kind in ("sus_deltagare", "sus_anonyma", "stegmatning", "procapita_aktiviteter", "budget"):
        used = {r["Insats-ID"] for r in t[kind]} - {""}
        assert used <= registered, kind
    assert {r["Projekt"] for r in t["ledger"]} - {""} <= registered
    assert all(3000 <= int(r["Konto"]) <= 8999 for r in t["ledger"])


def test_episodes_realistic_and_inside_insats(demo):
    t = demo["tables"]
    ins = {r["Insats-ID"]: r for r in t["insatser"]}
    n = len(t["sus_deltagare"])
    reasons = defaultdict(int)
    early = ongoing = empty_after = empty_syss = two_sources = 0
    for r in t["sus_deltagare"]:
        i = ins[r["Insats-ID"]]
        s = _date(r["Startdatum"])
        assert s >= max(_date(i["Startdatum"]), dt.date(2021, 1, 1))
        if not r["Slutdatum"]:
            ongoing += 1
            assert r["Avslutsanledning"] == "" and r["Sysselsättning efter"] == "" and r["Försörjning efter"] == ""
            assert not i["Slutdatum"]
            continue
        e = _date(r["Slutdatum"])
        assert s <= e
        if i["Slutdatum"]:
            assert e <= _date(i["Slutdatum"])
        assert r["Avslutsanledning"]
        reasons[r["Avslutsanledning"]] += 1
        if (e - s).days < int(i["Provotid dagar"]) and r["Avslutsanledning"] != "Felregistrering":
            early += 1
        empty_after += r["Försörjning efter"] == ""
        empty_syss += r["Sysselsättning efter"] == ""
        two_sources += "," in r["Försörjning före"]
    assert 0.02 * n < early < 0.15 * n
    assert 0 < reasons["Felregistrering"] < 0.03 * n
    assert 0.1 * n < ongoing < 0.5 * n
    assert empty_after > 0 and empty_syss > 0 and two_sources > 0.1 * n
    fore = defaultdict(int)
    for r in t["sus_deltagare"]:
        for x in r["Försörjning före"].split(", "):
            fore[x] += 1
    assert max(fore, key=fore.get) == "Försörjningsstöd"
    # a person may come back to the same insats, but never while still enrolled
    per = defaultdict(list)
    for r in t["sus_deltagare"]:
        per[(_norm_pnr(r["Personnummer"]), r["Insats-ID"])].append(r)
    assert any(len(v) > 1 for v in per.values())
    for v in per.values():
        v.sort(key=lambda r: r["Startdatum"])
        for a, b in itertools.pairwise(v):
            assert a["Slutdatum"] and a["Slutdatum"] < b["Startdatum"], (a, b)


def test_no_date_after_end(demo):
    t = demo["tables"]
    date_cols = {
        "insatser": ["Startdatum", "Slutdatum"],
        "sus_deltagare": ["Startdatum", "Slutdatum"],
        "stegmatning": ["Startdatum"],
        "procapita_aktiviteter": ["Beslutsdatum", "Startdatum", "Planerat slutdatum", "Slutdatum"],
        "procapita_narvaro": ["Datum"],
    }
    for kind, cols in date_cols.items():
        for r in t[kind]:
            for c in cols:
                if r[c]:
                    d = _date(r[c])
                    assert d <= END, (kind, c, r[c])
                    if kind != "insatser":
                        assert d >= dt.date(2021, 1, 1), (kind, c, r[c])
    end_ym = END.year * 100 + END.month
    assert max(int(r["Period"]) for r in t["ledger"]) <= end_ym
    assert min(int(r["Period"]) for r in t["ledger"]) >= 202101
    assert max(int(r["Ar"]) * 100 + int(r["Manad"]) for r in t["procapita_ekonomiskt_bistand"]) <= end_ym
    for kind in ("budget", "finansiering", "sus_anonyma"):
        assert max(int(r["År"]) for r in t[kind]) == END.year


def test_stegmatning_names_existing_episodes(demo):
    t = demo["tables"]
    episodes = {
        (_norm_pnr(r["Personnummer"]), r["Insats-ID"], r["Startdatum"]): r
        for r in t["sus_deltagare"]
        if r["Avslutsanledning"] != "Felregistrering"
    }
    seen = set()
    n_start = n_end = 0
    for r in t["stegmatning"]:
        key = (_norm_pnr(r["Personnummer"]), r["Insats-ID"], r["Startdatum"])
        assert key in episodes, r
        assert (key, r["Mättillfälle"]) not in seen
        seen.add((key, r["Mättillfälle"]))
        if r["Mättillfälle"] == "Avslut":
            n_end += 1
            assert episodes[key]["Slutdatum"]
        else:
            n_start += 1
    sot = [k for k in episodes if k[1] == "SOT-VAS"]
    assert n_start > 0.8 * len(sot)
    assert n_end > 0.3 * n_start
    assert any(not r["Steg"].isdigit() for r in t["stegmatning"])


def test_procapita_activities_and_attendance(demo):
    t = demo["tables"]
    acts = t["procapita_aktiviteter"]
    assert any(r["Insats-ID"] == "" for r in acts) and any(r["Insats-ID"] == "AC-MALMO" for r in acts)
    ended = [r for r in acts if r["Status"] != "Pågående"]
    full = sum(r["Status"] == "Fullföljd" for r in ended)
    assert 0.8 <= full / len(ended) <= 0.93
    for r in acts:
        assert (r["Slutdatum"] == "") == (r["Status"] == "Pågående")
        assert r["Beslutsdatum"] <= r["Startdatum"]
        if r["Slutdatum"]:
            assert r["Startdatum"] <= r["Slutdatum"]
    spans = defaultdict(list)
    for r in acts:
        spans[(_norm_pnr(r["Personnummer"]), r["Aktivitet"])].append(
            (r["Startdatum"], r["Slutdatum"] or END.isoformat())
        )
    for r in t["procapita_narvaro"][::7]:
        d = _date(r["Datum"])
        assert d.weekday() < 5
        planned = float(r["Planerade timmar"].replace(",", "."))
        present = float(r["Närvarotimmar"].replace(",", "."))
        assert 0 <= present <= planned
        assert (r["Frånvaroorsak"] != "") == (present == 0)
        key = (_norm_pnr(r["Personnummer"]), r["Aktivitet"])
        assert any(a <= r["Datum"] <= b for a, b in spans[key]), r
    # payments link to SUS participants through the same personnummer
    sus_people = {_norm_pnr(r["Personnummer"]) for r in t["sus_deltagare"]}
    paid = {r["Personnr1"] for r in t["procapita_ekonomiskt_bistand"]}
    assert paid <= sus_people
    assert 0.1 * len(sus_people) < len(paid) < 0.8 * len(sus_people)
    months = defaultdict(int)
    for r in t["procapita_ekonomiskt_bistand"]:
        months[(r["Personnr1"], r["Ar"], r["Manad"])] += 1
        assert int(r["Sbel"]) > 0 and r["Kon1"] in ("1", "2")
    assert max(months.values()) == 1


def test_money_budget_finansiering_ledger(demo):
    t = demo["tables"]
    budget = defaultdict(int)
    admin = set()
    for r in t["budget"]:
        if r["Insats-ID"] == "":
            admin.add((r["År"], r["Förbund"]))
        budget[(r["År"], r["Insats-ID"])] += int(r["Belopp"])
    years = {str(y) for y in range(2021, END.year + 1)}
    forbund = {r["Förbund"] for r in t["insatser"]}
    assert admin == {(y, f) for y in years for f in forbund}
    fin = defaultdict(dict)
    for r in t["finansiering"]:
        fin[(r["År"], r["Förbund"])][r["Finansiär"]] = int(r["Belopp"])
    for (_, _f), parts in fin.items():
        total = sum(parts.values())
        assert parts["Försäkringskassan"] == total // 2
        region = [v for k, v in parts.items() if k.startswith("Region")]
        assert region == [total // 4]
    assert len(fin[("2021", "Södra Dalarnas Samordningsförbund")]) == 5  # FK, region, three kommuner
    cost = defaultdict(float)
    konton = set()
    for r in t["ledger"]:
        konto = int(r["Konto"])
        konton.add(konto // 1000)
        if 4000 <= konto <= 7999:
            cost[(r["Period"][:4], r["Projekt"])] += float(r["Belopp"].replace(" ", "").replace(",", "."))
    assert {3, 4, 5, 6, 7, 8} <= konton
    for y in ("2022", "2023", "2024", "2025"):
        for ins in ("SOT-VAS", "SAMV-AVESTA", "AC-MALMO"):
            assert 0.7 < cost[(y, ins)] / budget[(y, ins)] < 1.2, (y, ins)
    assert all(r["Förbund"] for r in t["ledger"])
    assert any(r["Projekt"] == "" and 4000 <= int(r["Konto"]) <= 7999 for r in t["ledger"])


def test_scale_2_gives_about_twice_the_episodes(demo, tmp_path):
    paths = generate(tmp_path / "s2", seed=42, scale=2.0, end=END)
    n2 = sum(len(_read_table(p)) for p in paths if _kind(p) == "sus_deltagare")
    n1 = len(demo["tables"]["sus_deltagare"])
    assert 1.7 <= n2 / n1 <= 2.3
    forbund = {r["Förbund"] for p in paths if _kind(p) == "insatser" for r in _read_table(p)}
    assert len(forbund) == 4


def test_other_end_date(tmp_path):
    end = dt.date(2024, 6, 30)
    paths = generate(tmp_path / "e", seed=1, scale=0.3, end=end)
    assert all("2024-07-02" in p.name for p in paths)
    for p in paths:
        if _kind(p) in ("sus_deltagare", "procapita_narvaro"):
            for r in _read_table(p):
                for c in ("Startdatum", "Slutdatum", "Datum"):
                    if r.get(c):
                        assert _date(r[c]) <= end


def test_large_scale_splits_month_additive_kinds_by_year(tmp_path):
    """Above scale 25 ledger / närvaro / ekonomiskt bistånd come one file per year, each dated
    after its data, and no month is in two files (those kinds replace by month)."""
    paths = generate(tmp_path / "big", seed=3, scale=26, end=END)
    by_kind = defaultdict(list)
    for p in paths:
        by_kind[_kind(p)].append(p)
    assert len(by_kind["procapita_aktiviteter"]) == 1  # replaced whole: never split
    assert len(by_kind["sus_deltagare"]) == len({r["Förbund"] for r in _read_table(by_kind["insatser"][0])})
    for kind, month_of in (
        ("ledger", lambda df: df["Period"]),
        ("procapita_ekonomiskt_bistand", lambda df: df["Ar"] + df["Manad"]),
        ("procapita_narvaro", lambda df: df["Datum"].str.slice(0, 4) + df["Datum"].str.slice(5, 2)),
    ):
        files = by_kind[kind]
        assert len(files) == END.year - 2021 + 1, kind
        seen: dict[str, str] = {}
        for p in files:
            text, _ = _decode(p.read_bytes())
            sep = "\t" if kind == "procapita_ekonomiskt_bistand" else ";"
            df = pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False)
            file_date = dt.date.fromisoformat(re.search(r"_(\d{4}-\d{2}-\d{2})\.", p.name).group(1))
            months = set(month_of(df).unique().to_list())
            assert max(months) <= f"{file_date.year}{file_date.month:02d}", p.name
            for m in months:
                assert m not in seen, (kind, m, p.name, seen.get(m))
                seen[m] = p.name
