"""Issue 12, scope: what a unit head or an operator reaches inside their own tenant.

Each test reproduces a finding of the security probe through the API and keeps it fixed:
- a unit head handing their contractor another unit's accounts (creating an agreement, or adding
  the account to one later), after which the contractor read the other unit's account;
- a unit head or an operator moving an account into a unit they do not manage;
- a unit head suspending an account where the configuration does not make unit heads deciders.

In 愛媛県's units a unit head of a department (部) reaches its divisions (課); the head of a
division reaches that division only.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support import (
    Agency,
    Staff,
    agency_from_preset,
    assert_problem,
    bearer,
    create_account,
    ehime_document,
    get,
    open_account,
    record,
    staff,
    x_handle,
)

OUTSIDE = "outside-your-units-or-assignments"
CLAUSES: dict[str, Any] = {
    "security_policy_compliance": {"stated": True, "article": "第8条"},
    "posting_staff_and_devices": {
        "stated": True,
        "article": "第9条",
        "staff": [{"name": "山田 花子", "devices": ["業務用PC-01"], "submitted_on": "2026-04-01"}],
    },
    "copyright": {"stated": True, "article": "第10条", "owner": "agency"},
    "login_ids": {"stated": True, "article": "第11条", "contractor_ids_exclusive": True, "at_end": "revoke"},
    "prior_check_of_posts": {"stated": True, "article": "第12条"},
}


@pytest.fixture(scope="module")
async def ehime(client: httpx.AsyncClient, platform_token: str) -> Agency:
    return await agency_from_preset(client, bearer(platform_token), "ehime-pref")


def units(agency: Agency) -> dict[str, dict[str, Any]]:
    """愛媛県's units by role here: a department with two divisions, and a division elsewhere."""
    return {
        "department": agency.units["kikaku-shinko-bu"],
        "division": agency.units["koho-kocho-ka"],
        "sibling": agency.units["smart-gyosei-suishin-ka"],
        "elsewhere": agency.units["kanko-kokusai-ka"],
    }


async def draft(client: httpx.AsyncClient, agency: Agency, unit: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"unit_id": unit["id"], "url": f"https://x.com/{x_handle()}", "display_name": "広報",
            "operating_body": "outsourced", **extra}  # fmt: skip
    return await create_account(client, agency, body)


async def head_of(client: httpx.AsyncClient, platform: dict[str, str], agency: Agency, unit: dict[str, Any]) -> Staff:
    return await staff(client, platform, agency.id, ["unit_head"], unit_id=unit["id"])


def agreement_body(unit: dict[str, Any], account_ids: list[str]) -> dict[str, Any]:
    return {
        "unit_id": unit["id"],
        "contractor_name": "株式会社えひめ広告",
        "kind": "outsourcing",
        "reference": f"広第{uuid.uuid4().hex[:6]}号",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "account_ids": account_ids,
        "clauses": CLAUSES,
    }


def pointers(problem: dict[str, Any]) -> list[str]:
    return [e["pointer"] for e in problem.get("errors", [])]


# ---- agreements: every covered account must be one the caller reaches -----------------------------------


async def test_a_unit_head_cannot_cover_another_units_account_in_a_new_agreement(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    u = units(ehime)
    ours, theirs = await draft(client, ehime, u["division"]), await draft(client, ehime, u["elsewhere"])
    head = await head_of(client, platform, ehime, u["division"])
    before = await get(client, ehime, "/agreements?limit=200", ehime.admin.headers)

    refused = await client.post(
        ehime.url("/agreements"), json=agreement_body(u["division"], [ours["id"], theirs["id"]]), headers=head.headers
    )
    problem = assert_problem(refused, 403, "forbidden")
    assert problem["reason"] == OUTSIDE
    assert pointers(problem) == ["/account_ids/1"]  # the offending entry, named
    assert [e["code"] for e in problem["errors"]] == ["outside_reach"]
    english = await client.post(ehime.url("/agreements"), json=agreement_body(u["division"], [theirs["id"]]),
                                headers={**head.headers, "Accept-Language": "en"})  # fmt: skip
    assert "outside your units" in assert_problem(english, 403, "forbidden")["errors"][0]["detail"]
    assert await get(client, ehime, "/agreements?limit=200", ehime.admin.headers) == before  # nothing recorded

    # Their own account alone is theirs to cover; the contractor then reads that account only.
    own = await client.post(
        ehime.url("/agreements"), json=agreement_body(u["division"], [ours["id"]]), headers=head.headers
    )
    assert own.status_code == 201, own.text
    vendor = await staff(client, platform, ehime.id, ["contractor"], agreement_id=own.json()["id"])
    assert (await get(client, ehime, f"/accounts/{ours['id']}", vendor.headers))["id"] == ours["id"]
    assert_problem(await client.get(ehime.url(f"/accounts/{theirs['id']}"), headers=vendor.headers), 404, "not-found")
    listed = await get(client, ehime, "/accounts", vendor.headers)
    assert [a["id"] for a in listed["items"]] == [ours["id"]]


async def test_a_department_head_covers_the_accounts_of_its_divisions(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    u = units(ehime)
    a, b = await draft(client, ehime, u["division"]), await draft(client, ehime, u["sibling"])
    head = await head_of(client, platform, ehime, u["department"])
    made = await client.post(
        ehime.url("/agreements"), json=agreement_body(u["department"], [a["id"], b["id"]]), headers=head.headers
    )
    assert made.status_code == 201, made.text
    assert sorted(made.json()["account_ids"]) == sorted([a["id"], b["id"]])


async def test_a_unit_head_cannot_add_another_units_account_to_an_agreement(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    u = units(ehime)
    ours, theirs = await draft(client, ehime, u["division"]), await draft(client, ehime, u["elsewhere"])
    head = await head_of(client, platform, ehime, u["division"])
    made = await client.post(
        ehime.url("/agreements"), json=agreement_body(u["division"], [ours["id"]]), headers=head.headers
    )
    assert made.status_code == 201, made.text
    agreement = made.json()
    vendor = await staff(client, platform, ehime.id, ["contractor"], agreement_id=agreement["id"])
    url = ehime.url(f"/agreements/{agreement['id']}")

    changed = await client.put(
        url, json={"contractor_name": "乗っ取り", "account_ids": [ours["id"], theirs["id"]]}, headers=head.headers
    )
    problem = assert_problem(changed, 403, "forbidden")
    assert (problem["reason"], pointers(problem)) == (OUTSIDE, ["/account_ids/1"])
    after = await get(client, ehime, f"/agreements/{agreement['id']}", ehime.admin.headers)
    assert (after["account_ids"], after["contractor_name"], after["version"]) == (
        [ours["id"]], agreement["contractor_name"], agreement["version"],
    )  # fmt: skip
    assert_problem(await client.get(ehime.url(f"/accounts/{theirs['id']}"), headers=vendor.headers), 404, "not-found")

    # A general administrator reaches every unit: the same change is theirs to make.
    allowed = await client.put(url, json={"account_ids": [ours["id"], theirs["id"]]}, headers=ehime.admin.headers)
    assert allowed.status_code == 200, allowed.text
    # The unit head may still change what is theirs; an account of another unit that stays covered
    # is part of what they would be deciding again, so it is refused too.
    kept = await client.put(url, json={"account_ids": [ours["id"], theirs["id"]]}, headers=head.headers)
    assert pointers(assert_problem(kept, 403, "forbidden")) == ["/account_ids/1"]
    dropped = await client.put(url, json={"account_ids": [ours["id"]]}, headers=head.headers)
    assert dropped.status_code == 200, dropped.text
    assert dropped.json()["account_ids"] == [ours["id"]]


async def test_unknown_and_unreachable_accounts_in_one_agreement_answer_the_404_first(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    u = units(ehime)
    theirs = await draft(client, ehime, u["elsewhere"])
    head = await head_of(client, platform, ehime, u["division"])
    body = agreement_body(u["division"], [theirs["id"], str(uuid.uuid4())])
    problem = assert_problem(await client.post(ehime.url("/agreements"), json=body, headers=head.headers), 404,
                             "not-found")  # fmt: skip
    assert pointers(problem) == ["/account_ids/1"]


# ---- moving an account: the new unit must be the caller's too ----------------------------------------------


async def test_a_unit_head_cannot_move_their_account_into_another_unit(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    u = units(ehime)
    account = await draft(client, ehime, u["division"])
    head = await head_of(client, platform, ehime, u["division"])
    url = ehime.url(f"/accounts/{account['id']}")
    moved = await client.put(url, json={"unit_id": u["elsewhere"]["id"], "purpose": "移管"},
                             headers={**head.headers, "If-Match": '"1"'})  # fmt: skip
    problem = assert_problem(moved, 403, "forbidden")
    assert (problem["reason"], pointers(problem)) == (OUTSIDE, ["/unit_id"])
    unchanged = await get(client, ehime, f"/accounts/{account['id']}", ehime.admin.headers)
    assert (unchanged["unit_id"], unchanged["purpose"], unchanged["version"]) == (u["division"]["id"], "", 1)
    # Sending the unit it is in already moves nothing: not refused.
    same = await client.put(url, json={"unit_id": u["division"]["id"], "purpose": "同じ所属"},
                            headers={**head.headers, "If-Match": '"1"'})  # fmt: skip
    assert same.status_code == 200, same.text


async def test_a_department_head_moves_accounts_between_its_own_divisions(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    u = units(ehime)
    account = await draft(client, ehime, u["division"])
    head = await head_of(client, platform, ehime, u["department"])
    url = ehime.url(f"/accounts/{account['id']}")
    moved = await client.put(url, json={"unit_id": u["sibling"]["id"]}, headers={**head.headers, "If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    assert moved.json()["unit_id"] == u["sibling"]["id"]
    away = await client.put(url, json={"unit_id": u["elsewhere"]["id"]}, headers={**head.headers, "If-Match": '"2"'})
    assert pointers(assert_problem(away, 403, "forbidden")) == ["/unit_id"]


async def test_an_operator_cannot_move_an_account_at_all(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    u = units(ehime)
    operator = await staff(client, platform, ehime.id, ["operator"])
    account = await draft(client, ehime, u["division"], operator_ids=[operator.user["id"]])
    url = ehime.url(f"/accounts/{account['id']}")
    for unit in (u["sibling"], u["elsewhere"]):
        moved = await client.put(url, json={"unit_id": unit["id"]}, headers={**operator.headers, "If-Match": '"1"'})
        problem = assert_problem(moved, 403, "forbidden")
        assert (problem["reason"], pointers(problem)) == (OUTSIDE, ["/unit_id"])
    assert (await get(client, ehime, f"/accounts/{account['id']}", ehime.admin.headers))["unit_id"] == (
        u["division"]["id"]
    )
    # What is theirs to change they still change.
    ok = await client.put(url, json={"purpose": "担当分"}, headers={**operator.headers, "If-Match": '"1"'})
    assert ok.status_code == 200, ok.text
    # A general administrator moves it.
    moved = await client.put(url, json={"unit_id": u["elsewhere"]["id"]},
                             headers={**ehime.admin.headers, "If-Match": '"2"'})  # fmt: skip
    assert moved.status_code == 200, moved.text


# ---- suspension: decided by the roles the configuration names -----------------------------------------


async def test_a_unit_head_suspends_where_the_configuration_makes_unit_heads_deciders(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    """愛媛県: the unit running the account decides whether it continues (004 第2の8, decided_by)."""
    u = units(ehime)
    account = await open_account(client, ehime, unit=u["division"])
    head = await head_of(client, platform, ehime, u["division"])
    base = ehime.url(f"/accounts/{account['id']}")
    suspended = await client.post(f"{base}/suspend", json={"reason": "乗っ取りの疑い"}, headers=head.headers)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    # The head of another unit decides nothing about it.
    other = await head_of(client, platform, ehime, u["elsewhere"])
    assert assert_problem(await client.post(f"{base}/resume", headers=other.headers), 403, "forbidden")["reason"] == (
        OUTSIDE
    )
    resumed = await client.post(f"{base}/resume", headers=head.headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "active"


async def test_a_unit_head_cannot_suspend_where_the_configuration_does_not_make_them_deciders(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    agency = await agency_from_preset(client, platform, "ehime-pref")
    account = await open_account(client, agency)
    head = await head_of(client, platform, agency, agency.unit())
    document = ehime_document()
    document["closure"]["decided_by"] = ["general_administrator"]  # unit heads decide no closure
    assert (await record(client, platform, agency.id, document)).status_code == 201
    base = agency.url(f"/accounts/{account['id']}")

    refused = await client.post(f"{base}/suspend", json={"reason": "乗っ取りの疑い"}, headers=head.headers)
    problem = assert_problem(refused, 403, "forbidden")
    assert problem["reason"] == "not-a-suspension-decider"
    assert problem["allowed_roles"] == ["general_administrator", "platform_operator"]
    assert (await get(client, agency, f"/accounts/{account['id']}", agency.admin.headers))["status"] == "active"

    suspended = await client.post(f"{base}/suspend", json={"reason": "乗っ取りの疑い"}, headers=agency.admin.headers)
    assert suspended.status_code == 200, suspended.text
    refused = await client.post(f"{base}/resume", headers=head.headers)
    assert assert_problem(refused, 403, "forbidden")["reason"] == "not-a-suspension-decider"
    assert (await get(client, agency, f"/accounts/{account['id']}", agency.admin.headers))["status"] == "suspended"
    resumed = await client.post(f"{base}/resume", headers=platform)
    assert resumed.status_code == 200, resumed.text
