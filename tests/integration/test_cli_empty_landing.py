"""A landing folder emptied after its exports were loaded is no error: raw keeps every export,
so `finsam refresh` goes on from those (and, with nothing changed, publishes nothing new)."""

from __future__ import annotations

from cli_refresh import run_refresh_cli


def test_refresh_with_an_emptied_landing_folder_after_loads(published_copy):
    data = published_copy()
    exports = sorted((data / "landing").iterdir())
    for path in exports:
        path.unlink()
    bi_before = (data / "bi.duckdb").read_bytes()

    done = run_refresh_cli(data)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert (
        f"finsam refresh: the landing folder {(data / 'landing').resolve()} holds no export; "
        f"refreshing from the {len(exports)} files loaded before"
    ) in done.stdout
    assert "Nothing changed since the publish of" in done.stdout
    assert (data / "bi.duckdb").read_bytes() == bi_before
