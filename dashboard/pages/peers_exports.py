"""The peer group's download (`peers_panel`): the org and its peers with rank, distance and
the four variables, as the table shows them. The query is `org`; an org outside the scope
is refused with the drill-down's sentence, and a peer outside it keeps only its rank."""

from __future__ import annotations

import pandas as pd

from dashboard import access, exports, session
from dashboard.pages.drilldown_data import unknown_org_sentence
from dashboard.pages.peers_panel import METHOD, OUTSIDE
from metrics.peers import PEERS

NO_GROUP = "This organisation has no peer group."


def peer_group(query: dict) -> exports.Export:
    """The org's peer group, nearest first, after the org itself."""
    scope = session.current_scope()
    code = str(query.get("org") or "")
    orgs = access.org_units(scope).set_index("org_code")
    if code not in orgs.index:
        raise exports.Refused(unknown_org_sentence(code))
    group, own = access.peers(scope, code), access.peer_variables(scope, code)
    if own is None or group.empty:
        raise exports.Refused(NO_GROUP)
    level = orgs.loc[code, "level"]
    noun = access.level_label(level).lower() + "s"
    return exports.Export(
        title=f"Peer group of {orgs.loc[code, 'org_name']}",
        frame=peer_frame(group, own, orgs.loc[code, "org_name"], level),
        org=f"{orgs.loc[code, 'org_name']} ({access.level_label(level).lower()})",
        period="Latest month",
        definition=METHOD.format(peers=PEERS, levels=noun),
        org_code=code,
    )


def peer_frame(group: pd.DataFrame, own: dict, name: str, level: str) -> pd.DataFrame:
    """The table: the org first (rank 0, distance 0), then each peer; a peer outside the
    scope has its rank only, and says so."""
    labels = dict(access.PEER_VARIABLES)
    first = {"peer_code": own["org_code"], "peer_name": name, "rank": 0, "distance": 0.0,
             **{column: own[column] for column in labels}, "in_scope": True}  # fmt: skip
    frame = pd.concat([pd.DataFrame([first]), group], ignore_index=True)
    outside = OUTSIDE.format(noun=access.level_label(level).lower())
    frame["Note"] = frame["in_scope"].map({True: "", False: outside})
    columns = {"rank": "Rank", "peer_code": "Org code", "peer_name": "Organisation",
               "distance": "Distance", **labels, "Note": "Note"}  # fmt: skip
    return frame[list(columns)].rename(columns=columns)


exports.register("peer-group", peer_group, label="the peer group")
