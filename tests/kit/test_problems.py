"""Every error answers as an RFC 9457 problem detail, in Japanese or English, with a request id."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx
import pytest
from litestar import get

from service.app import create_app
from service.config import Settings
from service.kit.clock import FrozenClock
from service.kit.db import Database
from service.kit.permissions import Role
from tests.support import assert_problem, bearer, create_tenant, make_token, serving


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/v1/no-such-thing"), 404, "not-found")
    assert body["instance"] == "/v1/no-such-thing"


async def test_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    response = await client.delete("/v1/tenants", headers=platform)
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]
    assert "POST" in response.headers["allow"]


async def test_missing_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/tenants")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer koshiki_notatoken",
        "Bearer koshiki_" + "A" * 46,  # right length, wrong checksum
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ],
)
async def test_bad_credentials_are_401(client: httpx.AsyncClient, header: str) -> None:
    assert_problem(await client.get("/v1/tenants", headers={"Authorization": header}), 401, "unauthorized")


async def test_revoked_and_expired_tokens_are_401(client: httpx.AsyncClient, db: Database, clock: FrozenClock) -> None:
    expired = await make_token(db, clock, expires_in=dt.timedelta(minutes=5))
    assert (await client.get("/v1/tenants", headers=bearer(expired))).status_code == 200
    clock.advance(dt.timedelta(minutes=6))
    assert_problem(await client.get("/v1/tenants", headers=bearer(expired)), 401, "unauthorized")


async def test_a_valid_token_of_an_unknown_secret_is_401(client: httpx.AsyncClient) -> None:
    from service.kit.credentials import new_api_token

    assert_problem(await client.get("/v1/tenants", headers=bearer(new_api_token())), 401, "unauthorized")


async def test_missing_permission_is_403(client: httpx.AsyncClient, db: Database, clock: FrozenClock) -> None:
    read_only = await make_token(db, clock, scopes=frozenset({"tenants:read"}))
    body = {"slug": "nope-403", "name_ja": "x", "name_en": "x", "kind": "other"}
    problem = assert_problem(await client.post("/v1/tenants", json=body, headers=bearer(read_only)), 403, "forbidden")
    assert problem["required_permission"] == "tenants:write"


async def test_validation_lists_every_violation_with_pointers(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    body = {"slug": "Not A Slug", "name_ja": "", "kind": "castle", "extra": 1}
    problem = assert_problem(await client.post("/v1/tenants", json=body, headers=platform), 422, "validation-error")
    pointers = {e["pointer"]: e["code"] for e in problem["errors"]}
    assert pointers == {
        "/slug": "pattern",
        "/name_ja": "min_length",
        "/name_en": "required",
        "/kind": "enum",
        "/extra": "unknown_field",
    }
    assert all(e["in"] == "body" and e["detail"] for e in problem["errors"])


async def test_query_parameter_violation_names_the_parameter(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    problem = assert_problem(await client.get("/v1/tenants?limit=0", headers=platform), 422, "validation-error")
    assert problem["errors"][0]["parameter"] == "limit"
    assert problem["errors"][0]["in"] == "query"


async def test_tampered_cursor_is_a_422_naming_cursor(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    for cursor in ("%%%", "WyJub3QtYS11dWlkIl0", "e30"):
        problem = assert_problem(
            await client.get(f"/v1/tenants?cursor={cursor}", headers=platform), 422, "validation-error"
        )
        assert problem["errors"][0]["parameter"] == "cursor"


async def test_malformed_json_is_400(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    response = await client.post(
        "/v1/tenants", content=b'{"slug": ', headers={**platform, "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed-body")


async def test_non_json_body_is_415(client: httpx.AsyncClient, platform: dict[str, str]) -> None:
    response = await client.post(
        "/v1/tenants",
        content=b"slug=x",
        headers={**platform, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(response, 415, "unsupported-media-type")


async def test_body_over_the_limit_is_413_and_stores_nothing(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    huge = {"slug": "too-big-body", "name_ja": "x" * (70 * 1024), "name_en": "x", "kind": "other"}
    assert_problem(await client.post("/v1/tenants", json=huge, headers=platform), 413, "payload-too-large")
    assert (await client.get("/v1/tenants?slug=too-big-body", headers=platform)).json()["items"] == []


async def test_language_follows_accept_language(client: httpx.AsyncClient) -> None:
    ja = (await client.get("/v1/nowhere")).json()
    en_response = await client.get("/v1/nowhere", headers={"Accept-Language": "en-GB,en;q=0.9,ja;q=0.5"})
    assert ja["title"] == "見つかりません"
    assert en_response.json()["title"] == "Not found"
    assert en_response.headers["content-language"] == "en"
    fallback = await client.get("/v1/nowhere", headers={"Accept-Language": "fr"})
    assert fallback.json()["title"] == "見つかりません"


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "caller-id-123"})
    assert echoed.headers["x-request-id"] == "caller-id-123"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces\n"})
    assert generated.headers["x-request-id"] != "bad id with spaces\n"
    assert len(generated.headers["x-request-id"]) == 32


async def test_a_crash_is_a_500_with_request_id_and_no_trace(
    settings: Settings, db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    @get("/v1/test-crash", exclude_from_auth=True)
    async def crash() -> None:
        raise RuntimeError("secret internal detail")

    app = create_app(settings, db=db, clock=clock)
    app.register(crash)
    async with serving(app) as test_client:
        with caplog.at_level(logging.ERROR, logger="koshiki.errors"):
            response = await test_client.get("/v1/test-crash", headers={"X-Request-ID": "crash-1"})
    body = assert_problem(response, 500, "internal-error")
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert "crash-1" in body["detail"]
    logged = [r for r in caplog.records if r.name == "koshiki.errors"]
    assert logged
    assert logged[0].exc_info is not None


async def test_database_down_is_503(settings: Settings, db: Database, clock: FrozenClock, platform_token: str) -> None:
    from service.kit.embedded_pg import free_port

    app = create_app(settings, db=db, clock=clock)
    dead = Database(f"postgresql://koshiki_app@127.0.0.1:{free_port()}/nothing", pool_size=1)
    async with serving(app) as test_client:
        app.state.db = dead  # the server went away after start-up
        ready = await test_client.get("/readyz")
        tenants = await test_client.get("/v1/tenants", headers=bearer(platform_token))
        # The public reads go to the driver directly; a lost database is the same 503 there.
        verify = await test_client.get("/v1/public/verify?platform=x&handle=someone")
        register = await test_client.get("/v1/public/tenants/anyone/register")
    await dead.dispose()
    for response in (ready, tenants, verify, register):
        assert_problem(response, 503, "service-unavailable")
    assert tenants.headers["retry-after"]


async def test_cors_allows_only_configured_origins(client: httpx.AsyncClient) -> None:
    allowed = await client.options(
        "/v1/tenants",
        headers={"Origin": "https://admin.example.jp", "Access-Control-Request-Method": "GET"},
    )
    assert allowed.headers.get("access-control-allow-origin") == "https://admin.example.jp"
    denied = await client.options(
        "/v1/tenants",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in denied.headers


async def test_no_cors_by_default(db: Database, clock: FrozenClock, settings: Settings) -> None:
    from dataclasses import replace

    app = create_app(replace(settings, cors_origins=()), db=db, clock=clock)
    async with serving(app) as test_client:
        response = await test_client.get("/healthz", headers={"Origin": "https://admin.example.jp"})
    assert "access-control-allow-origin" not in response.headers


async def test_tenant_token_cannot_reach_another_tenant(
    client: httpx.AsyncClient, platform: dict[str, str], db: Database, clock: FrozenClock
) -> None:
    mine = await create_tenant(client, platform)
    theirs = await create_tenant(client, platform)
    token = await make_token(db, clock, role=Role.AGENCY_SYSTEM, tenant_id=mine["id"])
    assert (await client.get(f"/v1/tenants/{mine['id']}", headers=bearer(token))).status_code == 200
    assert_problem(await client.get(f"/v1/tenants/{theirs['id']}", headers=bearer(token)), 404, "not-found")
    assert_problem(await client.get(f"/v1/tenants/{theirs['id']}/units", headers=bearer(token)), 404, "not-found")
    # Listing all tenants is for platform operators only.
    assert_problem(await client.get("/v1/tenants", headers=bearer(token)), 403, "forbidden")


async def test_readiness_fails_when_the_database_is_behind_the_code(
    settings: Settings, db: Database, clock: FrozenClock
) -> None:
    app = create_app(settings, db=db, clock=clock)
    app.state.head_revision = "9999_not_applied"
    async with serving(app) as test_client:
        response = await test_client.get("/readyz")
        alive = await test_client.get("/healthz")
    problem = assert_problem(response, 503, "service-unavailable")
    assert "koshiki migrate" in problem["detail"]
    assert alive.status_code == 200


async def test_api_docs_are_served(client: httpx.AsyncClient) -> None:
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "Koshiki API"
    page = await client.get("/schema")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    strict = document.json()["components"]["schemas"]["TenantCreate"]
    assert strict["additionalProperties"] is False


async def test_a_missing_query_parameter_is_named(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]
) -> None:
    response = await client.get(f"/v1/tenants/{tenant['id']}/guideline/diff?to=2", headers=platform)
    error = assert_problem(response, 422, "validation-error")["errors"][0]
    assert error == {**error, "parameter": "from", "in": "query", "code": "required"}
