"""What each setting may hold: its type, range or units, checked when the settings are read.

A bad value is refused with one sentence naming where it came from (the environment
variable, or the key in wholesystem.toml) and the values allowed, so that a typo never
reaches DuckDB or the dashboard as a traceback, or silently turns a safeguard off.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wholesystem.errors import UserError

# DuckDB's memory forms: KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (of 1024).
SIZE_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")
SWITCHES = {"1": True, "true": True, "yes": True, "on": True,
            "0": False, "false": False, "no": False, "off": False}  # fmt: skip
MEMORY_FLOOR = 64 * 10**6  # less only makes a load or publish fail for want of memory


class Refused(ValueError):
    """A value outside what a rule allows (the rule's sentence says what is)."""


@dataclass(frozen=True)
class Rule:
    """How a setting's value is read (`parse` raises Refused) and what it may be."""

    parse: Callable
    allowed: str
    secret: bool = False  # a refusal never repeats the value (it would land in logs)


def _number(kind: type, low: float, high: float | None):
    def parse(value):
        if isinstance(value, bool) or (kind is int and isinstance(value, float)):
            raise Refused
        number = kind(str(value).strip()) if isinstance(value, str) else kind(value)
        if not math.isfinite(number) or number < low or (high is not None and number > high):
            raise Refused
        return number

    return parse


def size_in_bytes(value) -> int:
    """A size as DuckDB writes memory: `1GB`, `512MiB`, `1.5 GB`; a bare number is bytes."""
    if isinstance(value, bool):
        raise Refused
    if isinstance(value, int):
        return value
    match = SIZE.fullmatch(str(value).strip().lower())
    if match is None or match[2] not in SIZE_UNITS | {"": 1}:
        raise Refused
    return int(float(match[1]) * SIZE_UNITS.get(match[2], 1))


def _memory(value) -> str:
    if isinstance(value, int) or size_in_bytes(value) < MEMORY_FLOOR:
        raise Refused  # DuckDB wants a unit; a bare number is refused rather than guessed
    return re.sub(r"\s+", "", str(value).strip())


def _bytes(low: int, high: int):
    def parse(value) -> int:
        size = size_in_bytes(value)
        if not low <= size <= high:
            raise Refused
        return size

    return parse


def _switch(value) -> bool:
    if isinstance(value, bool):
        return value
    try:
        return SWITCHES[str(value).strip().lower()]
    except KeyError:
        raise Refused from None


def _choice(*choices: str):
    def parse(value) -> str:
        if value not in choices:
            raise Refused
        return value

    return parse


def _path(value) -> Path:
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise Refused
    return Path(value)


def _file(value) -> Path:
    path = _path(value)
    if not path.is_file():
        raise Refused
    return path


def _directory(value) -> Path:
    path = _path(value)
    if path.exists() and not path.is_dir():
        raise Refused
    return path


def _secret(value) -> str:
    if not isinstance(value, str) or len(value.strip()) < 16:
        raise Refused
    return value


def _host(value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9.:\[\]-]{1,253}", value.strip()):
        raise Refused
    return value.strip()


def _text(value) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise Refused
    return value


def _address(value) -> str:
    if not isinstance(value, str) or not EMAIL.fullmatch(value.strip()):
        raise Refused
    return value.strip()


def _url(value) -> str:
    if not isinstance(value, str) or not re.fullmatch(
        r"https?://[^\s/?#]+(/[^\s?#]*)?", value.strip()
    ):
        raise Refused
    return value.strip().rstrip("/")


EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")


def _labels(value) -> dict:
    from metrics.registry import LEVELS  # the hierarchy's levels, read only when configured

    if not isinstance(value, dict) or not all(
        key in LEVELS and isinstance(label, str) and label.strip() for key, label in value.items()
    ):
        raise Refused
    return value


def _table(value) -> dict:
    if not isinstance(value, dict):
        raise Refused
    return value


def _rate(value) -> str:
    # Flask-Limiter's own parser, so a rate it would refuse at the first request is
    # refused here, when the settings are read.
    from limits import parse_many

    text = str(value).strip()
    if isinstance(value, bool) or not text or not parse_many(text):
        raise Refused
    return text


def _storage(value) -> str:
    # The schemes `limits` (Flask-Limiter's store) knows; the store itself is reached at
    # the first API request.
    from limits.storage import SCHEMES

    text = str(value).strip()
    scheme, found, _ = text.partition("://")
    if isinstance(value, bool) or not found or scheme not in SCHEMES or "async" in scheme:
        raise Refused
    return text


def _spark_master(value) -> str:
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"local(\[(\d+|\*)\])?|[a-z]+://\S+|yarn", text):
        raise Refused
    return text


MEMORY = "a size with a unit as DuckDB reads it, at least 64MB, e.g. 1GB, 1.5GB or 512MiB"
RULES = {
    "data_dir": Rule(_directory, "the path of a directory (new or existing), not of a file"),
    "quarantine_threshold": Rule(_number(float, 0, 1), "a share from 0 to 1, e.g. 0.05"),
    "etl_memory_limit": Rule(_memory, MEMORY),
    "etl_threads": Rule(
        _number(int, 0, 1024), "a whole number of threads from 0 (one per core) to 1024"
    ),
    "snomed_map": Rule(_file, "the path of an existing CSV file"),
    "eq5d_5l_value_set": Rule(_choice("england", "crosswalk"), "'england' or 'crosswalk'"),
    "suppression_threshold": Rule(
        _number(int, 1, 100), "a whole number from 1 to 100 (counts from 1 to it are suppressed)"
    ),
    "disclosure_rule": Rule(
        _choice("complementary", "hes"),
        "'complementary' (small counts suppressed, with the cells that would give them away) "
        "or 'hes' (small counts suppressed, every other count rounded to the nearest 5)",
    ),
    "snapshots_kept": Rule(_number(int, 1, 1000), "a whole number from 1 to 1000"),
    "publish_memory_limit": Rule(_memory, MEMORY),
    "indicators": Rule(_table, "a table of [indicators.<id>] tables"),
    "secret_key": Rule(
        _secret,
        "at least 16 characters; make one with "
        "python -c 'import secrets; print(secrets.token_hex(32))'",
        secret=True,
    ),
    "level_labels": Rule(
        _labels, 'a table of level = "label" for practice, network, locality, area or system'
    ),
    "feeds": Rule(_table, "a table of [feeds.<feed>] tables"),
    "session_idle_minutes": Rule(_number(int, 1, 1440), "a whole number of minutes from 1 to 1440"),
    "session_hours": Rule(_number(int, 1, 168), "a whole number of hours from 1 to 168"),
    "analysts_see_small_numbers": Rule(_switch, "1 or 0 (true/false, yes/no, on/off)"),
    "analysts_set_targets": Rule(_switch, "1 or 0 (true/false, yes/no, on/off)"),
    "password_min_length": Rule(_number(int, 8, 128), "a whole number from 8 to 128"),
    "https": Rule(_switch, "1 or 0 (true/false, yes/no, on/off)"),
    "max_request_bytes": Rule(
        _bytes(1024, 2**30), "a size from 1KiB to 1GiB, in bytes or with a unit, e.g. 1MiB"
    ),
    "smtp_host": Rule(_host, "a mail server's host name or IP address, e.g. smtp.example.nhs.uk"),
    "smtp_port": Rule(_number(int, 1, 65535), "a port number from 1 to 65535 (25, 587)"),
    "smtp_user": Rule(_text, "the mail server login name, on one line"),
    "smtp_password": Rule(_text, "the mail server password, on one line", secret=True),
    "smtp_from": Rule(_address, "an e-mail address such as alerts@example.nhs.uk"),
    "smtp_starttls": Rule(_switch, "1 or 0 (true/false, yes/no, on/off)"),
    "public_url": Rule(_url, "the dashboard's address, e.g. https://wholesystem.example.nhs.uk"),
    "api_rate_limit": Rule(_rate, 'a rate such as "600/minute" or "10/second;600/minute"'),
    "api_rate_limit_storage": Rule(
        _storage, 'a Flask-Limiter storage URI such as "memory://" or "redis://host:6379"'
    ),
    "payment_schemes": Rule(_table, "a table of [payment_schemes.<name>] tables"),
    "engine": Rule(_choice("duckdb", "spark"), "'duckdb' or 'spark'"),
    "spark_warehouse": Rule(
        _text, "a folder of Parquet tables, or a Spark catalogue database name, on one line"
    ),
    "spark_master": Rule(_spark_master, "a Spark master URL such as local[2] or spark://host:7077"),
}


def check(name: str, value, origin: str):
    """Returns the value read by the setting's rule, or raises UserError naming `origin`
    (e.g. `WHOLESYSTEM_ETL_THREADS`) and the values allowed."""
    rule = RULES.get(name)
    if rule is None:  # a setting added without a rule: tests/wholesystem/test_settings.py fails
        return value
    try:
        return rule.parse(value)
    except (Refused, TypeError, ValueError, OverflowError):
        shown = f"{len(str(value))} characters long" if rule.secret else repr(value)
        raise UserError(f"{origin} is {shown}; use {rule.allowed}") from None
