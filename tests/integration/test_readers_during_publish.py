"""BI readers while publish() runs again and again: never an error, always one whole refresh.

Readers live in other processes (DuckDB caches one database instance per path and process, see
docs/architecture.md), as BI tools do:
- `long`: one read-only connection opened before the republishing starts and kept open,
  querying in a loop. It keeps reading the file it opened (the old inode): always the same
  whole refresh, never an error, even while five newer ones are swapped in.
- `new`: a new read-only connection per query. It sees each newer refresh as it lands, in
  order, each one whole.
- `parquet`: resolves the `bi` symlink once per read and reads both files from that version
  folder. publish() keeps a version folder until the publish after next, so only a read that
  spans two publishes (here 0.3 s apart; nightly in real life) finds its folder gone: it
  resolves the link again (README, "Connecting BI tools").
Whole = the two marts agree: genomflode has generation*10 rows and resultat generation*10+1.
"""

import json
import subprocess
import sys
import time

import duckdb

from pipelines.publish.bi import publish

READER = r"""
import json, sys, time
from pathlib import Path
import duckdb
import pyarrow.parquet as pq

mode, data, stop, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), open(sys.argv[4], "w")

def whole(con):
    g1, n1 = con.execute("select max(generation), count(*) from marts.genomflode").fetchone()
    g2, n2 = con.execute("select max(generation), count(*) from marts.resultat").fetchone()
    return g1 if (g1 == g2 and n1 == g1 * 10 and n2 == g1 * 10 + 1) else -1

long = duckdb.connect(str(data / "bi.duckdb"), read_only=True) if mode == "long" else None
print("ready", flush=True)
retried = 0
while True:
    done = stop.exists()
    try:
        if mode == "long":
            gen = whole(long)
        elif mode == "new":
            with duckdb.connect(str(data / "bi.duckdb"), read_only=True) as con:
                gen = whole(con)
        else:
            for attempt in range(3):
                version = (data / "bi").resolve()
                try:
                    a = pq.read_table(version / "genomflode.parquet")
                    b = pq.read_table(version / "resultat.parquet")
                    break
                except FileNotFoundError:  # two publishes during one read: resolve again
                    retried += 1
            g = max(a.column("generation").to_pylist())
            gen = g if (max(b.column("generation").to_pylist()) == g and a.num_rows == g * 10 and b.num_rows == g * 10 + 1) else -1
        out.write(json.dumps({"gen": gen, "retried": retried}) + "\n")
    except Exception as exc:
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
    out.flush()
    if done:
        break
    time.sleep(0.005)
"""

GENERATIONS = 6
PADDING_ROWS = 200_000  # publish takes a moment


def test_readers_see_no_error_and_always_one_whole_refresh(tmp_path, generation_warehouse):
    data = tmp_path
    generation_warehouse(data / "warehouse.duckdb", 1, padding_rows=PADDING_ROWS)
    publish(data / "warehouse.duckdb", data / "bi.duckdb", data / "bi")
    stop = data / "stop"
    readers = {}
    for mode in ("long", "new", "parquet"):
        proc = subprocess.Popen(
            [sys.executable, "-c", READER, mode, str(data), str(stop), str(data / f"{mode}.jsonl")],
            stdout=subprocess.PIPE,
            text=True,
        )
        readers[mode] = proc
    for proc in readers.values():
        assert proc.stdout.readline().strip() == "ready"

    started = time.monotonic()
    for generation in range(2, GENERATIONS + 1):
        generation_warehouse(data / "warehouse.duckdb", generation, padding_rows=PADDING_ROWS)
        publish(data / "warehouse.duckdb", data / "bi.duckdb", data / "bi")
        time.sleep(0.3)
    elapsed = time.monotonic() - started
    stop.touch()
    for proc in readers.values():
        assert proc.wait(timeout=60) == 0

    seen = {mode: [json.loads(line) for line in (data / f"{mode}.jsonl").read_text().splitlines()] for mode in readers}
    for mode, observations in seen.items():
        errors = [o["error"] for o in observations if "error" in o]
        assert errors == [], f"{mode}: {errors[:3]}"
        gens = [o["gen"] for o in observations]
        assert -1 not in gens, f"{mode} saw half a refresh"
        assert len(gens) >= 20, f"{mode} read only {len(gens)} times in {elapsed:.1f} s"
    # the long-lived connection keeps its refresh; new connections and Parquet follow each new one
    assert {o["gen"] for o in seen["long"]} == {1}
    for mode in ("new", "parquet"):
        gens = [o["gen"] for o in seen[mode]]
        assert gens == sorted(gens), f"{mode} went back in time"
        assert gens[-1] == GENERATIONS and len(set(gens)) >= 3, f"{mode} saw {sorted(set(gens))}"
    # and a connection opened now, in this process, sees the newest
    with duckdb.connect(str(data / "bi.duckdb"), read_only=True) as con:
        assert con.execute("select max(generation) from marts.resultat").fetchone()[0] == GENERATIONS
