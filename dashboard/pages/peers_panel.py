"""The peer group of a practice or network as a table, for the indicator page (benchmark
'peers') and the practice profile: rank, name, distance and the four variables it was
matched on (docs/metrics.md, "Peer groups").

A peer outside the reader's scope is shown by its rank only (`access.peers`): its name,
distance and variables belong to an org they may not see.
"""

from __future__ import annotations

import pandas as pd
from dash import html

from dashboard import access, exports
from dashboard.pages.indicator_panels import table
from metrics.peers import MIN_PEERS_USED, PEERS

OUTSIDE = "A {noun} outside your scope"
METHOD = (
    "Peers are the {peers} {levels} most like this one in list size (on a log scale), % aged "
    "65+, % of patients in the most deprived national IMD quintile and diabetes prevalence, "
    "at the latest month: each standardised across the system's {levels}, with equal "
    "weights, by Euclidean distance (smaller is more similar). The peer benchmark of a "
    "value is the median of the peers' published values; suppressed values are left out, "
    f"and with fewer than {MIN_PEERS_USED} there is no benchmark."
)


def peer_group_panel(scope, org_code: str, level: str, open_: bool = False) -> html.Details:
    """The org's peer group as a collapsible table, with how it was chosen."""
    group = access.peers(scope, org_code)
    own = access.peer_variables(scope, org_code)
    noun = access.level_label(level).lower() + "s"
    body = [html.P(METHOD.format(peers=PEERS, levels=noun), className="small")]
    if own is None or group.empty:
        body.append(html.P(no_group_sentence(noun), id="peer-group-none"))
    else:
        links = exports.download_links("peer-group", {"org": org_code})
        body += [_size_note(own, len(group), noun), links, _table(group, own, level)]
    summary = html.Summary(f"Peer group ({len(group)} {noun})")
    return html.Details([summary, *body], open=open_, id="peer-group", className="mt-2")


def no_group_sentence(noun: str) -> str:
    return (
        f"No peer group: one of this org's four variables is suppressed or not published at "
        f"the latest month, so it cannot be matched with other {noun} without revealing it."
    )


def _size_note(own: dict, size: int, noun: str) -> html.P:
    if size >= PEERS:
        return html.P("")
    return html.P(
        f"Only {own['orgs_at_level']} {noun} have all four variables published, so the peer "
        f"group has {size} rather than {PEERS}.",
        id="peer-group-short",
    )


def _table(group: pd.DataFrame, own: dict, level: str) -> html.Table:
    labels = [label for _, label in access.PEER_VARIABLES]
    headers = ["Rank", "Organisation", "Distance", *labels]
    rows = [["–", "This org", "0", *_variables(own)]]
    for row in group.to_dict("records"):
        if not row["in_scope"]:
            outside = OUTSIDE.format(noun=access.level_label(level).lower())
            rows.append([row["rank"], outside, *[""] * (len(labels) + 1)])
            continue
        name = f"{row['peer_name']} ({row['peer_code']})"
        rows.append([row["rank"], name, f"{row['distance']:.2f}", *_variables(row)])
    return table(headers, rows, "peer-group-table")


def _variables(row: dict) -> list[str]:
    return [
        f"{row['list_size']:,.0f}",
        f"{row['pct_aged_65plus']:.1f}",
        f"{row['deprivation']:.1f}",
        f"{row['prevalence']:.2f}",
    ]
