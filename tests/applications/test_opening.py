"""Each seed organisation opens an account through the API: documents, application, approval, with
its own distinctive opening rules applied, each violation refused with the rule named.

The rules come from the preset's guideline configuration (tenants/*.json), which cites the clause
of the seed each one comes from; `basis` in every unmet rule carries that citation back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from tests.support import (
    Agency,
    agency_from_preset,
    apply,
    assert_problem,
    bearer,
    compliant_account,
    create_account,
    open_account,
    put_documents,
    staff,
    x_handle,
)

TODAY = dt.date(2026, 4, 1)  # the frozen clock's date in Asia/Tokyo


@pytest.fixture(scope="module")
async def agencies(client: httpx.AsyncClient, platform_token: str) -> dict[str, Agency]:
    platform = bearer(platform_token)
    return {
        preset: await agency_from_preset(client, platform, preset)
        for preset in ("ehime-pref", "hokkaido-boe", "mine-shakyo", "oyama-kosen", "ageo-hoikuka")
    }


def unmet_rules(problem: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert problem["reason"] == "opening-rules-not-met", problem
    return {u["rule"]: u for u in problem["unmet"]}


async def approve(
    client: httpx.AsyncClient, agency: Agency, application: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        agency.url(f"/applications/{application['id']}/approve"), headers=headers or agency.admin.headers
    )


async def account(client: httpx.AsyncClient, agency: Agency, account_id: str) -> dict[str, Any]:
    response = await client.get(agency.url(f"/accounts/{account_id}"), headers=agency.admin.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def event_types(client: httpx.AsyncClient, agency: Agency, subject_id: str) -> list[str]:
    items = (await client.get(agency.url("/events?limit=200"), headers=agency.admin.headers)).json()["items"]
    return [e["type"] for e in reversed(items) if e["subject_id"] == subject_id]


# ---- 愛媛県: documents item by item, the account policy disclosed, a link back to the register ------


async def test_ehime_refuses_until_documents_policy_and_link_are_in_place(
    client: httpx.AsyncClient, agencies: dict[str, Agency]
) -> None:
    ehime = agencies["ehime-pref"]
    body = compliant_account(ehime, ehime.unit(), f"https://x.com/{x_handle()}", profile_links_register=False)
    draft = await create_account(client, ehime, body)
    usage_items = ehime.config["opening"]["required_documents"]["usage_policy"]["items"]
    await client.put(
        ehime.url(f"/accounts/{draft['id']}/documents/usage_policy"),
        json={"items": dict.fromkeys(usage_items[:-1], "記載")},  # all but the last item
        headers=ehime.admin.headers,
    )
    policy_items = ehime.config["opening"]["required_documents"]["account_policy"]["items"]
    await client.put(
        ehime.url(f"/accounts/{draft['id']}/documents/account_policy"),
        json={"items": dict.fromkeys(policy_items, "記載")},  # written, but not published
        headers=ehime.admin.headers,
    )
    application = await apply(client, ehime, draft["id"])
    assert application["state"] == "submitted"  # Ehime approves new accounts (第2の1(1))
    assert (await account(client, ehime, draft["id"]))["status"] == "pending_approval"

    refused = await approve(client, ehime, application)
    unmet = unmet_rules(assert_problem(refused, 409, "conflict"))
    assert set(unmet) == {
        "/opening/required_documents/usage_policy",
        "/opening/required_documents/operations_manual",
        "/opening/required_documents/account_policy/must_be_disclosed",
        "/opening/profile_link_to_register/required",
    }
    assert unmet["/opening/required_documents/usage_policy"]["missing"] == [usage_items[-1]]
    assert unmet["/opening/required_documents/operations_manual"]["missing"] == [
        "posting_procedure",
        "security",
        "platform_specifics",
    ]
    assert (
        unmet["/opening/profile_link_to_register/required"]["basis"]
        == ehime.config["opening"]["profile_link_to_register"]["basis"]
    )
    assert (await account(client, ehime, draft["id"]))["status"] == "pending_approval"  # nothing changed

    await put_documents(client, ehime, draft["id"], {**ehime.admin.headers, "If-Match": "*"})
    current = await account(client, ehime, draft["id"])
    fixed = await client.put(
        ehime.url(f"/accounts/{draft['id']}"),
        json={"profile_links_register": True},
        headers={**ehime.admin.headers, "If-Match": f'"{current["version"]}"'},
    )
    assert fixed.status_code == 200, fixed.text
    approved = await approve(client, ehime, application)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    opened = await account(client, ehime, draft["id"])
    assert (opened["status"], opened["opened_on"]) == ("active", TODAY.isoformat())
    assert await event_types(client, ehime, application["id"]) == ["application.submitted", "application.approved"]
    assert await event_types(client, ehime, draft["id"]) == ["account.status_changed", "account.status_changed"]


async def test_ehime_closure_is_a_report_announced_for_thirty_days(
    client: httpx.AsyncClient, agencies: dict[str, Agency]
) -> None:
    ehime = agencies["ehime-pref"]
    opened = await open_account(client, ehime)
    # Closing is reported (様式2), not applied for: submitting carries it out.
    closure = await apply(client, ehime, opened["id"], kind="closure", closure_reason="事業終了のため")
    assert closure["state"] == "approved"
    closing = await account(client, ehime, opened["id"])
    assert closing["status"] == "closing"
    assert closing["closing_on"] == (TODAY + dt.timedelta(days=30)).isoformat()


# ---- 北海道教育委員会: the unit's shared mailbox, a verified badge on X, unit heads approve ----------


async def test_hokkaido_wants_the_units_shared_mailbox_and_a_badge_on_x(
    client: httpx.AsyncClient, platform: dict[str, str], agencies: dict[str, Agency]
) -> None:
    hokkaido = agencies["hokkaido-boe"]
    unit = hokkaido.unit()
    body = compliant_account(
        hokkaido, unit, f"https://x.com/{x_handle()}", signup_mailbox="tanto.personal@example.jp", verified_badge=False
    )
    draft = await create_account(client, hokkaido, body)
    await put_documents(client, hokkaido, draft["id"], hokkaido.admin.headers)
    application = await apply(client, hokkaido, draft["id"])
    unmet = unmet_rules(assert_problem(await approve(client, hokkaido, application), 409, "conflict"))
    assert set(unmet) == {"/opening/signup_mailbox/policy", "/opening/verified_badge/policy"}
    assert unit["shared_mailbox"] in unmet["/opening/signup_mailbox/policy"]["detail"]

    # The badge is X's rule only: an Instagram account of the same unit needs none.
    instagram = compliant_account(hokkaido, unit, f"https://www.instagram.com/{x_handle()}/", verified_badge=False)
    insta = await create_account(client, hokkaido, instagram)
    await put_documents(client, hokkaido, insta["id"], hokkaido.admin.headers)
    readiness = (
        await client.get(hokkaido.url(f"/accounts/{insta['id']}/readiness"), headers=hokkaido.admin.headers)
    ).json()
    assert readiness["ready"] is True, readiness

    # The unit's own head approves (所属長の承認); the head of another unit may not.
    own_head = await staff(client, platform, hokkaido.id, ["unit_head"], unit_id=unit["id"])
    other_head = await staff(client, platform, hokkaido.id, ["unit_head"], unit_id=hokkaido.unit(0)["id"])
    insta_application = await apply(client, hokkaido, insta["id"])
    assert_problem(await approve(client, hokkaido, insta_application, other_head.headers), 403, "forbidden")
    assert (await approve(client, hokkaido, insta_application, own_head.headers)).status_code == 200
    assert (await account(client, hokkaido, insta["id"]))["status"] == "active"


# ---- 美祢市社会福祉協議会: Facebook and Instagram only, no application procedure -------------------


async def test_mine_opens_facebook_and_instagram_only_without_an_approval_step(
    client: httpx.AsyncClient, agencies: dict[str, Agency]
) -> None:
    mine = agencies["mine-shakyo"]
    on_x = await create_account(client, mine, compliant_account(mine, mine.unit(), f"https://x.com/{x_handle()}"))
    await put_documents(client, mine, on_x["id"], mine.admin.headers)
    created = await client.post(
        mine.url("/applications"),
        json={"kind": "new", "account_id": on_x["id"], "applicant_title": "地域福祉係", "purpose": "行事の案内"},
        headers=mine.admin.headers,
    )
    refused = await client.post(mine.url(f"/applications/{created.json()['id']}/submit"), headers=mine.admin.headers)
    unmet = unmet_rules(assert_problem(refused, 409, "conflict"))
    assert list(unmet) == ["/platforms/allowed"]
    assert unmet["/platforms/allowed"]["basis"] == mine.config["platforms"]["basis"]
    assert (await account(client, mine, on_x["id"]))["status"] == "draft"

    facebook = await create_account(
        client, mine, compliant_account(mine, mine.unit(), f"https://www.facebook.com/{x_handle()}")
    )
    await put_documents(client, mine, facebook["id"], mine.admin.headers)
    application = await apply(client, mine, facebook["id"])
    assert application["state"] == "approved"  # no approver in Mine's rules: submitting opens it
    assert (await account(client, mine, facebook["id"]))["status"] == "active"
    types = await event_types(client, mine, application["id"])
    assert types == ["application.submitted", "application.approved"]


# ---- 小山高専: the form (別紙様式) for new, change and closure, decided by the 広報戦略室長 -----------


async def test_oyama_needs_an_operations_manager_and_its_general_administrator(
    client: httpx.AsyncClient, platform: dict[str, str], agencies: dict[str, Agency]
) -> None:
    oyama = agencies["oyama-kosen"]
    body = compliant_account(oyama, oyama.unit(), f"https://www.youtube.com/@{x_handle()}")
    body.pop("operations_manager_id")
    draft = await create_account(client, oyama, body)
    application = await apply(client, oyama, draft["id"], organisation="電気電子創造工学科")
    assert application["form"]["organisation"] == "電気電子創造工学科"
    head = await staff(client, platform, oyama.id, ["unit_head"], unit_id=oyama.unit()["id"])
    refused = assert_problem(await approve(client, oyama, application, head.headers), 403, "forbidden")
    assert refused["approver_role"] == "general_administrator"
    unmet = unmet_rules(assert_problem(await approve(client, oyama, application), 409, "conflict"))
    assert list(unmet) == ["/role_titles/operations_manager"]


async def test_oyama_changes_and_closures_go_through_the_form_too(
    client: httpx.AsyncClient, platform: dict[str, str], agencies: dict[str, Agency]
) -> None:
    oyama = agencies["oyama-kosen"]
    opened = await open_account(client, oyama)
    successor = await staff(client, platform, oyama.id, ["operator"])
    change = await apply(
        client,
        oyama,
        opened["id"],
        kind="change",
        change_types=["managers"],
        changes={"operator_ids": [successor.user["id"]]},
    )
    assert change["state"] == "submitted"
    assert (await account(client, oyama, opened["id"]))["operator_ids"] != [successor.user["id"]]
    assert (await approve(client, oyama, change)).status_code == 200
    assert (await account(client, oyama, opened["id"]))["operator_ids"] == [successor.user["id"]]

    closure = await apply(client, oyama, opened["id"], kind="closure", closure_reason="学科再編のため")
    assert closure["state"] == "submitted"
    assert (await approve(client, oyama, closure)).status_code == 200
    closed = await account(client, oyama, opened["id"])
    assert (closed["status"], closed["closed_on"]) == ("closed", TODAY.isoformat())
    # A closed account is history: nothing more can be applied for it.
    again = await client.post(
        oyama.url("/applications"),
        json={"kind": "closure", "account_id": opened["id"], "applicant_title": "x"},
        headers=oyama.admin.headers,
    )
    assert assert_problem(again, 409, "conflict")["reason"] == "illegal-transition"


# ---- 上尾市保育課: X only; only changes need the 保育課長's approval ------------------------------


async def test_ageo_opens_on_x_only_and_approves_changes(
    client: httpx.AsyncClient, platform: dict[str, str], agencies: dict[str, Agency]
) -> None:
    ageo = agencies["ageo-hoikuka"]
    unit = ageo.unit()
    instagram = await create_account(
        client, ageo, compliant_account(ageo, unit, f"https://www.instagram.com/{x_handle()}/")
    )
    created = await client.post(
        ageo.url("/applications"),
        json={"kind": "new", "account_id": instagram["id"], "applicant_title": "保育課", "purpose": "子育て情報"},
        headers=ageo.admin.headers,
    )
    refused = await client.post(ageo.url(f"/applications/{created.json()['id']}/submit"), headers=ageo.admin.headers)
    assert list(unmet_rules(assert_problem(refused, 409, "conflict"))) == ["/platforms/allowed"]

    opened = await open_account(client, ageo, unit=unit)  # no approval for opening in Ageo's rules
    head = await staff(client, platform, ageo.id, ["unit_head"], unit_id=unit["id"])
    change = await apply(
        client, ageo, opened["id"], kind="change", change_types=["purpose"], changes={"purpose": "保育所の空き状況"}
    )
    assert change["state"] == "submitted"  # changes need the 保育課長 (5(2)コ)
    rejected = await client.post(
        ageo.url(f"/applications/{change['id']}/reject"), json={"reason": "内容を再検討のこと"}, headers=head.headers
    )
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["decision_reason"]) == ("rejected", "内容を再検討のこと")
    assert (await account(client, ageo, opened["id"]))["purpose"] == "お知らせの発信"
    events = (await client.get(ageo.url("/events?type=application.rejected"), headers=ageo.admin.headers)).json()[
        "items"
    ]
    assert events[0]["data"]["reason"] == "内容を再検討のこと"

    second = await apply(
        client, ageo, opened["id"], kind="change", change_types=["purpose"], changes={"purpose": "保育所の空き状況"}
    )
    assert (await approve(client, ageo, second, head.headers)).status_code == 200
    assert (await account(client, ageo, opened["id"]))["purpose"] == "保育所の空き状況"


# ---- the application itself -------------------------------------------------------------------------


async def test_an_application_moves_only_along_its_states(
    client: httpx.AsyncClient, agencies: dict[str, Agency]
) -> None:
    ehime = agencies["ehime-pref"]
    draft = await create_account(client, ehime, compliant_account(ehime, ehime.unit(), f"https://x.com/{x_handle()}"))
    body = {"kind": "new", "account_id": draft["id"], "applicant_title": "x", "purpose": "x"}
    created = (await client.post(ehime.url("/applications"), json=body, headers=ehime.admin.headers)).json()
    # One application in progress per account.
    second = await client.post(ehime.url("/applications"), json=body, headers=ehime.admin.headers)
    assert_problem(second, 409, "conflict")
    early = assert_problem(await approve(client, ehime, created), 409, "conflict")
    assert (early["current_state"], early["allowed_actions"]) == ("draft", ["submit", "withdraw"])
    await client.post(ehime.url(f"/applications/{created['id']}/submit"), headers=ehime.admin.headers)
    assert (await account(client, ehime, draft["id"]))["status"] == "pending_approval"
    withdrawn = await client.post(ehime.url(f"/applications/{created['id']}/withdraw"), headers=ehime.admin.headers)
    assert withdrawn.json()["state"] == "withdrawn"
    assert (await account(client, ehime, draft["id"]))["status"] == "draft"  # back to the unit to rework
    late = assert_problem(await approve(client, ehime, created), 409, "conflict")
    assert late["allowed_actions"] == []
    # The account is free for a new application now.
    assert (await client.post(ehime.url("/applications"), json=body, headers=ehime.admin.headers)).status_code == 201


async def test_a_form_missing_what_its_kind_needs_is_a_422(
    client: httpx.AsyncClient, agencies: dict[str, Agency]
) -> None:
    ehime = agencies["ehime-pref"]
    draft = await create_account(client, ehime, compliant_account(ehime, ehime.unit(), f"https://x.com/{x_handle()}"))
    for body in (
        {"kind": "new", "account_id": draft["id"], "applicant_title": "x"},
        {"kind": "change", "account_id": draft["id"], "applicant_title": "x"},
        {"kind": "closure", "account_id": draft["id"], "applicant_title": "", "purpose": "x"},
        {"kind": "rename", "account_id": draft["id"], "applicant_title": "x"},
    ):
        assert_problem(
            await client.post(ehime.url("/applications"), json=body, headers=ehime.admin.headers),
            422,
            "validation-error",
        )
    listed = (
        await client.get(ehime.url(f"/applications?account_id={draft['id']}"), headers=ehime.admin.headers)
    ).json()
    assert listed["items"] == []


async def test_operators_apply_but_do_not_decide(
    client: httpx.AsyncClient, platform: dict[str, str], agencies: dict[str, Agency]
) -> None:
    ehime = agencies["ehime-pref"]
    operator = await staff(client, platform, ehime.id, ["operator"])
    body = compliant_account(ehime, ehime.unit(), f"https://x.com/{x_handle()}", operator_ids=[operator.user["id"]])
    draft = await create_account(client, ehime, body)
    await put_documents(client, ehime, draft["id"], ehime.admin.headers)
    form = {"kind": "new", "account_id": draft["id"], "applicant_title": "運用担当者", "purpose": "x"}
    created = await client.post(ehime.url("/applications"), json=form, headers=operator.headers)
    assert created.status_code == 201, created.text
    submitted = await client.post(ehime.url(f"/applications/{created.json()['id']}/submit"), headers=operator.headers)
    assert submitted.status_code == 200, submitted.text
    assert_problem(await approve(client, ehime, created.json(), operator.headers), 403, "forbidden")
    listed = (await client.get(ehime.url("/applications?state=submitted"), headers=operator.headers)).json()["items"]
    assert created.json()["id"] in [a["id"] for a in listed]


async def test_deciders_hear_of_a_submission_and_the_applicant_of_the_decision(
    app: Any, worker: Any, client: httpx.AsyncClient, platform: dict[str, str], agencies: dict[str, Agency]
) -> None:
    from tests.support import settle

    hokkaido = agencies["hokkaido-boe"]  # unit heads approve new accounts there
    await settle(app, worker)  # earlier tests' events go out before the people below exist
    unit = hokkaido.unit()  # 義務教育課, under 学校教育局
    head = await staff(client, platform, hokkaido.id, ["unit_head"], unit_id=unit["id"])
    elsewhere = await staff(client, platform, hokkaido.id, ["unit_head"], unit_id=hokkaido.unit(1)["id"])
    applicant = await staff(client, platform, hokkaido.id, ["operator"], locale="en")
    body = compliant_account(hokkaido, unit, f"https://x.com/{x_handle()}", operator_ids=[applicant.user["id"]])
    draft = await create_account(client, hokkaido, body)
    await put_documents(client, hokkaido, draft["id"], hokkaido.admin.headers)
    form = {"kind": "new", "account_id": draft["id"], "applicant_title": "義務教育課 主査", "purpose": "学校の話題"}
    created = (await client.post(hokkaido.url("/applications"), json=form, headers=applicant.headers)).json()
    await client.post(hokkaido.url(f"/applications/{created['id']}/submit"), headers=applicant.headers)
    await settle(app, worker)

    async def mail_to(user: Any) -> list[dict[str, Any]]:
        items = (await client.get(hokkaido.url("/mail?limit=200"), headers=hokkaido.admin.headers)).json()["items"]
        return [m for m in items if m["to_address"] == user.user["email"]]

    assert [m["subject"] for m in await mail_to(head)] == [
        f"【{hokkaido.tenant['name_ja']}】申請（新規）が提出されました"
    ]
    assert await mail_to(elsewhere) == []
    assert await mail_to(applicant) == []
    reason = "プロフィールの記載を見直してください"
    rejected = await client.post(
        hokkaido.url(f"/applications/{created['id']}/reject"), json={"reason": reason}, headers=head.headers
    )
    assert rejected.status_code == 200, rejected.text
    await settle(app, worker)
    [decision] = await mail_to(applicant)
    assert decision["subject"] == f"[{hokkaido.tenant['name_en']}] Application rejected (new account)"
    assert reason in decision["body"]
