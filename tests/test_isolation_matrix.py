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
from tests.conftest import bearer, create_tenant, preset_path, settle, staff
from tests.registers import Agency, apply, open_account, x_handle
from tests.test_audit import _a_delivery
from tests.test_guidelines import ehime_document, record
from tests.test_tenants import make_unit

HOME_ROLES = ["general_administrator", "operations_manager", "unit_head", "operator", "auditor", "contractor"]

# A valid body per operation, so a refusal can only come from isolation, not validation.
BODIES: dict[str, Any] = {
    "createTenant": {"slug": "matrix-smuggled", "name_ja": "x", "name_en": "x", "kind": "other"},
    "updateTenant": {"name_en": "hijacked"},
    "createUnit": {"code": "smuggled", "name_ja": "x", "name_en": "x"},
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
    "recordPost": {"posted_at": "2026-04-01T09:00:00+09:00"},
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
    "reportIncident": {"kind": "flaming", "severity": "low", "title": "smuggled"},
    "addIncidentEntry": {"kind": "action", "note": "smuggled"},
    "resolveIncident": {"resolution": "smuggled"},
}
QUERIES: dict[str, str] = {"diffGuidelineVersions": "?from=1&to=1"}
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
    callers: dict[str, dict[str, str]] = {}
    for role in HOME_ROLES:
        extra = {"unit_id": home_unit["id"]} if role == "unit_head" else {}
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
    delivery = await _a_delivery(app, worker, foreign["id"])
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
    await open_account(client, theirs, unit=child)
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
        f"/v1/tenants/{tid}/accounts/{world['ids']['account_id']}/posts",
        f"/v1/tenants/{tid}/applications?limit=200",
        f"/v1/tenants/{tid}/impersonation-warnings",
        f"/v1/tenants/{tid}/closures",
        f"/v1/tenants/{tid}/continuation-declarations",
        f"/v1/tenants/{tid}/incidents",
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
    ):
        response = await client.get(url, headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [], url
    assert await snapshot(client, world) == before
