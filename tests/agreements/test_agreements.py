"""Contractor agreements, with 愛媛県's five clauses (004 第2の3(2) ア–オ) as the reference case.

An agreement is checked against the configuration in force at its start; contractor users see and
act only on its accounts, only between its start and end; at the end a worker revokes them, asks
the agency to change each covered account's password (escalating until it is recorded) and marks
the contractor's login IDs as agreed.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest

from service.kit.db import set_tenant
from service.kit.queue import enqueue
from tests.support import (
    Agency,
    Staff,
    Time,
    agency_from_preset,
    assert_problem,
    events,
    get,
    login,
    long_lived_admin,
    open_account,
    settle,
    staff,
)
from tests.support.posts import plain_post

EHIME_CLAUSES: dict[str, Any] = {
    "security_policy_compliance": {"stated": True, "article": "第8条"},
    "posting_staff_and_devices": {
        "stated": True,
        "article": "第9条",
        "staff": [{"name": "山田 花子", "devices": ["業務用PC-01"], "submitted_on": "2026-04-01"}],
    },
    "copyright": {"stated": True, "article": "第10条", "owner": "agency"},
    "login_ids": {"stated": True, "article": "第11条", "contractor_ids_exclusive": True, "at_end": "hand_over"},
    "prior_check_of_posts": {"stated": True, "article": "第12条"},
}


@pytest.fixture
async def ehime(client: httpx.AsyncClient, platform: dict[str, str], db: Any, clock: Any) -> Agency:
    agency = await agency_from_preset(client, platform, "ehime-pref")
    await long_lived_admin(agency, db, clock)
    return agency


def agreement_body(agency: Agency, account_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "unit_id": agency.unit()["id"],
        "contractor_name": "株式会社えひめ広告",
        "kind": "outsourcing",
        "reference": f"広第{uuid.uuid4().hex[:6]}号",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "account_ids": account_ids,
        "clauses": copy.deepcopy(EHIME_CLAUSES),
        **extra,
    }


async def make_agreement(client: httpx.AsyncClient, agency: Agency, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(agency.url("/agreements"), json=body, headers=agency.admin.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def contractor(client: httpx.AsyncClient, agency: Agency, agreement: dict[str, Any]) -> Staff:
    return await staff(client, agency.admin.headers, agency.id, ["contractor"], agreement_id=agreement["id"])


async def test_ehimes_five_clauses_are_checked_and_findings_name_their_rule(
    client: httpx.AsyncClient, ehime: Agency
) -> None:
    account = await open_account(client, ehime)
    good = await make_agreement(client, ehime, agreement_body(ehime, [account["id"]]))
    assert (good["compliant"], good["findings"], good["state"], good["in_force"]) == (True, [], "active", True)
    assert good["checked_against_version"] == 1
    assert [(p["starts_on"], p["ends_on"]) for p in good["periods"]] == [("2026-04-01", "2027-03-31")]
    # The posting staff and their devices are kept as submitted, with their dates.
    assert good["clauses"]["posting_staff_and_devices"]["staff"] == [
        {"name": "山田 花子", "devices": ["業務用PC-01"], "submitted_on": "2026-04-01", "until": None}
    ]
    assert good["account_ids"] == [account["id"]]

    # 表16–18: agreements that say nothing of the policy, of copyright, of login IDs after the end.
    body = agreement_body(ehime, [account["id"]], kind="designated_manager")
    clauses = body["clauses"]
    del clauses["security_policy_compliance"]
    clauses["copyright"] = {"stated": False}
    clauses["login_ids"] = {"stated": True, "article": "第11条", "contractor_ids_exclusive": False}
    clauses["posting_staff_and_devices"]["staff"] = []
    poor = await make_agreement(client, ehime, body)
    assert poor["compliant"] is False
    found = {(f["clause"], f["code"]) for f in poor["findings"]}
    assert found == {
        ("security_policy_compliance", "missing"),
        ("copyright_to_agency", "missing"),
        ("posting_staff_and_devices", "posting-staff-not-submitted"),
        ("login_id_handling", "login-ids-not-exclusive"),
        ("login_id_handling", "login-ids-end-unstated"),
    }
    basis = {f["clause"]: f["basis"] for f in poor["findings"]}
    assert basis["copyright_to_agency"] == ["第2の3(2)ウ"]
    missing = next(f for f in poor["findings"] if f["clause"] == "security_policy_compliance")
    assert "セキュリティポリシー" in missing["detail"]
    english = await client.get(ehime.url(f"/agreements/{poor['id']}"), headers={**ehime.admin.headers,
                                                                                  "Accept-Language": "en"})  # fmt: skip
    assert "security policy" in english.json()["findings"][0]["detail"]

    listed = await get(client, ehime, "/agreements?finding=missing", ehime.admin.headers)
    assert [a["id"] for a in listed["items"]] == [poor["id"]]
    assert [
        a["id"] for a in (await get(client, ehime, "/agreements?compliant=true", ehime.admin.headers))["items"]
    ] == [good["id"]]
    # Corrected, it is checked again.
    fixed = await client.put(ehime.url(f"/agreements/{poor['id']}"), json={"clauses": EHIME_CLAUSES},
                             headers=ehime.admin.headers)  # fmt: skip
    assert (fixed.status_code, fixed.json()["compliant"]) == (200, True), fixed.text

    # Copyright to the contractor: 愛媛県 allows it "in principle" to the agency; a stricter rule does not.
    strict = copy.deepcopy(ehime.config)
    strict["outsourcing"]["other_copyright_owner_allowed"] = False
    strict["outsourcing"]["contractor_login_ids_at_end"] = "revoke"
    recorded = await client.post(ehime.url("/guideline/versions"), headers=ehime.admin.headers,
                                 json={"document": strict, "reason": "契約条項の厳格化", "effective_from": "2026-05-01"})  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    theirs = agreement_body(ehime, [account["id"]], starts_on="2026-05-01")
    theirs["clauses"]["copyright"] = {"stated": True, "article": "第10条", "owner": "contractor"}
    later = await make_agreement(client, ehime, theirs)
    assert {f["code"] for f in later["findings"]} == {"copyright-not-agency", "login-ids-end-differs"}
    assert later["checked_against_version"] == 2
    earlier = agreement_body(ehime, [account["id"]])  # starts under version 1: the same clauses pass
    earlier["clauses"]["copyright"] = {"stated": True, "article": "第10条", "owner": "contractor"}
    assert (await make_agreement(client, ehime, earlier))["compliant"] is True


async def test_bad_agreements_are_refused_and_change_nothing(client: httpx.AsyncClient, ehime: Agency) -> None:
    account = await open_account(client, ehime)
    backwards = agreement_body(ehime, [account["id"]], starts_on="2027-04-01", ends_on="2027-03-31")
    problem = assert_problem(await client.post(ehime.url("/agreements"), json=backwards, headers=ehime.admin.headers),
                             422, "validation-error")  # fmt: skip
    assert [e["pointer"] for e in problem["errors"]] == ["/ends_on"]
    unknown = agreement_body(ehime, [str(uuid.uuid4())])
    problem = assert_problem(await client.post(ehime.url("/agreements"), json=unknown, headers=ehime.admin.headers),
                             404, "not-found")  # fmt: skip
    assert [e["pointer"] for e in problem["errors"]] == ["/account_ids/0"]
    extra = agreement_body(ehime, [account["id"]])
    extra["clauses"]["copyright"]["royalty"] = "10%"
    assert_problem(await client.post(ehime.url("/agreements"), json=extra, headers=ehime.admin.headers), 422,
                   "validation-error")  # fmt: skip
    body = agreement_body(ehime, [account["id"]])
    await make_agreement(client, ehime, body)
    assert_problem(await client.post(ehime.url("/agreements"), json=body, headers=ehime.admin.headers), 409, "conflict")
    assert len((await get(client, ehime, "/agreements", ehime.admin.headers))["items"]) == 1
    # A unit head records the agreements of their own units only.
    other_unit = ehime.unit(0)
    head = await staff(client, ehime.admin.headers, ehime.id, ["unit_head"], unit_id=other_unit["id"])
    outside = await client.post(
        ehime.url("/agreements"), json=agreement_body(ehime, [account["id"]]), headers=head.headers
    )
    assert assert_problem(outside, 403, "forbidden")["reason"] == "outside-your-units-or-assignments"
    # A staff member is not linked to an agreement.
    wrong = await client.post(ehime.url("/users"), headers=ehime.admin.headers, json={
        "login_id": f"u{uuid.uuid4().hex[:8]}", "email": f"{uuid.uuid4().hex[:8]}@example.jp", "display_name": "x",
        "roles": ["operator"], "agreement_id": (await get(client, ehime, "/agreements", ehime.admin.headers))["items"][0]["id"],
    })  # fmt: skip
    assert assert_problem(wrong, 422, "validation-error")["errors"][0]["code"] == "contractor_only"


async def test_a_contractor_sees_and_acts_on_its_agreements_accounts_only(
    client: httpx.AsyncClient, platform: dict[str, str], ehime: Agency
) -> None:
    ours, other = await open_account(client, ehime), await open_account(client, ehime)
    agreement = await make_agreement(client, ehime, agreement_body(ehime, [ours["id"]]))
    elsewhere = await make_agreement(client, ehime, agreement_body(ehime, [other["id"]]))
    for holder, login_id in (("agency", "ehime_pr_admin"), ("contractor", "vendor_01")):
        recorded = await client.post(ehime.url(f"/agreements/{agreement['id']}/login-ids"), headers=ehime.admin.headers,
                                     json={"account_id": ours["id"], "login_id": login_id, "holder": holder})  # fmt: skip
        assert recorded.status_code == 201, recorded.text
    vendor = await contractor(client, ehime, agreement)
    h = vendor.headers

    listed = await get(client, ehime, "/accounts", h)
    assert [a["id"] for a in listed["items"]] == [ours["id"]]
    assert (await get(client, ehime, f"/accounts/{ours['id']}", h))["id"] == ours["id"]
    assert_problem(await client.get(ehime.url(f"/accounts/{other['id']}"), headers=h), 404, "not-found")
    posted = await client.post(ehime.url("/posts"), headers=h, json=plain_post(ehime, ours["id"]))
    assert posted.status_code == 201, posted.text
    assert [p["id"] for p in (await get(client, ehime, "/posts", h))["items"]] == [posted.json()["id"]]
    refused = await client.post(ehime.url("/posts"), headers=h, json=plain_post(ehime, other["id"]))
    assert_problem(refused, 404, "not-found")
    theirs = await client.post(ehime.url("/posts"), headers=ehime.admin.headers, json=plain_post(ehime, other["id"]))
    assert_problem(await client.get(ehime.url(f"/posts/{theirs.json()['id']}"), headers=h), 404, "not-found")
    assert [a["id"] for a in (await get(client, ehime, "/agreements", h))["items"]] == [agreement["id"]]
    assert_problem(await client.get(ehime.url(f"/agreements/{elsewhere['id']}"), headers=h), 404, "not-found")
    ids = await get(client, ehime, f"/agreements/{agreement['id']}/login-ids", h)
    assert [(i["login_id"], i["holder"]) for i in ids] == [("vendor_01", "contractor")]  # never the agency's
    both = await get(client, ehime, f"/agreements/{agreement['id']}/login-ids", ehime.admin.headers)
    assert {i["holder"] for i in both} == {"agency", "contractor"}
    # Nothing else: other users, incidents, the audit trail, changing accounts or agreements.
    for method, path in (("GET", "/users"), ("GET", "/incidents"), ("GET", "/audit-events"), ("GET", "/closures"),
                         ("GET", "/continuation-declarations"), ("GET", f"/accounts/{ours['id']}/monitoring")):  # fmt: skip
        assert_problem(await client.request(method, ehime.url(path), headers=h), 403, "forbidden")
    changed = await client.put(ehime.url(f"/agreements/{agreement['id']}"), json={"contractor_name": "x"}, headers=h)
    assert_problem(changed, 403, "forbidden")


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "reason"),
    [("2025-04-01", "2026-03-31", "agreement-ended"), ("2026-05-01", "2027-03-31", "agreement-not-started")],
)
async def test_outside_its_period_a_contractor_can_do_nothing(
    client: httpx.AsyncClient, ehime: Agency, starts_on: str, ends_on: str, reason: str
) -> None:
    account = await open_account(client, ehime)
    agreement = await make_agreement(
        client, ehime, agreement_body(ehime, [account["id"]], starts_on=starts_on, ends_on=ends_on)
    )
    assert agreement["in_force"] is False
    vendor = await contractor(client, ehime, agreement)
    for path in ("/accounts", f"/accounts/{account['id']}", "/agreements", "/guideline"):
        problem = assert_problem(await client.get(ehime.url(path), headers=vendor.headers), 403, "forbidden")
        assert problem["reason"] == reason


async def test_the_end_revokes_the_contractor_and_asks_for_password_changes_once(
    client: httpx.AsyncClient, ehime: Agency, time: Time, app: Any, worker: Any
) -> None:
    account = await open_account(client, ehime)
    body = agreement_body(ehime, [account["id"]], starts_on="2026-04-01", ends_on="2026-04-30")
    agreement = await make_agreement(client, ehime, body)
    await client.post(ehime.url(f"/agreements/{agreement['id']}/login-ids"), headers=ehime.admin.headers,
                      json={"account_id": account["id"], "login_id": "vendor_01", "holder": "contractor"})  # fmt: skip
    vendor = await contractor(client, ehime, agreement)

    await time.to("2026-04-23T00:30:00+00:00")  # a week before, 09:30 in Tokyo
    ending = await events(client, ehime, ehime.admin.headers, "contract.ending")
    assert [e["data"]["days_before"] for e in ending] == [7]  # 30 days before was before it started
    await time.to("2026-05-01T00:30:00+00:00")
    ended = await get(client, ehime, f"/agreements/{agreement['id']}", ehime.admin.headers)
    assert (ended["state"], ended["in_force"]) == ("ended", False)
    again = await login(client, vendor.user["login_id"], vendor.password)
    problem = assert_problem(await client.get(ehime.url("/accounts"), headers={"Authorization": f"Bearer {again['access_token']}"}),
                             403, "forbidden")  # fmt: skip
    assert problem["reason"] == "agreement-ended"
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": vendor.refresh})
    assert refresh.status_code == 401  # its sessions were revoked at the end
    ids = await get(client, ehime, f"/agreements/{agreement['id']}/login-ids", ehime.admin.headers)
    assert [(i["login_id"], i["state"]) for i in ids] == [("vendor_01", "handed_over")]  # as agreed: handed over
    flagged = await get(client, ehime, f"/accounts/{account['id']}", ehime.admin.headers)
    assert "password_change_needed" in flagged["attention_reasons"]
    [done] = await events(client, ehime, ehime.admin.headers, "contract.ended")
    assert done["data"]["login_ids_at_end"] == "hand_over"
    mail = (await get(client, ehime, "/mail?limit=200", ehime.admin.headers))["items"]
    assert any("委託契約が終了しました" in m["subject"] for m in mail)
    trail = (await get(client, ehime, "/audit-events?limit=200", ehime.admin.headers))["items"]
    assert {"agreement.updated", "login_id.updated"} <= {e["action"] for e in trail}

    # A redelivered end does nothing twice.
    end_deadline = next(d for d in (await get(client, ehime, "/deadlines?limit=200", ehime.admin.headers))["items"]
                        if d["kind"] == "contract.end" and d["subject_id"] == agreement["id"])  # fmt: skip
    async with app.state.db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(ehime.id))
        await enqueue(session, "run_deadlines", tenant_id=uuid.UUID(ehime.id), now=app.state.clock.now(),
                      deadline_ids=[end_deadline["id"]])  # fmt: skip
    await settle(app, worker)
    assert len(await events(client, ehime, ehime.admin.headers, "contract.ended")) == 1

    # Two weeks on with no password change recorded: escalated, and again a week later.
    await time.to("2026-05-15T01:00:00+00:00")
    assert len(await events(client, ehime, ehime.admin.headers, "contract.password_change_overdue")) == 1
    changed = await client.post(ehime.url(f"/accounts/{account['id']}/password-changes"), json={"meets_policy": True},
                                headers=ehime.admin.headers)  # fmt: skip
    assert changed.status_code == 201, changed.text
    await time.to("2026-05-23T01:00:00+00:00")
    assert len(await events(client, ehime, ehime.admin.headers, "contract.password_change_overdue")) == 1
    assert "password_change_needed" not in (await get(client, ehime, f"/accounts/{account['id']}",
                                                      ehime.admin.headers))["attention_reasons"]  # fmt: skip


async def test_renewal_adds_a_period_and_moves_the_end(client: httpx.AsyncClient, ehime: Agency, time: Time) -> None:
    account = await open_account(client, ehime)
    agreement = await make_agreement(client, ehime, agreement_body(ehime, [account["id"]], ends_on="2026-04-30"))
    vendor = await contractor(client, ehime, agreement)
    early = await client.post(ehime.url(f"/agreements/{agreement['id']}/renew"), json={"ends_on": "2026-04-30"},
                              headers=ehime.admin.headers)  # fmt: skip
    assert [e["pointer"] for e in assert_problem(early, 422, "validation-error")["errors"]] == ["/ends_on"]
    renewed = await client.post(ehime.url(f"/agreements/{agreement['id']}/renew"), headers=ehime.admin.headers,
                                json={"ends_on": "2027-03-31", "reference": f"広第{uuid.uuid4().hex[:6]}号"})  # fmt: skip
    assert renewed.status_code == 200, renewed.text
    assert [(p["starts_on"], p["ends_on"]) for p in renewed.json()["periods"]] == [
        ("2026-04-01", "2026-04-30"), ("2026-05-01", "2027-03-31"),
    ]  # fmt: skip
    await time.to("2026-05-02T00:30:00+00:00")  # past the old end: still in force
    assert (await get(client, ehime, f"/agreements/{agreement['id']}", ehime.admin.headers))["state"] == "active"
    assert await events(client, ehime, ehime.admin.headers, "contract.ended") == []
    fresh = await login(client, vendor.user["login_id"], vendor.password)
    still = await client.get(ehime.url("/accounts"), headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert [a["id"] for a in still.json()["items"]] == [account["id"]]
