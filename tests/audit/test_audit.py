"""The audit trail: every change traceable to an actor, a request and an address; append-only."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from service.kit.db import Database, set_tenant
from tests.support import a_dead_letter, a_delivery, assert_problem, bearer, create_tenant, make_unit, staff


@pytest.fixture
async def admin(client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]) -> Any:
    return await staff(client, platform, tenant["id"], ["general_administrator"])


async def events(
    client: httpx.AsyncClient, headers: dict[str, str], tenant_id: str, **filters: str
) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    response = await client.get(f"/v1/tenants/{tenant_id}/audit-events?limit=200&{query}", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_change_records_actor_request_address_and_diff(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    unit = await client.post(
        f"/v1/tenants/{tenant['id']}/units",
        json={"code": "koho", "name_ja": "広報課", "name_en": "PR"},
        headers={**admin.headers, "X-Request-ID": "audit-create-1"},
    )
    unit_id = unit.json()["id"]
    renamed = await client.patch(
        f"/v1/tenants/{tenant['id']}/units/{unit_id}",
        json={"name_en": "Public Relations", "name_ja": "広報課"},
        headers={**admin.headers, "If-Match": '"1"', "X-Request-ID": "audit-update-1"},
    )
    assert renamed.status_code == 200
    trail = await events(client, admin.headers, tenant["id"], target_id=unit_id)
    assert [e["action"] for e in trail] == ["unit.updated", "unit.created"]  # newest first
    updated, created = trail
    assert updated["changes"] == {"name_en": ["PR", "Public Relations"]}  # only what changed
    assert updated["request_id"] == "audit-update-1"
    assert created["request_id"] == "audit-create-1"
    assert created["changes"]["code"] == [None, "koho"]
    for event in trail:
        assert event["actor_kind"] == "user"
        assert event["actor_id"] == admin.user["id"]
        assert event["client_ip"] == "127.0.0.1"
        assert event["tenant_id"] == tenant["id"]


async def test_secrets_never_reach_the_trail(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any, db: Database
) -> None:
    await staff(client, admin.headers, tenant["id"], ["operator"])
    issued = await client.post(
        f"/v1/tenants/{tenant['id']}/api-tokens", json={"name": "t", "scopes": ["units:read"]}, headers=admin.headers
    )
    secret = issued.json()["secret"]
    async with db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(tenant["id"]))
        dump = (await session.execute(text("SELECT string_agg(changes::text, ' ') FROM audit_events"))).scalar_one()
    assert "argon2" not in dump
    assert "password_hash" not in dump
    assert "secret_hash" not in dump
    assert secret not in dump
    assert "temporary" not in dump


async def test_logins_and_refusals_are_in_the_tenant_trail(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    await client.post("/v1/auth/login", json={"login": admin.user["login_id"], "password": "wrong-wrong-wrong"})
    actions = [e["action"] for e in await events(client, admin.headers, tenant["id"], target_id=admin.user["id"])]
    assert "auth.login_failed" in actions
    assert "auth.login" in actions


async def test_filters_and_pages(client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any) -> None:
    for _ in range(3):
        await make_unit(client, admin.headers, tenant["id"])
    created = await events(client, admin.headers, tenant["id"], action="unit.created")
    assert len(created) == 3
    by_kind = await events(client, admin.headers, tenant["id"], action="unit.")
    assert {e["action"] for e in by_kind} == {"unit.created"}
    mine = await events(client, admin.headers, tenant["id"], actor_id=admin.user["id"], target_kind="unit")
    assert len(mine) == 3
    later = await events(client, admin.headers, tenant["id"], since="2026-04-02T00:00:00Z")
    assert later == []
    page = (
        await client.get(f"/v1/tenants/{tenant['id']}/audit-events?limit=2&action=unit.created", headers=admin.headers)
    ).json()
    rest = (
        await client.get(
            f"/v1/tenants/{tenant['id']}/audit-events?limit=2&action=unit.created&cursor={page['next_cursor']}",
            headers=admin.headers,
        )
    ).json()
    assert len(page["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None


async def test_csv_export(client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any) -> None:
    await client.post(
        f"/v1/tenants/{tenant['id']}/units",
        json={"code": "formula", "name_ja": '=HYPERLINK("http://evil")', "name_en": "x"},
        headers=admin.headers,
    )
    response = await client.get(f"/v1/tenants/{tenant['id']}/audit-events/export.csv", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert {"unit.created", "auth.login"} <= {r["action"] for r in rows}
    changes = next(r["changes"] for r in rows if r["action"] == "unit.created")
    assert "HYPERLINK" in changes
    assert not any(cell.startswith("=") for row in rows for cell in row.values())
    # The export itself is on the record.
    assert "audit.exported" in [e["action"] for e in await events(client, admin.headers, tenant["id"])]


async def test_who_may_read_the_trail(client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any) -> None:
    auditor = await staff(client, admin.headers, tenant["id"], ["auditor"])
    operator = await staff(client, admin.headers, tenant["id"], ["operator"])
    assert (await client.get(f"/v1/tenants/{tenant['id']}/audit-events", headers=auditor.headers)).status_code == 200
    assert_problem(
        await client.get(f"/v1/tenants/{tenant['id']}/audit-events", headers=operator.headers), 403, "forbidden"
    )
    assert_problem(
        await client.get(f"/v1/tenants/{tenant['id']}/audit-events/export.csv", headers=operator.headers),
        403,
        "forbidden",
    )


async def test_the_app_role_cannot_rewrite_the_trail(db: Database, tenant: dict[str, Any]) -> None:
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with db.unit_of_work() as session:
                await set_tenant(session, uuid.UUID(tenant["id"]))
                await session.execute(text(statement))


async def test_platform_events_stay_on_the_platform_trail(
    client: httpx.AsyncClient, platform: dict[str, str], platform_token: str
) -> None:
    made = await create_tenant(client, platform)
    trail = (await client.get(f"/v1/audit-events?target_id={made['id']}", headers=platform)).json()["items"]
    assert [e["action"] for e in trail] == ["tenant.created"]
    assert trail[0]["tenant_id"] is None
    assert trail[0]["actor_kind"] == "api_token"
    # A tenant's own staff do not see the platform's trail.
    admin = await staff(client, platform, made["id"], ["general_administrator"])
    assert_problem(await client.get("/v1/audit-events", headers=admin.headers), 403, "forbidden")
    assert bearer(platform_token)


# Writes that are deliberately not audited, and why.
NOT_AUDITED = {
    "refreshSession": "only advances the session's token chain; a refused reuse is audited",
    "checkAccountPassword": "checks a candidate password and keeps nothing, by design",
    "checkPostContent": "runs a post's checks on a body and keeps nothing, by design",
}


async def _register_fixtures(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any, unit: dict[str, Any], platform: dict[str, str]
) -> dict[str, Any]:
    """Accounts and applications in each state the register's write operations start from."""
    from tests.support import (
        Agency,
        apply,
        compliant_account,
        create_account,
        ehime_document,
        open_account,
        preset_path,
        put_documents,
        record,
        x_handle,
    )

    config = ehime_document()
    config["platforms"]["note"] = "監査テスト用の版"  # differs from the version the calls below record
    assert (await record(client, admin.headers, tenant["id"], config)).status_code == 201
    agency = Agency("ehime-pref", tenant, {unit["code"]: unit}, config, admin)

    async def ready_draft() -> dict[str, Any]:
        account = await create_account(client, agency, compliant_account(agency, unit, f"https://x.com/{x_handle()}"))
        await put_documents(client, agency, account["id"], admin.headers)
        return account

    async def drafted() -> dict[str, Any]:
        account = await ready_draft()
        body = {"kind": "new", "account_id": account["id"], "applicant_title": "x", "purpose": "x"}
        response = await client.post(agency.url("/applications"), json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    warning = await client.post(
        agency.url("/impersonation-warnings"), json={"url": f"https://x.com/{x_handle()}"}, headers=admin.headers
    )
    closing = await open_account(client, agency, unit=unit)
    await apply(client, agency, closing["id"], kind="closure", closure_reason="統合")  # a report: no approval
    posting = await open_account(client, agency, unit=unit)

    async def post(attest: list[str] | None = None) -> dict[str, Any]:
        """A post of the platform's (so the administrator may decide on it), submitted with `attest`."""
        body = {"account_id": posting["id"], "text": "お知らせ", "category": "events"}
        made = await client.post(agency.url("/posts"), json=body, headers=platform)
        assert made.status_code == 201, made.text
        if attest is not None:
            sent = await client.post(
                agency.url(f"/posts/{made.json()['id']}/submit"), json={"attest": attest}, headers=platform
            )
            assert sent.status_code == 200, sent.text
        return made.json()  # type: ignore[no-any-return]

    ehime_attest = config["posting"]["prohibited_content"]["categories"]
    posts = {"to_edit": await post(), "to_submit": await post(), "to_withdraw": await post(),
             "to_approve": await post(ehime_attest), "to_reject": await post(ehime_attest)}  # fmt: skip
    closures = (await client.get(agency.url(f"/closures?account_id={closing['id']}"), headers=admin.headers)).json()
    to_close_now = await open_account(client, agency, unit=unit)
    declares = await open_account(client, agency, unit=unit)
    # 小山高専's rules ask each account for a yearly declaration: the round opens for the live ones.
    oyama = json.loads(preset_path("oyama-kosen").read_text(encoding="utf-8"))["guideline"]["document"]
    assert (await record(client, admin.headers, tenant["id"], oyama)).status_code == 201
    rounds = (
        await client.get(agency.url(f"/continuation-declarations?account_id={declares['id']}"), headers=admin.headers)
    ).json()
    oyama_attest = oyama["posting"]["prohibited_content"]["categories"]
    posts["to_check"] = await post(oyama_attest)
    for name in ("to_publish", "to_delete", "to_correct"):
        posts[name] = await post(oyama_attest)
        checked = await client.post(agency.url(f"/posts/{posts[name]['id']}/checks"), json={"attest": oyama_attest},
                                    headers=admin.headers)  # fmt: skip
        assert checked.json()["awaiting"] == "publication", checked.text
    for name in ("to_delete", "to_correct"):
        published = await client.post(agency.url(f"/posts/{posts[name]['id']}/publish"), json={}, headers=admin.headers)
        assert published.status_code == 200, published.text
    incident = await client.post(
        agency.url("/incidents"), json={"kind": "flaming", "severity": "low", "title": "x"}, headers=admin.headers
    )
    covered = await open_account(client, agency, unit=unit)
    agreement = await client.post(agency.url("/agreements"), headers=admin.headers, json={
        "unit_id": unit["id"], "contractor_name": "株式会社テスト", "kind": "outsourcing", "reference": "監査-1",
        "starts_on": "2026-04-01", "ends_on": "2027-03-31", "account_ids": [covered["id"]], "clauses": {},
    })  # fmt: skip
    assert agreement.status_code == 201, agreement.text
    return {
        "posts": posts,
        "oyama_attest": oyama_attest,
        "unit": unit,
        "agreement": agreement.json(),
        "covered": covered,
        "incident": incident.json(),
        "declaration": rounds["items"][0],
        "closure": closures["items"][0],
        "to_close_now": to_close_now,
        "active": await open_account(client, agency, unit=unit),
        "draft": await create_account(client, agency, compliant_account(agency, unit, f"https://x.com/{x_handle()}")),
        "to_submit": await drafted(),
        "to_withdraw": await drafted(),
        "to_approve": await apply(client, agency, (await ready_draft())["id"]),
        "to_reject": await apply(client, agency, (await ready_draft())["id"]),
        "warning": warning.json(),
    }


async def test_every_write_endpoint_leaves_a_trace(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any], admin: Any, app: Any, worker: Any
) -> None:
    """Each state-changing operation, called once, leaves an event carrying its request id; the
    list of operations comes from the OpenAPI document, so a new endpoint cannot be forgotten."""
    from tests.support import ehime_document

    tid = tenant["id"]
    unit = await make_unit(client, admin.headers, tid)
    spare = await make_unit(client, admin.headers, tid)
    person = await staff(client, admin.headers, tid, ["operator"])
    token = (
        await client.post(
            f"/v1/tenants/{tid}/api-tokens", json={"name": "t", "scopes": ["units:read"]}, headers=admin.headers
        )
    ).json()["token"]
    hook = (
        await client.post(
            f"/v1/tenants/{tid}/webhooks",
            json={"url": "http://127.0.0.1:9/nowhere", "event_types": ["*"]},
            headers=admin.headers,
        )
    ).json()["webhook"]
    delivery = await a_delivery(app, worker, tid)
    dead = await a_dead_letter(app, worker, tid)
    register = await _register_fixtures(client, tenant, admin, unit, platform)
    acct, draft = register["active"], register["draft"]
    posts, p = f"/v1/tenants/{tid}/posts", register["posts"]
    # By the time the post calls run, createGuidelineVersion has put 愛媛県's rules in force again.
    attest = ehime_document()["posting"]["prohibited_content"]["categories"]
    user_url = f"/v1/tenants/{tid}/users/{person.user['id']}"
    user_etag = (await client.get(user_url, headers=admin.headers)).headers["etag"]
    fresh = uuid.uuid4().hex[:8]
    # operation -> (method, url, body, headers, whose trail: "tenant" or "platform")
    calls: dict[str, tuple[str, str, Any, dict[str, str], str]] = {
        "createTenant": ("POST", "/v1/tenants", {"slug": f"w-{fresh}", "name_ja": "x", "name_en": "x", "kind": "other"}, platform, "platform"),
        "updateTenant": ("PATCH", f"/v1/tenants/{tid}", {"name_en": "Renamed"}, {**platform, "If-Match": '"1"'}, "tenant"),
        "createUnit": ("POST", f"/v1/tenants/{tid}/units", {"code": "w1", "name_ja": "x", "name_en": "x"}, admin.headers, "tenant"),
        "updateUnit": ("PATCH", f"/v1/tenants/{tid}/units/{unit['id']}", {"name_en": "y"}, {**admin.headers, "If-Match": '"1"'}, "tenant"),
        "deleteUnit": ("DELETE", f"/v1/tenants/{tid}/units/{spare['id']}", None, admin.headers, "tenant"),
        "createGuidelineVersion": (
            "POST", f"/v1/tenants/{tid}/guideline/versions", {"document": ehime_document(), "reason": "r"}, admin.headers, "tenant",
        ),
        "createUser": (
            "POST", f"/v1/tenants/{tid}/users",
            {"login_id": f"w-{fresh}", "email": f"w-{fresh}@example.jp", "display_name": "w", "roles": ["auditor"]},
            admin.headers, "tenant",
        ),
        "updateUser": ("PATCH", user_url, {"display_name": "改名"}, {**admin.headers, "If-Match": user_etag}, "tenant"),
        "disableUser": ("POST", f"{user_url}/disable", None, admin.headers, "tenant"),
        "enableUser": ("POST", f"{user_url}/enable", None, admin.headers, "tenant"),
        "resetUserPassword": ("POST", f"{user_url}/reset-password", None, admin.headers, "tenant"),
        "createApiToken": ("POST", f"/v1/tenants/{tid}/api-tokens", {"name": "w", "scopes": ["units:read"]}, admin.headers, "tenant"),
        "revokeApiToken": ("DELETE", f"/v1/tenants/{tid}/api-tokens/{token['id']}", None, admin.headers, "tenant"),
        "login": ("POST", "/v1/auth/login", {"login": admin.user["login_id"], "password": admin.password}, {}, "tenant"),
        "changeMyPassword": (
            "POST", "/v1/me/password", {"current_password": admin.password, "new_password": "a-new-quiet-river-9"}, admin.headers, "tenant",
        ),
        "createWebhook": ("POST", f"/v1/tenants/{tid}/webhooks", {"url": "https://hooks.example.jp/k", "event_types": ["deadline.due"]}, admin.headers, "tenant"),
        "updateWebhook": ("PATCH", f"/v1/tenants/{tid}/webhooks/{hook['id']}", {"active": False}, {**admin.headers, "If-Match": '"1"'}, "tenant"),
        "rotateWebhookSecret": ("POST", f"/v1/tenants/{tid}/webhooks/{hook['id']}/rotate-secret", None, admin.headers, "tenant"),
        "replayWebhookDelivery": ("POST", f"/v1/tenants/{tid}/webhook-deliveries/{delivery}/replay", None, admin.headers, "tenant"),
        "deleteWebhook": ("DELETE", f"/v1/tenants/{tid}/webhooks/{hook['id']}", None, admin.headers, "tenant"),
        "retryDeadLetter": ("POST", f"/v1/dead-letters/{dead}/retry", None, platform, "platform"),
        "createAccount": (
            "POST", f"/v1/tenants/{tid}/accounts",
            {"unit_id": unit["id"], "url": f"https://x.com/w{fresh}", "display_name": "w", "operating_body": "direct"},
            admin.headers, "tenant",
        ),
        "updateAccount": (
            "PUT", f"/v1/tenants/{tid}/accounts/{draft['id']}", {"purpose": "変更"}, {**admin.headers, "If-Match": '"1"'}, "tenant",
        ),
        "putAccountDocument": (
            "PUT", f"/v1/tenants/{tid}/accounts/{draft['id']}/documents/operations_manual",
            {"items": {"security": "x"}}, admin.headers, "tenant",
        ),
        "suspendAccount": ("POST", f"/v1/tenants/{tid}/accounts/{acct['id']}/suspend", {"reason": "乗っ取りの疑い"}, admin.headers, "tenant"),
        "resumeAccount": ("POST", f"/v1/tenants/{tid}/accounts/{acct['id']}/resume", None, admin.headers, "tenant"),
        "createPost": ("POST", f"/v1/tenants/{tid}/posts", {"account_id": acct["id"], "text": "x", "category": "events"}, admin.headers, "tenant"),
        "updatePost": ("PATCH", f"{posts}/{p['to_edit']['id']}", {"text": "y", "category": "events"}, {**admin.headers, "If-Match": '"1"'}, "tenant"),
        "submitPost": ("POST", f"{posts}/{p['to_submit']['id']}/submit", {"attest": attest}, admin.headers, "tenant"),
        "checkPost": ("POST", f"{posts}/{p['to_check']['id']}/checks", {"attest": attest}, admin.headers, "tenant"),
        "approvePost": ("POST", f"{posts}/{p['to_approve']['id']}/approve", {}, admin.headers, "tenant"),
        "rejectPost": ("POST", f"{posts}/{p['to_reject']['id']}/reject", {"reason": "日付の誤り"}, admin.headers, "tenant"),
        "withdrawPost": ("POST", f"{posts}/{p['to_withdraw']['id']}/withdraw", {"reason": "中止"}, admin.headers, "tenant"),
        "publishPost": ("POST", f"{posts}/{p['to_publish']['id']}/publish", {}, admin.headers, "tenant"),
        "recordPostDeletion": ("POST", f"{posts}/{p['to_delete']['id']}/deletion", {}, admin.headers, "tenant"),
        "correctPost": (
            "POST", f"{posts}/{p['to_correct']['id']}/corrections",
            {"account_id": p["to_correct"]["account_id"], "text": "訂正", "category": "events"}, admin.headers, "tenant",
        ),
        "reviewPosts": ("POST", f"/v1/tenants/{tid}/post-reviews", {"unit_id": register["unit"]["id"]}, admin.headers, "tenant"),
        "createImpersonationWarning": (
            "POST", f"/v1/tenants/{tid}/impersonation-warnings", {"url": f"https://x.com/fake{fresh}"}, admin.headers, "tenant",
        ),
        "resolveImpersonationWarning": (
            "POST", f"/v1/tenants/{tid}/impersonation-warnings/{register['warning']['id']}/resolve", None, admin.headers, "tenant",
        ),
        "createApplication": (
            "POST", f"/v1/tenants/{tid}/applications",
            {"kind": "change", "account_id": acct["id"], "applicant_title": "x", "change_types": ["purpose"],
             "changes": {"purpose": "新しい目的"}},
            admin.headers, "tenant",
        ),
        "submitApplication": ("POST", f"/v1/tenants/{tid}/applications/{register['to_submit']['id']}/submit", None, admin.headers, "tenant"),
        "withdrawApplication": ("POST", f"/v1/tenants/{tid}/applications/{register['to_withdraw']['id']}/withdraw", None, admin.headers, "tenant"),
        "approveApplication": ("POST", f"/v1/tenants/{tid}/applications/{register['to_approve']['id']}/approve", None, admin.headers, "tenant"),
        "rejectApplication": (
            "POST", f"/v1/tenants/{tid}/applications/{register['to_reject']['id']}/reject", {"reason": "記載不足"}, admin.headers, "tenant",
        ),
        "recordClosureAnnouncement": (
            "POST", f"/v1/tenants/{tid}/closures/{register['closure']['id']}/announcements",
            {"channel": "account", "days_before": 30}, admin.headers, "tenant",
        ),
        "confirmClosureStep": (
            "POST", f"/v1/tenants/{tid}/closures/{register['closure']['id']}/steps/delete_account/confirm", None, admin.headers, "tenant",
        ),
        "withdrawClosure": (
            "POST", f"/v1/tenants/{tid}/closures/{register['closure']['id']}/withdraw", {"reason": "継続が決まった"}, admin.headers, "tenant",
        ),
        "closeAccountNow": (
            "POST", f"/v1/tenants/{tid}/accounts/{register['to_close_now']['id']}/close-now", {"reason": "乗っ取り"}, admin.headers, "tenant",
        ),
        "declareContinuation": (
            "POST", f"/v1/tenants/{tid}/continuation-declarations/{register['declaration']['id']}/declare",
            {"decision": "continue"}, admin.headers, "tenant",
        ),
        "recordPasswordChange": (
            "POST", f"/v1/tenants/{tid}/accounts/{acct['id']}/password-changes", {"meets_policy": True}, admin.headers, "tenant",
        ),
        "recordMonitoring": (
            "POST", f"/v1/tenants/{tid}/accounts/{acct['id']}/monitoring", {"issues_found": False}, admin.headers, "tenant",
        ),
        "recordReview": (
            "POST", f"/v1/tenants/{tid}/accounts/{acct['id']}/reviews", {"kind": "periodic_review", "action_needed": False},
            admin.headers, "tenant",
        ),
        "reportIncident": (
            "POST", f"/v1/tenants/{tid}/incidents", {"kind": "flaming", "severity": "low", "title": "炎上"}, admin.headers, "tenant",
        ),
        "addIncidentEntry": (
            "POST", f"/v1/tenants/{tid}/incidents/{register['incident']['id']}/entries", {"kind": "action", "note": "対応"},
            admin.headers, "tenant",
        ),
        "resolveIncident": (
            "POST", f"/v1/tenants/{tid}/incidents/{register['incident']['id']}/resolve", {"resolution": "収束"}, admin.headers, "tenant",
        ),
        "createAgreement": (
            "POST", f"/v1/tenants/{tid}/agreements",
            {"unit_id": unit["id"], "contractor_name": "株式会社テスト", "kind": "designated_manager", "reference": f"監査-{fresh}",
             "starts_on": "2026-04-01", "ends_on": "2027-03-31", "account_ids": [], "clauses": {}},
            admin.headers, "tenant",
        ),
        "updateAgreement": (
            "PUT", f"/v1/tenants/{tid}/agreements/{register['agreement']['id']}",
            {"clauses": {"copyright": {"stated": True, "article": "第10条", "owner": "agency"}}}, admin.headers, "tenant",
        ),
        "renewAgreement": (
            "POST", f"/v1/tenants/{tid}/agreements/{register['agreement']['id']}/renew", {"ends_on": "2028-03-31"},
            admin.headers, "tenant",
        ),
        "recordLoginId": (
            "POST", f"/v1/tenants/{tid}/agreements/{register['agreement']['id']}/login-ids",
            {"account_id": register["covered"]["id"], "login_id": "vendor", "holder": "contractor"}, admin.headers, "tenant",
        ),
        "acknowledgeGuideline": ("POST", f"/v1/tenants/{tid}/acknowledgements", {}, admin.headers, "tenant"),
        "recordTrainingSession": (
            "POST", f"/v1/tenants/{tid}/training-sessions",
            {"held_on": "2026-04-01", "title": "SNS研修", "kind": "security", "attendee_ids": [person.user["id"]]},
            admin.headers, "tenant",
        ),
        "importRegister": ("POST", f"/v1/tenants/{tid}/imports", {"accounts": []}, admin.headers, "tenant"),
        "saveComplianceSnapshot": (
            "POST", f"/v1/tenants/{tid}/compliance/snapshots", {"window_days": 30}, admin.headers, "tenant",
        ),
        "logout": ("POST", "/v1/auth/logout", None, admin.headers, "tenant"),
        "logoutEverywhere": ("POST", "/v1/auth/logout-all", None, admin.headers, "tenant"),
    }  # fmt: skip
    writes = {
        op["operationId"]
        for path in app.openapi_schema.to_schema()["paths"].values()
        for method, op in path.items()
        if method in {"post", "put", "patch", "delete"}
    }
    assert writes == set(calls) | set(NOT_AUDITED), "every write operation needs a row here"
    for operation, (method, url, body, headers, trail_kind) in calls.items():
        request_id = f"trace-{operation}-{fresh}"
        response = await client.request(method, url, json=body, headers={**headers, "X-Request-ID": request_id})
        assert response.status_code in {200, 201, 202, 204}, (operation, response.text)
        if trail_kind == "platform":
            trail = (await client.get("/v1/audit-events?limit=50", headers=platform)).json()["items"]
        else:
            trail = await events(client, platform, tid)
        assert any(e["request_id"] == request_id for e in trail), operation
