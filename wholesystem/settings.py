"""One typed settings object, read from `WHOLESYSTEM_*` environment variables.

Nothing else in the product reads `os.environ`. Values come, in rising precedence, from the
defaults below, an optional TOML file (`wholesystem.toml` in the working directory, or the
file named by `WHOLESYSTEM_CONFIG`) and the environment. Each value is checked as it is read
(wholesystem.setting_rules): a bad one is refused with one sentence naming the variable or
TOML key and the values allowed.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from wholesystem.errors import UserError
from wholesystem.setting_rules import check

ENV_PREFIX = "WHOLESYSTEM_"


@dataclass(frozen=True)
class Settings:
    """Product configuration.

    Attributes:
        data_dir: where the warehouse, serving snapshots and users live.
        quarantine_threshold: share of a file's rows that may be quarantined before the whole
            file is rejected (the data contract's 5%).
        etl_memory_limit: DuckDB memory limit for a load; large files spill to disk instead.
        etl_threads: DuckDB threads for a load (0 means DuckDB's default, one per core).
        snomed_map: a CSV mapping SNOMED CT concept ids to gp_events codes (etl.snomed).
        eq5d_5l_value_set: "england" (Devlin 2018) or "crosswalk" (van Hout 2012) for 5L.
        suppression_threshold: counts from 1 to this are suppressed (disclosure control).
        disclosure_rule: every indicator's disclosure rule, "complementary" (small counts
            suppressed, and other cells hidden so that none can be worked out) or "hes"
            (small counts suppressed and every count rounded to the nearest 5, values
            computed from the rounded counts; metrics.disclosure_rounding, docs/metrics.md
            "Disclosure control"). None (the default): each indicator's definition says
            (the board's Northumbria indicators "hes", the others "complementary"); an
            `[indicators.<id>] disclosure_rule` overrides it for one indicator.
        snapshots_kept: how many serving snapshots `publish` keeps.
        publish_memory_limit: DuckDB memory limit while publishing.
        indicators: per-indicator overrides from the TOML file's `[indicators.<id>]` tables:
            `target`, `target_lower`, `target_upper` and the indicator's parameters.
        secret_key: the dashboard's Flask secret key. A production server (gunicorn) refuses
            to start without it; only `wholesystem serve`/`demo` on localhost make a
            temporary one. Set it in the environment, never in the repo.
        level_labels: display names for the hierarchy's levels, e.g. `network = "PCN"`.
        feeds: per-feed options from the TOML file's `[feeds.<feed>]` tables; today
            `[feeds.<feed>.columns]`, a column map (local header name = "contract column")
            applied when a file's header is matched, so a local extract loads unedited.
        session_idle_minutes: a dashboard session with no request for this long ends.
        session_hours: a dashboard session ends this long after sign-in, however busy.
        analysts_see_small_numbers: whether analysts (and admins) see counts the
            disclosure control would suppress (off by default: suppressed for everyone).
        analysts_set_targets: whether analysts may add, edit and end targets (admins
            always may; off by default).
        password_min_length: the shortest password `users` and the admin page accept.
        https: the dashboard is served over HTTPS (behind a TLS proxy): cookies are marked
            Secure and responses carry HSTS. Off for local `serve` over http.
        max_request_bytes: the largest request body the dashboard reads; a larger one
            is refused with 413 before it is read.
        smtp_host: the mail server alert digests are sent through; none (the default)
            means no e-mail is sent (digests still show on the Alerts page).
        smtp_port, smtp_user, smtp_password, smtp_from, smtp_starttls: its port (25), the
            login (none: no login), the From address, and whether to upgrade the
            connection with STARTTLS before logging in.
        public_url: the dashboard's address as its users reach it (https://...), for the
            links in alert e-mails; none: the e-mails name the pages' paths only.
        api_rate_limit: how many requests one API token may make (Flask-Limiter's
            notation, e.g. "600/minute" or "10/second;600/minute"); counted per user.
        api_rate_limit_storage: where the API's request counts are kept: "memory://" (the
            default; each web worker counts alone) or a store shared by the workers, such
            as "redis://host:6379" (Flask-Limiter's storage URI).
        payment_schemes: the payment schemes from the TOML file's `[payment_schemes.<name>]`
            tables (wholesystem.schemes; docs/dashboard.md, "Payments").
        engine: what runs publish's person-level part: "duckdb" (the default) or "spark"
            (metrics.engine; docs/deploy.md).
        spark_warehouse: with the Spark engine, the warehouse as a folder of Parquet tables
            (one folder or .parquet file per table) or a Spark catalogue database name.
        spark_master: the Spark master URL for a session publish starts itself (such as
            "local[2]", set up small); none (the default): a new session over the running
            or default one (Databricks), whose own settings are left as they are.
    """

    data_dir: Path = Path("data")
    quarantine_threshold: float = 0.05
    etl_memory_limit: str = "1GB"
    etl_threads: int = 0
    snomed_map: Path | None = None
    eq5d_5l_value_set: str = "england"
    suppression_threshold: int = 7
    disclosure_rule: str | None = None
    snapshots_kept: int = 3
    publish_memory_limit: str = "2GB"
    indicators: dict = field(default_factory=dict)
    secret_key: str | None = None
    level_labels: dict = field(default_factory=dict)
    feeds: dict = field(default_factory=dict)
    session_idle_minutes: int = 30
    session_hours: int = 12
    analysts_see_small_numbers: bool = False
    analysts_set_targets: bool = False
    password_min_length: int = 12
    https: bool = False
    max_request_bytes: int = 1_048_576
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "wholesystem@localhost"
    smtp_starttls: bool = False
    public_url: str | None = None
    api_rate_limit: str = "600/minute"
    api_rate_limit_storage: str = "memory://"
    payment_schemes: dict = field(default_factory=dict)
    engine: str = "duckdb"
    spark_warehouse: str | None = None
    spark_master: str | None = None

    @property
    def warehouse_path(self) -> Path:
        """The patient-level warehouse, written only by the ETL."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def units_cache_path(self) -> Path:
        """The incremental publish's person-level units (metrics.incremental): patient-level
        like the warehouse, readable by its owner only, deleted by a plain publish."""
        return self.data_dir / "units_cache.duckdb"

    @property
    def serving_dir(self) -> Path:
        """Where `publish` writes the aggregate-only serving snapshots."""
        return self.data_dir / "serving"

    @property
    def users_path(self) -> Path:
        """The dashboard's users and audit log (SQLite; the web tier never writes DuckDB)."""
        return self.data_dir / "users.sqlite"

    @property
    def temp_dir(self) -> Path:
        """Where DuckDB spills during large loads."""
        return self.data_dir / "tmp"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Returns the settings from defaults, the optional TOML file and the environment."""
    environ = dict(os.environ if environ is None else environ)
    toml_path, values = _read_toml(environ)
    # Where each value came from, for the sentence refusing a bad one.
    origins = {name: f"{_toml_key(name)} in {toml_path}" for name in values}
    for setting in fields(Settings):
        variable = ENV_PREFIX + setting.name.upper()
        if environ.get(variable) not in (None, ""):
            values[setting.name], origins[setting.name] = environ[variable], variable
    return Settings(**{name: check(name, value, origins[name]) for name, value in values.items()})


def _read_toml(environ: dict[str, str]) -> tuple[Path, dict]:
    """The TOML file's path and its table ({} when there is none)."""
    path = Path(environ.get(ENV_PREFIX + "CONFIG") or "wholesystem.toml")
    if not path.exists():
        if environ.get(ENV_PREFIX + "CONFIG"):
            raise UserError(f"configuration file {path} does not exist")
        return path, {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"configuration file {path} is not valid TOML: {error}") from None
    except OSError as error:  # a directory, or unreadable
        raise UserError(f"configuration file {path} cannot be read ({error.strerror})") from None
    known = {setting.name for setting in fields(Settings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise UserError(f"configuration file {path} has unknown setting(s): {', '.join(unknown)}")
    _check_column_maps(path, table.get("feeds", {}))
    return path, table


def _check_column_maps(path: Path, feeds) -> None:
    """Every `[feeds.<feed>.columns]` entry names a feed and maps to one of its columns."""
    from etl.feeds import FEEDS_BY_NAME  # the ETL's declarations, read only when configured

    if not isinstance(feeds, dict):
        raise UserError(f"configuration file {path}: feeds must be a table of [feeds.<feed>]")
    for name, options in feeds.items():
        if name not in FEEDS_BY_NAME:
            known = ", ".join(sorted(FEEDS_BY_NAME))
            raise UserError(
                f"configuration file {path}: [feeds.{name}] is not a feed; the feeds are {known}"
            )
        unknown = sorted(set(options) - {"columns"}) if isinstance(options, dict) else ["?"]
        if unknown or not isinstance(options.get("columns", {}), dict):
            raise UserError(
                f"configuration file {path}: [feeds.{name}] may hold only a columns table "
                '(local header name = "contract column")'
            )
        _check_columns(path, FEEDS_BY_NAME[name], options.get("columns", {}))


def _check_columns(path: Path, feed, columns: dict) -> None:
    names = [column.name for column in feed.columns]
    for local, contract in columns.items():
        if contract not in names:
            raise UserError(
                f"configuration file {path}: feeds.{feed.name}.columns.{_toml_key(local)} maps to "
                f"{contract!r}, which is not a column of {feed.name} (its columns are "
                f"{', '.join(names)})"
            )
    repeated = sorted({c for c in columns.values() if list(columns.values()).count(c) > 1})
    if repeated:
        raise UserError(
            f"configuration file {path}: feeds.{feed.name}.columns maps more than one local "
            f"name to {', '.join(repeated)}"
        )


def _toml_key(key: str) -> str:
    """A key as it is written in TOML: bare if it can be, else quoted."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)
