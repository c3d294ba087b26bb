"""Users: a contractor's agreement must be one of the tenant's (its foreign key decides, since the
agreements domain sits above the users domain)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.support import agency_from_preset, assert_problem, open_account


async def _agreement(client: httpx.AsyncClient, agency: Any) -> str:
    account = await open_account(client, agency)
    body = {
        "unit_id": agency.unit()["id"], "contractor_name": "委託先", "kind": "outsourcing",
        "reference": uuid.uuid4().hex[:8], "starts_on": "2026-04-01", "ends_on": "2027-03-31",
        "account_ids": [account["id"]], "clauses": {},
    }  # fmt: skip
    response = await client.post(agency.url("/agreements"), json=body, headers=agency.admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_contractor_is_linked_only_to_an_agreement_of_the_tenant(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    other = await agency_from_preset(client, platform, "ehime-pref")
    theirs = await _agreement(client, other)
    ours = await _agreement(client, ehime)

    def body(agreement_id: str) -> dict[str, Any]:
        login = f"c-{uuid.uuid4().hex[:8]}"
        return {"login_id": login, "email": f"{login}@example.jp", "display_name": "委託先 担当",
                "roles": ["contractor"], "agreement_id": agreement_id}  # fmt: skip

    for unknown in (str(uuid.uuid4()), theirs):  # an id nobody has, and another tenant's
        refused = await client.post(ehime.url("/users"), json=body(unknown), headers=ehime.admin.headers)
        problem = assert_problem(refused, 404, "not-found")
        assert [e["pointer"] for e in problem["errors"]] == ["/agreement_id"]
    created = await client.post(ehime.url("/users"), json=body(ours), headers=ehime.admin.headers)
    assert created.status_code == 201, created.text
    user = created.json()["user"]

    # Moving the contractor to an agreement that is not the tenant's is refused the same way.
    current = await client.get(ehime.url(f"/users/{user['id']}"), headers=ehime.admin.headers)
    moved = await client.patch(
        ehime.url(f"/users/{user['id']}"),
        json={"agreement_id": theirs},
        headers={**ehime.admin.headers, "If-Match": current.headers["etag"]},
    )
    assert [e["pointer"] for e in assert_problem(moved, 404, "not-found")["errors"]] == ["/agreement_id"]
    after = await client.get(ehime.url(f"/users/{user['id']}"), headers=ehime.admin.headers)
    assert after.json()["agreement_id"] == ours
