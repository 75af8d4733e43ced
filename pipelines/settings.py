"""The one place where paths, dates and secrets come from.

Each setting is taken from a CLI flag (the CLI writes it into the environment before
Dagster starts), then the `FINSAM_*` environment variable, then a default. Every other
module asks `get_settings()` and never reads the environment itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SOURCES_SPEC_DIR = Path(__file__).resolve().parent / "sources"

# The demo key is public (it is in this file); it exists so that `make run` works out of the
# box on synthetic data. Real data must be pseudonymised with a secret key.
DEMO_PSEUDONYM_KEY = "finsam-warehouse-demo-key-not-secret"

ENV_LANDING_DIR = "FINSAM_LANDING_DIR"
ENV_DATA_DIR = "FINSAM_DATA_DIR"
ENV_AS_OF = "FINSAM_AS_OF"
ENV_PSEUDONYM_KEY = "FINSAM_PSEUDONYM_KEY"
ENV_PSEUDONYM_KEY_FILE = "FINSAM_PSEUDONYM_KEY_FILE"
ENV_SUPPRESSION_THRESHOLD = "FINSAM_SUPPRESSION_THRESHOLD"
ENV_LOCK_TIMEOUT = "FINSAM_LOCK_TIMEOUT"
ENV_ALERT_WEBHOOK_URL = "FINSAM_ALERT_WEBHOOK_URL"
ENV_FORCE_REBUILD = "FINSAM_FORCE_REBUILD"
ENV_DUCKDB_MEMORY_LIMIT = "FINSAM_DUCKDB_MEMORY_LIMIT"
ENV_POSTGRES_URL = "FINSAM_POSTGRES_URL"

log = logging.getLogger(__name__)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and the expected form."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    data_dir: Path
    as_of: dt.date
    pseudonym_key: bytes
    using_demo_key: bool
    # Reports show counts below this as "<N" (small-number suppression), see README.
    suppression_threshold: int
    # Seconds a refresh waits for another one's <data dir>/refresh.lock; None: the caller's
    # default (0 for `finsam refresh`, an hour for daemon runs), see pipelines/ops/lock.py.
    lock_timeout_seconds: float | None = None
    # Failed runs are POSTed here as JSON when set (pipelines/ops/alerts.py).
    alert_webhook_url: str | None = None
    # Rebuild and publish even when nothing changed since the last publish
    # (`finsam refresh --force`, pipelines/transform/inputs.py).
    force_rebuild: bool = False
    # DuckDB's memory limit in the dbt build (profiles.yml); beyond it DuckDB spills to disk. With
    # 2.5 GB the dbt process stays near 3.1 GB at 1x national (3.5 GB with 3 GB), equally fast.
    duckdb_memory_limit: str = "2500MB"
    # The publish writer's PostgreSQL connection (libpq URL or key=value string). When set, each
    # publish also replaces schema marts there (pipelines/publish/postgres.py); never logged,
    # since it may hold a password.
    postgres_url: str | None = field(default=None, repr=False)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def bi_path(self) -> Path:
        return self.data_dir / "bi.duckdb"

    @property
    def bi_parquet_dir(self) -> Path:
        return self.data_dir / "bi"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster_home"

    @property
    def validation_dir(self) -> Path:
        return self.data_dir / "validation"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def docs_dir(self) -> Path:
        return self.data_dir / "docs"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"


def _read_key() -> tuple[bytes, bool]:
    key = os.environ.get(ENV_PSEUDONYM_KEY)
    if key:
        return key.encode("utf-8"), False
    key_file = os.environ.get(ENV_PSEUDONYM_KEY_FILE)
    if key_file:
        try:
            key_bytes = Path(key_file).read_bytes().strip()
        except OSError as exc:
            raise SettingsError(f"{ENV_PSEUDONYM_KEY_FILE}: cannot read {key_file} ({exc.strerror})") from None
        if not key_bytes:
            raise SettingsError(f"{ENV_PSEUDONYM_KEY_FILE}: {key_file} is empty; it must hold the secret key")
        return key_bytes, False
    return DEMO_PSEUDONYM_KEY.encode("utf-8"), True


def parse_as_of(text: str, name: str) -> dt.date:
    """The data date; `name` is what the user set it with (`--as-of` or FINSAM_AS_OF)."""
    try:
        # fromisoformat also takes 20261031 or 2026-W44-6; a data date is written one way only.
        if not _ISO_DAY.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SettingsError(f"{name} must be a date YYYY-MM-DD, e.g. 2026-10-31, not {text!r}") from None


def get_settings() -> Settings:
    data_dir = Path(os.environ.get(ENV_DATA_DIR) or "data").resolve()
    landing_dir = Path(os.environ.get(ENV_LANDING_DIR) or data_dir / "landing").resolve()
    as_of_text = os.environ.get(ENV_AS_OF)
    as_of = parse_as_of(as_of_text, ENV_AS_OF) if as_of_text else dt.date.today()
    key, using_demo_key = _read_key()
    threshold_text = (os.environ.get(ENV_SUPPRESSION_THRESHOLD) or "").strip()
    try:
        threshold = int(threshold_text) if threshold_text else 3
    except ValueError:
        raise SettingsError(
            f"{ENV_SUPPRESSION_THRESHOLD} must be a whole number, e.g. 3, not {threshold_text!r}"
        ) from None
    lock_timeout_text = (os.environ.get(ENV_LOCK_TIMEOUT) or "").strip()
    try:
        lock_timeout = max(0.0, float(lock_timeout_text)) if lock_timeout_text else None
    except ValueError:
        raise SettingsError(f"{ENV_LOCK_TIMEOUT} must be a number of seconds, not {lock_timeout_text!r}") from None
    return Settings(
        landing_dir=landing_dir,
        data_dir=data_dir,
        as_of=as_of,
        pseudonym_key=key,
        using_demo_key=using_demo_key,
        suppression_threshold=threshold,
        lock_timeout_seconds=lock_timeout,
        alert_webhook_url=(os.environ.get(ENV_ALERT_WEBHOOK_URL) or "").strip() or None,
        force_rebuild=(os.environ.get(ENV_FORCE_REBUILD) or "").strip().lower() in {"1", "true", "yes"},
        duckdb_memory_limit=(os.environ.get(ENV_DUCKDB_MEMORY_LIMIT) or "").strip() or "2500MB",
        postgres_url=_postgres_url(),
    )


def _postgres_url() -> str | None:
    url = (os.environ.get(ENV_POSTGRES_URL) or "").strip() or None
    if url is None:
        return None
    from psycopg import Error as PsycopgError  # only when set: most installations have none
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except PsycopgError:  # psycopg's message repeats the string, which may hold a password
        raise SettingsError(
            f"{ENV_POSTGRES_URL} must be a PostgreSQL connection URL, e.g. "
            "postgresql://finsam@db.example.se:5432/finsam (see docs/postgresql.md)"
        ) from None
    return url


def warn_if_demo_key(settings: Settings) -> None:
    if settings.using_demo_key:
        log.warning(
            "Pseudonymising with the PUBLIC DEMO KEY. Fine for demo data; for real data set "
            "%s or %s (see README, 'Pseudonymisation key').",
            ENV_PSEUDONYM_KEY,
            ENV_PSEUDONYM_KEY_FILE,
        )
