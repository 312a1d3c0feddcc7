"""The API tokens page through the real app: a token is shown once and works at once;
owners see and revoke their own tokens, admins everyone's; nobody revokes another's."""

from __future__ import annotations

import json
import re

from dash._utils import stringify_id

from dashboard.pages import api_tokens as page
from tests.dashboard.api.conftest import PASSWORD
from tests.dashboard.test_security import sign_in
from wholesystem import api_tokens

OUTPUT = "..api-tokens-message.children...api-tokens-table.children.."
OUTPUTS = [{"id": "api-tokens-message", "property": "children"},
           {"id": "api-tokens-table", "property": "children"}]  # fmt: skip


def signed_in(app, name: str):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def press(client, *, label: str | None = None, revoke: int | None = None) -> dict:
    """Sends the page's callback as the browser does: Make a token, or one Revoke."""
    button = {"type": page.REVOKE, "index": revoke}
    revokes = [] if revoke is None else [{"id": button, "property": "n_clicks", "value": 1}]
    changed = "api-tokens-create" if revoke is None else stringify_id(button)
    response = client.post("/_dash-update-component", json={
        "output": OUTPUT, "outputs": OUTPUTS,
        "inputs": [{"id": "api-tokens-create", "property": "n_clicks",
                    "value": 1 if revoke is None else 0}, revokes],
        "state": [{"id": "api-tokens-label", "property": "value", "value": label}],
        "changedPropIds": [f"{changed}.n_clicks"],
    })  # fmt: skip
    assert response.status_code == 200, response.text[:300]
    return response.json["response"]


def test_a_new_token_is_shown_once_hashed_and_works(app, settings):
    client = signed_in(app, "lead")
    answer = press(client, label="  Council BI  ")
    text = json.dumps(answer["api-tokens-message"])
    (secret,) = set(re.findall(r"wsk_[A-Za-z0-9_-]{43}", text))
    assert "shown only this once" in text and f"Bearer {secret}" in text
    (token,) = [t for t in api_tokens.list_tokens(settings, "lead") if t.label == "Council BI"]
    assert secret not in json.dumps(answer["api-tokens-table"])
    assert api_tokens.lookup(settings, secret).id == token.id
    assert (
        client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    press(client, revoke=token.id)
    assert api_tokens.lookup(settings, secret) is None


def test_owners_see_their_own_tokens_and_admins_everyones(app, settings, people):
    lead_page = json.dumps(press(signed_in(app, "lead"), label="mine")["api-tokens-table"])
    admin_page = json.dumps(press(signed_in(app, "admin"), label="admin's")["api-tokens-table"])
    assert "ana's notebook" not in lead_page and "lead's notebook" in lead_page
    assert "ana's notebook" in admin_page and "lead's notebook" in admin_page


def test_only_the_owner_or_an_admin_revokes(app, settings, people):
    token, _ = api_tokens.create(settings, "ana", "to revoke", "ana")
    answer = press(signed_in(app, "lead"), revoke=token.id)
    assert f"There is no API token {token.id} of yours to revoke." in json.dumps(answer)
    assert api_tokens.list_tokens(settings, "ana")[0].active
    press(signed_in(app, "admin"), revoke=token.id)
    revoked = api_tokens.list_tokens(settings, "ana")[0]
    assert (revoked.id, revoked.revoked_by, revoked.active) == (token.id, "admin", False)


def test_an_empty_label_is_refused_with_a_sentence(app, settings):
    before = len(api_tokens.list_tokens(settings))
    answer = press(signed_in(app, "lead"), label="   ")
    assert "A token's label must be 1 to 100 characters, e.g. 'notebook'." in json.dumps(answer)
    assert len(api_tokens.list_tokens(settings)) == before
