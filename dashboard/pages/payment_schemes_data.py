"""What the Payment schemes page shows and does, apart from drawing it: the schemes in
force and their history in words, the form's values for a scheme, and save and end.

The form is flat text (as the browser sends it): the scheme's name, title, split and
period; up to `PACKAGE_ROWS` packages (name, rate, per, register KPI); up to `KPI_ROWS`
KPI rows (KPI, package name, weight, method, lower, upper); an optional gain share; and
the reason. It becomes a TOML-style table that `wholesystem.schemes.parse_scheme` checks
(one sentence naming the field, nothing saved) before `save_scheme` stores and audits it.
"""

from __future__ import annotations

from dashboard import access
from dashboard.pages.payments_whatif import parse_split
from dashboard.pages.users_admin_data import when
from wholesystem import schemes
from wholesystem.errors import UserError
from wholesystem.settings import Settings

NEW = "new"  # the scheme picker's "a new scheme"
PACKAGE_ROWS = 4
KPI_ROWS = 12  # a scheme names each care-package KPI at most once; there are 12
PACKAGE_FIELDS = ("name", "rate", "per", "register")
KPI_FIELDS = ("metric", "package", "weight", "method", "lower", "upper")
SCHEME_FIELDS = ("name", "title", "upfront", "period", "gain_share", "gain_cost",
                 "gain_baseline", "reason")  # fmt: skip
COLUMNS = {"name": "Name", "title": "Title", "split": "Split", "period": "Period",
           "packages": "Packages and KPIs", "source": "Source"}  # fmt: skip
HISTORY_COLUMNS = {
    "id": "Record", "name": "Scheme", "state": "State", "split": "Split", "set_by": "Saved by",
    "set_at": "Saved at", "reason": "Why", "ended_by": "Ended by", "ended_at": "Ended at",
    "end_reason": "Why ended",
}  # fmt: skip
PERIOD_WORDS = {"quarter": "Quarter", "fy": "Financial year"}


def in_force_rows(settings: Settings) -> list[dict[str, str]]:
    """The schemes in force, in words, with where each comes from."""
    found = schemes.load_schemes(settings)
    history = {name: schemes.scheme_history(settings, name) for name in found}
    return [_row(scheme, history[name]) for name, scheme in found.items()]


def _row(scheme: schemes.Scheme, records: list) -> dict[str, str]:
    current = next((r for r in records if r.in_force), None)
    source = (
        "wholesystem.toml" if current is None
        else f"Edited by {current.set_by or 'unknown'} at {when(current.set_at)}: {current.reason}"
    )  # fmt: skip
    return {
        "name": scheme.name, "title": scheme.title, "split": scheme.split,
        "period": PERIOD_WORDS[scheme.period], "packages": packages_words(scheme),
        "source": source,
    }  # fmt: skip


def packages_words(scheme: schemes.Scheme) -> str:
    titles = _titles()
    return "; ".join(
        f"{p.name} (£{p.rate:,.2f} per {p.per} patient a year): "
        + ", ".join(f"{titles.get(k.metric_id, k.metric_id)} {k.weight:g} pts" for k in p.kpis)
        for p in scheme.packages
    )


def history_rows(settings: Settings) -> list[dict[str, str]]:
    """Every stored record of every scheme, newest first."""
    names = {*schemes.load_schemes(settings), *schemes.stored_names(settings)}
    records = [r for name in names for r in schemes.scheme_history(settings, name)]
    return [_history_row(r) for r in sorted(records, key=lambda r: -r.id)]


def _history_row(record) -> dict[str, str]:
    share = record.definition.get("upfront_share")
    split = "" if share is None else f"{share * 100:g}/{100 - share * 100:g}"
    return {
        "id": f"#{record.id}", "name": record.name,
        "state": "In force" if record.in_force else "Ended", "split": split,
        "set_by": record.set_by or "wholesystem.toml", "set_at": when(record.set_at),
        "reason": record.reason, "ended_by": record.ended_by or "",
        "ended_at": when(record.ended_at), "end_reason": record.end_reason or "",
    }  # fmt: skip


def scheme_options(settings: Settings) -> list[dict]:
    options = [{"label": "A new scheme", "value": NEW}]
    for name, scheme in schemes.load_schemes(settings).items():
        options.append({"label": f"{scheme.title} ({name})", "value": name})
    return options


def kpi_options() -> list[dict]:
    frame = access.indicators()
    frame = frame[frame["group"] == schemes.KPI_GROUP].sort_values("title")
    return [{"label": "(none)", "value": ""}] + [
        {"label": f"{row.title} ({row.id})", "value": row.id} for row in frame.itertuples()
    ]


def _titles() -> dict[str, str]:
    frame = access.indicators()
    return dict(zip(frame["id"], frame["title"], strict=True))


def form_values(settings: Settings, chosen: str) -> tuple[dict, list[dict], list[dict]]:
    """The form's values for a scheme in force (empty ones for a new scheme): the scheme's
    fields, the package rows and the KPI rows."""
    scheme = schemes.load_schemes(settings).get(chosen)
    packages = [dict.fromkeys(PACKAGE_FIELDS, "") | {"per": "registered"}
                for _ in range(PACKAGE_ROWS)]  # fmt: skip
    kpis = [dict.fromkeys(KPI_FIELDS, "") for _ in range(KPI_ROWS)]
    if scheme is None:
        fields = dict.fromkeys(SCHEME_FIELDS, "") | {"period": "quarter", "upfront": "70"}
        return fields, packages, [row | {"method": "linear"} for row in kpis]
    gain = scheme.gain_share
    fields = {
        "name": scheme.name, "title": scheme.title, "upfront": f"{scheme.upfront_share * 100:g}",
        "period": scheme.period, "gain_share": "" if gain is None else f"{gain.share * 100:g}",
        "gain_cost": "" if gain is None else f"{gain.cost_per_admission:g}",
        "gain_baseline": _text(None if gain is None else gain.baseline_per_1000), "reason": "",
    }  # fmt: skip
    rules = [(package.name, rule) for package in scheme.packages for rule in package.kpis]
    for row, package in zip(packages, scheme.packages, strict=False):
        row.update(name=package.name, rate=f"{package.rate:g}", per=package.per)
        row["register"] = package.register or ""
    for row, (package, rule) in zip(kpis, rules, strict=False):
        row.update(metric=rule.metric_id, package=package, weight=f"{rule.weight:g}")
        row.update(method=rule.method, lower=_text(rule.lower), upper=_text(rule.upper))
    for row in kpis:
        row["method"] = row["method"] or "linear"
    return fields, packages, kpis


def _text(value) -> str:
    return "" if value is None else f"{value:g}"


def scheme_of(fields: dict, packages: list[dict], kpis: list[dict]) -> schemes.Scheme:
    """The checked scheme a form describes; UserError (one sentence naming the field)."""
    name = fields["name"]
    if not name:
        raise UserError("Type the scheme's name (lower-case letters, digits, '_' or '-').")
    table = {"title": fields["title"] or name, "period": fields["period"]}
    table["upfront_share"] = parse_split(fields["upfront"])
    table["packages"] = _packages(packages, kpis)
    if fields["gain_share"] or fields["gain_cost"] or fields["gain_baseline"]:
        table["gain_share"] = {
            "share": parse_split(fields["gain_share"], "gain share"),
            "cost_per_admission": fields["gain_cost"] or None,
        }
        if fields["gain_baseline"]:
            table["gain_share"]["baseline_per_1000"] = fields["gain_baseline"]
    return schemes.parse_scheme(name, table, "the Payment schemes page")


def _packages(packages: list[dict], kpis: list[dict]) -> list[dict]:
    tables = {}
    for number, row in enumerate(packages, 1):
        if not row["name"]:
            if row["rate"] or row["register"]:
                raise UserError(f"Package row {number}: type the package's name.")
            continue
        tables[row["name"]] = {"name": row["name"], "rate": row["rate"] or None,
                               "per": row["per"] or "registered", "kpis": []}  # fmt: skip
        if row["register"]:
            tables[row["name"]]["register"] = row["register"]
    for number, row in enumerate(kpis, 1):
        if not row["metric"]:
            continue
        if row["package"] not in tables:
            raise UserError(
                f"KPI row {number}: package {row['package']!r} is not one of the packages "
                f"above ({', '.join(map(repr, tables)) or 'none given'})."
            )
        rule = {"metric_id": row["metric"], "weight": row["weight"] or None,
                "method": row["method"] or "linear"}  # fmt: skip
        rule |= {key: row[key] for key in ("lower", "upper") if row[key]}
        tables[row["package"]]["kpis"].append(rule)
    if not tables:
        raise UserError("Give at least one package (its name, rate and KPIs).")
    return list(tables.values())


def save(settings, fields, packages, kpis, chosen: str, by: str, address) -> str:
    """Saves the form's scheme (a new one, or the chosen one edited); returns a sentence."""
    scheme = scheme_of(fields, packages, kpis)
    existing = schemes.load_schemes(settings)
    if chosen == NEW and scheme.name in existing:
        raise UserError(f"There is already a scheme {scheme.name!r}: choose it to edit it.")
    if chosen != NEW and scheme.name != chosen:
        raise UserError(f"A scheme cannot be renamed: add {scheme.name!r} as a new scheme.")
    schemes.save_scheme(settings, scheme, by, fields["reason"], address)
    return f"Scheme {scheme.name!r} saved ({scheme.split})."


def end(settings, fields, packages, kpis, chosen: str, by: str, address) -> str:
    """Ends the chosen scheme; returns a sentence."""
    if chosen == NEW:
        raise UserError("Choose the scheme to end.")
    schemes.end_scheme(settings, chosen, by, fields["reason"], address)
    return f"Scheme {chosen!r} ended."
