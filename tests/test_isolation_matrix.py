"""The isolation matrix: every endpoint × every role of one tenant × another tenant's ids.

Each call must answer 403 or 404 and change nothing of the other tenant. The endpoints come from
the OpenAPI document, so a new endpoint joins the matrix by itself (and needs a body here if it
takes one). Ids of the other tenant smuggled into this tenant's own paths, bodies and filters
must find nothing either.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from service.kit.permissions import Role, permissions_of
from tests.support import (
    Agency,
    a_delivery,
    agency_from_preset,
    apply,
    bearer,
    create_tenant,
    ehime_document,
    make_unit,
    open_account,
    preset_path,
    record,
    settle,
    staff,
    x_handle,
)

HOME_ROLES = ["general_administrator", "operations_manager", "unit_head", "operator", "auditor", "contractor"]

# A valid body per operation, so a refusal can only come from isolation, not validation.
BODIES: dict[str, Any] = {
    "createTenant": {"slug": "matrix-smuggled", "name_ja": "x", "name_en": "x", "kind": "other"},
    "updateTenant": {"name_en": "hijacked"},
    "createUnit": {"code": "smuggled", "name_ja": "x", "name_en": "x"},
    "importRegister": {"units": [{"code": "smuggled-import", "name_ja": "x", "name_en": "x"}], "accounts": []},
    "saveComplianceSnapshot": {"window_days": 30},
    "updateUnit": {"name_en": "hijacked"},
    "createGuidelineVersion": {"document": ehime_document(), "reason": "hijack"},
    "createUser": {
        "login_id": "smuggled-user",
        "email": "smuggled@example.jp",
        "display_name": "x",
        "roles": ["general_administrator"],
    },
    "updateUser": {"roles": ["general_administrator"]},
    "createApiToken": {"name": "smuggled", "scopes": ["units:read"]},
    "createWebhook": {"url": "https://smuggled.example.jp/", "event_types": ["*"]},
    "updateWebhook": {"url": "https://hijacked.example.jp/"},
    "createAccount": {
        "unit_id": "01234567-89ab-7def-8123-456789abcdef",
        "url": "https://x.com/matrix_smuggled",
        "display_name": "x",
        "operating_body": "direct",
    },
    "updateAccount": {"display_name": "hijacked"},
    "suspendAccount": {"reason": "hijack"},
    "putAccountDocument": {"items": {"purpose": "hijacked"}},
    "createPost": {"account_id": "01234567-89ab-7def-8123-456789abcdef", "text": "smuggled"},
    "updatePost": {"text": "hijacked"},
    "submitPost": {"attest": []},
    "checkPost": {"attest": []},
    "approvePost": {},
    "rejectPost": {"reason": "hijack"},
    "withdrawPost": {"reason": "hijack"},
    "publishPost": {},
    "recordPostDeletion": {},
    "correctPost": {"account_id": "01234567-89ab-7def-8123-456789abcdef", "text": "hijacked"},
    "checkPostContent": {"account_id": "01234567-89ab-7def-8123-456789abcdef", "text": "smuggled"},
    "reviewPosts": {"unit_id": "01234567-89ab-7def-8123-456789abcdef"},
    "createImpersonationWarning": {"url": "https://x.com/matrix_fake"},
    "createApplication": {
        "kind": "new",
        "account_id": "01234567-89ab-7def-8123-456789abcdef",
        "applicant_title": "x",
        "purpose": "x",
    },
    "rejectApplication": {"reason": "hijack"},
    "recordClosureAnnouncement": {"channel": "account"},
    "withdrawClosure": {"reason": "hijack"},
    "closeAccountNow": {"reason": "hijack"},
    "declareContinuation": {"decision": "discontinue"},
    "checkAccountPassword": {"password": "Smuggled-2026!"},
    "recordPasswordChange": {"meets_policy": True},
    "recordMonitoring": {"issues_found": False},
    "recordReview": {"kind": "settings_review", "action_needed": False},
    "reportIncident": {"kind": "flaming", "severity": "low", "title": "smuggled"},
    "addIncidentEntry": {"kind": "action", "note": "smuggled"},
    "resolveIncident": {"resolution": "smuggled"},
    "createAgreement": {
        "unit_id": "01234567-89ab-7def-8123-456789abcdef",
        "contractor_name": "smuggled",
        "kind": "outsourcing",
        "reference": "smuggled",
        "starts_on": "2026-04-01",
        "ends_on": "2027-03-31",
        "account_ids": [],
        "clauses": {},
    },
    "updateAgreement": {"contractor_name": "hijacked"},
    "renewAgreement": {"ends_on": "2030-03-31"},
    "recordLoginId": {
        "account_id": "01234567-89ab-7def-8123-456789abcdef",
        "login_id": "smuggled",
        "holder": "contractor",
    },
    "acknowledgeGuideline": {"version": 1},
    "recordTrainingSession": {"held_on": "2026-04-01", "title": "smuggled", "kind": "security", "attendee_ids": []},
}
QUERIES: dict[str, str] = {
    "diffGuidelineVersions": "?from=1&to=1",
    "compareComplianceSnapshots": "?from=01234567-89ab-7def-8123-456789abcdef&to=01234567-89ab-7def-8123-456789abcdef",
}
# Operations about the caller or public, outside the matrix: they name no other tenant's ids.
SELF_OR_PUBLIC = {
    "getHealth", "getReadiness", "getGuidelineSchema", "getJwks", "login", "refreshSession",
    "logout", "logoutEverywhere", "getMe", "changeMyPassword",
    "getPublicRegister", "getPublicRegisterPage", "verifyAccount",
}  # fmt: skip


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, platform_token: str, app: Any, worker: Any) -> dict[str, Any]:
    platform = bearer(platform_token)
    home = await create_tenant(client, platform)
    foreign = await create_tenant(client, platform)
    home_unit = await make_unit(client, platform, home["id"])
    # The home contractor is in force: an agreement of their own tenant that runs today.
    own_agreement = await client.post(
        f"/v1/tenants/{home['id']}/agreements",
        json={**BODIES["createAgreement"], "unit_id": home_unit["id"], "reference": "home"},
        headers=platform,
    )
    assert own_agreement.status_code == 201, own_agreement.text
    callers: dict[str, dict[str, str]] = {}
    for role in HOME_ROLES:
        extra = {"unit_id": home_unit["id"]} if role == "unit_head" else {}
        if role == "contractor":
            extra = {"agreement_id": own_agreement.json()["id"]}
        callers[role] = (await staff(client, platform, home["id"], [role], **extra)).headers
    token = await client.post(
        f"/v1/tenants/{home['id']}/api-tokens",
        json={"name": "all system scopes", "scopes": sorted(permissions_of(Role.AGENCY_SYSTEM))},
        headers=callers["general_administrator"],
    )
    assert token.status_code == 201, token.text
    callers["agency_system"] = bearer(token.json()["secret"])

    unit = await make_unit(client, platform, foreign["id"])
    child = await make_unit(client, platform, foreign["id"], parent_id=unit["id"])
    foreign_admin = await staff(client, platform, foreign["id"], ["general_administrator"])
    foreign_token = await client.post(
        f"/v1/tenants/{foreign['id']}/api-tokens",
        json={"name": "theirs", "scopes": ["units:read"]},
        headers=foreign_admin.headers,
    )
    assert (await record(client, platform, foreign["id"], ehime_document(), "2025-04-01")).status_code == 201
    hook = await client.post(
        f"/v1/tenants/{foreign['id']}/webhooks",
        json={"url": "http://127.0.0.1:9/theirs", "event_types": ["*"]},
        headers=foreign_admin.headers,
    )
    delivery = await a_delivery(app, worker, foreign["id"])
    account = await client.post(
        f"/v1/tenants/{foreign['id']}/accounts",
        json={"unit_id": child["id"], "url": f"https://x.com/{x_handle()}", "display_name": "theirs",
              "operating_body": "direct"},
        headers=foreign_admin.headers,
    )  # fmt: skip
    assert account.status_code == 201, account.text
    document = await client.put(
        f"/v1/tenants/{foreign['id']}/accounts/{account.json()['id']}/documents/usage_policy",
        json={"items": {"purpose": "theirs"}},
        headers=foreign_admin.headers,
    )
    assert document.status_code == 200, document.text
    application = await client.post(
        f"/v1/tenants/{foreign['id']}/applications",
        json={"kind": "new", "account_id": account.json()["id"], "applicant_title": "x", "purpose": "theirs"},
        headers=foreign_admin.headers,
    )
    assert application.status_code == 201, application.text
    warning = await client.post(
        f"/v1/tenants/{foreign['id']}/impersonation-warnings",
        json={"url": f"https://x.com/{x_handle()}"},
        headers=foreign_admin.headers,
    )
    assert warning.status_code == 201, warning.text
    theirs = Agency("ehime-pref", foreign, {"child": child}, ehime_document(), foreign_admin)
    closing = await open_account(client, theirs, unit=child)
    closure = await apply(client, theirs, closing["id"], kind="closure", closure_reason="theirs")
    assert closure["state"] == "approved", closure
    their_closure = (await client.get(f"/v1/tenants/{foreign['id']}/closures", headers=foreign_admin.headers)).json()
    posting = await open_account(client, theirs, unit=child)
    their_post = await client.post(
        f"/v1/tenants/{foreign['id']}/posts",
        json={"account_id": posting["id"], "text": "theirs"},
        headers=foreign_admin.headers,
    )
    assert their_post.status_code == 201, their_post.text
    # Rules that ask each live account for a yearly declaration: a round of theirs opens.
    oyama = json.loads(preset_path("oyama-kosen").read_text(encoding="utf-8"))["guideline"]["document"]
    assert (await record(client, platform, foreign["id"], oyama)).status_code == 201
    their_round = (
        await client.get(f"/v1/tenants/{foreign['id']}/continuation-declarations", headers=foreign_admin.headers)
    ).json()
    their_incident = await client.post(
        f"/v1/tenants/{foreign['id']}/incidents",
        json={"kind": "flaming", "severity": "low", "title": "theirs"},
        headers=foreign_admin.headers,
    )
    assert their_incident.status_code == 201, their_incident.text
    their_agreement = await client.post(
        f"/v1/tenants/{foreign['id']}/agreements",
        json={
            **BODIES["createAgreement"],
            "unit_id": child["id"],
            "reference": "theirs",
            "account_ids": [closing["id"]],
        },
        headers=foreign_admin.headers,
    )
    assert their_agreement.status_code == 201, their_agreement.text
    their_training = await client.post(
        f"/v1/tenants/{foreign['id']}/training-sessions",
        json={**BODIES["recordTrainingSession"], "title": "theirs", "attendee_ids": [foreign_admin.user["id"]]},
        headers=foreign_admin.headers,
    )
    assert their_training.status_code == 201, their_training.text
    acknowledged = await client.post(
        f"/v1/tenants/{foreign['id']}/acknowledgements", json={}, headers=foreign_admin.headers
    )
    assert acknowledged.status_code == 201, acknowledged.text
    their_snapshot = await client.post(
        f"/v1/tenants/{foreign['id']}/compliance/snapshots", json={"window_days": 30}, headers=foreign_admin.headers
    )
    assert their_snapshot.status_code == 201, their_snapshot.text
    await settle(app, worker)  # their events delivered now, not while the snapshots are compared
    return {
        "platform": platform,
        "home": home,
        "home_unit": home_unit,
        "foreign": foreign,
        "ids": {
            "tenant_id": foreign["id"],
            "unit_id": child["id"],
            "user_id": foreign_admin.user["id"],
            "token_id": foreign_token.json()["token"]["id"],
            "version": "1",
            "webhook_id": hook.json()["webhook"]["id"],
            "delivery_id": delivery,
            "dead_letter_id": "01234567-89ab-7def-8123-456789abcdef",
            "account_id": account.json()["id"],
            "application_id": application.json()["id"],
            "warning_id": warning.json()["id"],
            "kind": "usage_policy",
            "closure_id": their_closure["items"][0]["id"],
            "step": "delete_account",
            "declaration_id": their_round["items"][0]["id"],
            "incident_id": their_incident.json()["id"],
            "agreement_id": their_agreement.json()["id"],
            "post_id": their_post.json()["id"],
            "session_id": their_training.json()["id"],
            "snapshot_id": their_snapshot.json()["id"],
        },
        "foreign_unit": unit,
        "callers": callers,
    }


async def snapshot(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    """Everything of the other tenant a caller might have changed, read as the platform."""
    platform, tid = world["platform"], world["foreign"]["id"]
    paths = [
        f"/v1/tenants/{tid}",
        f"/v1/tenants/{tid}/units?limit=200",
        f"/v1/tenants/{tid}/users?limit=200",
        f"/v1/tenants/{tid}/api-tokens?limit=200",
        f"/v1/tenants/{tid}/guideline/versions",
        f"/v1/tenants/{tid}/audit-events?limit=200",
        f"/v1/tenants/{tid}/webhooks",
        f"/v1/tenants/{tid}/webhooks/{world['ids']['webhook_id']}/deliveries",
        f"/v1/tenants/{tid}/events",
        f"/v1/tenants/{tid}/deadlines",
        f"/v1/tenants/{tid}/mail",
        f"/v1/tenants/{tid}/accounts?limit=200",
        f"/v1/tenants/{tid}/accounts/{world['ids']['account_id']}",
        f"/v1/tenants/{tid}/accounts/{world['ids']['account_id']}/documents",
        f"/v1/tenants/{tid}/posts?limit=200",
        f"/v1/tenants/{tid}/posts/{world['ids']['post_id']}",
        f"/v1/tenants/{tid}/post-reviews",
        f"/v1/tenants/{tid}/applications?limit=200",
        f"/v1/tenants/{tid}/impersonation-warnings",
        f"/v1/tenants/{tid}/closures",
        f"/v1/tenants/{tid}/continuation-declarations",
        f"/v1/tenants/{tid}/incidents",
        f"/v1/tenants/{tid}/agreements",
        f"/v1/tenants/{tid}/agreements/{world['ids']['agreement_id']}/login-ids",
        f"/v1/tenants/{tid}/acknowledgements",
        f"/v1/tenants/{tid}/training-sessions",
        f"/v1/tenants/{tid}/training-sessions/{world['ids']['session_id']}",
    ]
    state = {}
    for path in paths:
        response = await client.get(path, headers=platform)
        assert response.status_code == 200, (path, response.text)
        state[path] = response.json()
    # Reading the trail as the platform is not itself recorded, so it is comparable.
    return state


def operations(app: Any) -> list[tuple[str, str, str]]:
    document = app.openapi_schema.to_schema()
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation["operationId"]))
    return found


async def test_every_endpoint_refuses_another_tenants_ids_for_every_role(
    client: httpx.AsyncClient, world: dict[str, Any], app: Any
) -> None:
    before = await snapshot(client, world)
    tried = set()
    for method, template, operation in operations(app):
        if operation in SELF_OR_PUBLIC:
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: world["ids"][m.group(1)], template) + QUERIES.get(operation, "")
        for role, headers in world["callers"].items():
            response = await client.request(
                method, url, json=BODIES.get(operation), headers={**headers, "If-Match": "*"}
            )
            assert response.status_code in {403, 404}, (role, operation, response.status_code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        tried.add(operation)
    assert len(tried) >= 20
    assert await snapshot(client, world) == before, "the other tenant's data changed"


async def test_the_other_tenants_ids_in_this_tenants_paths_bodies_and_filters(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    before = await snapshot(client, world)
    admin = world["callers"]["general_administrator"]
    home, ids = world["home"]["id"], world["ids"]
    foreign_unit = world["foreign_unit"]["id"]
    own_unit = world["home_unit"]

    not_found = [
        ("GET", f"/v1/tenants/{home}/units/{ids['unit_id']}", None),
        ("PATCH", f"/v1/tenants/{home}/units/{ids['unit_id']}", {"name_en": "x"}),
        ("DELETE", f"/v1/tenants/{home}/units/{ids['unit_id']}", None),
        ("GET", f"/v1/tenants/{home}/users/{ids['user_id']}", None),
        ("PATCH", f"/v1/tenants/{home}/users/{ids['user_id']}", {"display_name": "x"}),
        ("POST", f"/v1/tenants/{home}/users/{ids['user_id']}/disable", None),
        ("POST", f"/v1/tenants/{home}/users/{ids['user_id']}/reset-password", None),
        ("GET", f"/v1/tenants/{home}/api-tokens/{ids['token_id']}", None),
        ("DELETE", f"/v1/tenants/{home}/api-tokens/{ids['token_id']}", None),
        ("GET", f"/v1/tenants/{home}/guideline/versions/1", None),
        # Ids smuggled in bodies.
        (
            "POST",
            f"/v1/tenants/{home}/units",
            {"code": "smuggle-1", "name_ja": "x", "name_en": "x", "parent_id": foreign_unit},
        ),
        ("PATCH", f"/v1/tenants/{home}/units/{own_unit['id']}", {"parent_id": foreign_unit}),
        ("GET", f"/v1/tenants/{home}/accounts/{ids['account_id']}", None),
        ("PUT", f"/v1/tenants/{home}/accounts/{ids['account_id']}", {"display_name": "x"}),
        ("GET", f"/v1/tenants/{home}/applications/{ids['application_id']}", None),
        ("POST", f"/v1/tenants/{home}/applications/{ids['application_id']}/approve", None),
        ("POST", f"/v1/tenants/{home}/impersonation-warnings/{ids['warning_id']}/resolve", None),
        (
            "POST",
            f"/v1/tenants/{home}/accounts",
            {
                "unit_id": foreign_unit,
                "url": "https://x.com/smuggle_unit",
                "display_name": "x",
                "operating_body": "direct",
            },
        ),
        (
            "POST",
            f"/v1/tenants/{home}/accounts",
            {
                "unit_id": own_unit["id"],
                "url": "https://x.com/smuggle_user",
                "display_name": "x",
                "operating_body": "direct",
                "operator_ids": [ids["user_id"]],
            },
        ),
        (
            "POST",
            f"/v1/tenants/{home}/applications",
            {"kind": "new", "account_id": ids["account_id"], "applicant_title": "x", "purpose": "x"},
        ),
        (
            "POST",
            f"/v1/tenants/{home}/users",
            {
                "login_id": "smuggle-u",
                "email": "smuggle-u@example.jp",
                "display_name": "x",
                "roles": ["operator"],
                "unit_id": foreign_unit,
            },
        ),
        ("GET", f"/v1/tenants/{home}/agreements/{ids['agreement_id']}", None),
        ("GET", f"/v1/tenants/{home}/training-sessions/{ids['session_id']}", None),
        (
            "POST",
            f"/v1/tenants/{home}/training-sessions",
            {**BODIES["recordTrainingSession"], "attendee_ids": [ids["user_id"]]},
        ),
        ("POST", f"/v1/tenants/{home}/agreements/{ids['agreement_id']}/renew", {"ends_on": "2030-03-31"}),
        (
            "POST",
            f"/v1/tenants/{home}/agreements",
            {
                **BODIES["createAgreement"],
                "unit_id": own_unit["id"],
                "reference": "smuggle-a",
                "account_ids": [ids["account_id"]],
            },
        ),
        (
            "POST",
            f"/v1/tenants/{home}/users",
            {
                "login_id": "smuggle-c",
                "email": "smuggle-c@example.jp",
                "display_name": "x",
                "roles": ["contractor"],
                "agreement_id": ids["agreement_id"],
            },
        ),
    ]
    for method, url, body in not_found:
        response = await client.request(method, url, json=body, headers={**admin, "If-Match": "*"})
        assert response.status_code == 404, (method, url, response.text)

    # Ids smuggled in filters find nothing.
    for url in (
        f"/v1/tenants/{home}/units?parent_id={foreign_unit}",
        f"/v1/tenants/{home}/users?unit_id={foreign_unit}",
        f"/v1/tenants/{home}/audit-events?target_id={foreign_unit}",
        f"/v1/tenants/{home}/audit-events?actor_id={ids['user_id']}",
        f"/v1/tenants/{home}/accounts?unit_id={ids['unit_id']}",
        f"/v1/tenants/{home}/applications?account_id={ids['account_id']}",
        f"/v1/tenants/{home}/applications?unit_id={ids['unit_id']}",
        f"/v1/tenants/{home}/agreements?account_id={ids['account_id']}",
        f"/v1/tenants/{home}/acknowledgements?user_id={ids['user_id']}",
        f"/v1/tenants/{home}/acknowledgements?unit_id={ids['unit_id']}",
    ):
        response = await client.get(url, headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [], url
    assert await snapshot(client, world) == before


async def test_the_contractor_rows_every_endpoint_outside_the_agreement(
    client: httpx.AsyncClient, platform: dict[str, str], app: Any
) -> None:
    """A contractor of one agreement, in force, reaching another agreement's account, agreement and
    login IDs; and contractors whose agreement has ended or not yet started, reaching anything."""
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    ours, theirs = await open_account(client, ehime), await open_account(client, ehime)

    async def agreement(accounts: list[str], starts_on: str, ends_on: str) -> str:
        body = {**BODIES["createAgreement"], "unit_id": ehime.unit()["id"], "reference": x_handle(),
                "account_ids": accounts, "starts_on": starts_on, "ends_on": ends_on}  # fmt: skip
        response = await client.post(ehime.url("/agreements"), json=body, headers=platform)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    mine = await agreement([ours["id"]], "2026-04-01", "2027-03-31")
    other = await agreement([theirs["id"]], "2026-04-01", "2027-03-31")
    recorded = await client.post(ehime.url(f"/agreements/{other}/login-ids"), headers=platform,
                                 json={"account_id": theirs["id"], "login_id": "their_vendor", "holder": "contractor"})  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    ended = await agreement([ours["id"]], "2025-04-01", "2026-03-31")
    later = await agreement([ours["id"]], "2026-05-01", "2027-03-31")
    callers = {
        name: (await staff(client, platform, ehime.id, ["contractor"], agreement_id=agreement_id)).headers
        for name, agreement_id in (("in force", mine), ("ended", ended), ("not started", later))
    }
    their_post = await client.post(ehime.url("/posts"), json={"account_id": theirs["id"], "text": "theirs"},
                                   headers=platform)  # fmt: skip
    assert their_post.status_code == 201, their_post.text
    ids = {"tenant_id": ehime.id, "account_id": theirs["id"], "agreement_id": other, "version": "1",
           "post_id": their_post.json()["id"]}  # fmt: skip
    # Bodies naming the other agreement's account.
    bodies = {**BODIES, **{op: {**BODIES[op], "account_id": theirs["id"]}
                           for op in ("createPost", "correctPost", "checkPostContent")}}  # fmt: skip
    before = {path: (await client.get(ehime.url(path), headers=platform)).json()
              for path in ("/accounts", f"/posts?account={theirs['id']}", f"/agreements/{other}",
                           f"/agreements/{other}/login-ids")}  # fmt: skip
    tried = 0
    for method, template, operation in operations(app):
        if operation in SELF_OR_PUBLIC or "{tenant_id}" not in template:
            continue
        # Every id of the path that the contractor's agreement does not hold; the others, placeholders.
        url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "01234567-89ab-7def-8123-456789abcdef"), template)
        for name, headers in callers.items():
            response = await client.request(method, url + QUERIES.get(operation, ""), json=bodies.get(operation),
                                            headers={**headers, "If-Match": "*"})  # fmt: skip
            foreign_ids = any(f"{{{name}}}" in template for name in ("account_id", "agreement_id", "post_id")) or (
                operation in {"createPost", "checkPostContent"}
            )
            if name != "in force":
                allowed = {403}
            elif foreign_ids:
                allowed = {403, 404}
            else:  # its own tenant's lists: a read may answer (filtered); a change may not
                allowed = {200, 403, 404} if method == "GET" else {403}
            assert response.status_code in allowed, (name, operation, response.status_code, response.text)
            if name != "in force":  # refused for its period, or before that for lacking the permission
                problem = response.json()
                assert problem.get("reason") in {"agreement-ended", "agreement-not-started"} or (
                    "required_permission" in problem
                ), (name, operation, response.text)
            tried += 1
    assert tried > 100
    after = {path: (await client.get(ehime.url(path), headers=platform)).json() for path in before}
    assert after == before
    # What the contractor in force does see: its own account, agreement and login IDs only.
    own = callers["in force"]
    assert [a["id"] for a in (await client.get(ehime.url("/accounts"), headers=own)).json()["items"]] == [ours["id"]]
    assert [a["id"] for a in (await client.get(ehime.url("/agreements"), headers=own)).json()["items"]] == [mine]


async def test_unit_bounded_roles_reach_no_other_unit_through_agreements_or_moves(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    """Inside one tenant: a unit head (of a division, or of the department above it), an operator and
    the contractor of the unit's agreement, each trying to cover another unit's account with an
    agreement, to record one of its login IDs, or to move an account across units. Every attempt is
    refused and changes nothing; the contractor never reads the other unit's account."""
    ehime = await agency_from_preset(client, platform, "ehime-pref")
    department, ours, theirs = (ehime.units[c] for c in ("kikaku-shinko-bu", "koho-kocho-ka", "kanko-kokusai-ka"))
    operator = await staff(client, platform, ehime.id, ["operator"])
    mine = await open_account(client, ehime, unit=ours, operator_ids=[operator.user["id"]])
    other = await open_account(client, ehime, unit=theirs)
    agreement = await client.post(
        ehime.url("/agreements"),
        json={**BODIES["createAgreement"], "unit_id": ours["id"], "reference": x_handle(), "account_ids": [mine["id"]]},
        headers=ehime.admin.headers,
    )
    assert agreement.status_code == 201, agreement.text
    own = agreement.json()["id"]
    callers = {
        "unit head": (await staff(client, platform, ehime.id, ["unit_head"], unit_id=ours["id"])).headers,
        "department head": (await staff(client, platform, ehime.id, ["unit_head"], unit_id=department["id"])).headers,
        "operator": operator.headers,
        "contractor": (await staff(client, platform, ehime.id, ["contractor"], agreement_id=own)).headers,
    }
    cover = {**BODIES["createAgreement"], "unit_id": ours["id"]}
    attempts = [
        ("POST", "/agreements", {**cover, "reference": "cross-1", "account_ids": [mine["id"], other["id"]]}),
        ("POST", "/agreements", {**cover, "reference": "cross-2", "account_ids": [other["id"]]}),
        ("PUT", f"/agreements/{own}", {"account_ids": [mine["id"], other["id"]]}),
        ("PUT", f"/agreements/{own}", {"account_ids": [other["id"]]}),
        ("PUT", f"/accounts/{mine['id']}", {"unit_id": theirs["id"]}),
        ("PUT", f"/accounts/{other['id']}", {"unit_id": ours["id"]}),
        ("PUT", f"/accounts/{other['id']}", {"display_name": "hijacked"}),
    ]
    paths = ("/agreements", f"/agreements/{own}", f"/agreements/{own}/login-ids", f"/accounts/{mine['id']}",
             f"/accounts/{other['id']}", f"/accounts?unit_id={theirs['id']}")  # fmt: skip
    before = {path: (await client.get(ehime.url(path), headers=platform)).json() for path in paths}
    for name, headers in callers.items():
        for method, path, body in attempts:
            response = await client.request(method, ehime.url(path), json=body, headers={**headers, "If-Match": "*"})
            assert response.status_code in {403, 404}, (name, method, path, response.status_code, response.text)
            problem = response.json()
            # Refused for lacking the permission (a contractor; an operator, agreements), else for
            # the other unit, the entry at fault named.
            lacking = name == "contractor" or (name == "operator" and path.startswith("/agreements"))
            refused_for = "permission" if "required_permission" in problem else problem.get("reason")
            assert refused_for == ("permission" if lacking else "outside-your-units-or-assignments"), (
                name, method, path, response.text,
            )  # fmt: skip
            if name in {"unit head", "department head"} and "account_ids" in body:
                assert [e["pointer"] for e in problem["errors"]] == [f"/account_ids/{len(body['account_ids']) - 1}"]
        # A login ID is recorded for an account the agreement covers, and for no other.
        login = await client.post(ehime.url(f"/agreements/{own}/login-ids"), headers=headers,
                                  json={"account_id": other["id"], "login_id": "cross", "holder": "contractor"})  # fmt: skip
        assert login.status_code in {403, 404, 422}, (name, login.text)
    after = {path: (await client.get(ehime.url(path), headers=platform)).json() for path in paths}
    assert after == before, "another unit's account or the agreement changed"
    contractor = callers["contractor"]
    assert (await client.get(ehime.url(f"/accounts/{other['id']}"), headers=contractor)).status_code == 404
    listed = (await client.get(ehime.url("/accounts"), headers=contractor)).json()["items"]
    assert [a["id"] for a in listed] == [mine["id"]]
    # The refusals come from the units, not the operations: the general administrator may do each.
    moved = await client.put(
        ehime.url(f"/accounts/{other['id']}"), json={"unit_id": ours["id"]}, headers={**ehime.admin.headers,
                                                                                       "If-Match": "*"}
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    covered = await client.put(ehime.url(f"/agreements/{own}"), json={"account_ids": [mine["id"], other["id"]]},
                               headers=callers["unit head"])  # fmt: skip
    assert covered.status_code == 200, covered.text  # the other account is in their unit now
