"""Staff logins, access and refresh tokens, sessions, brute-force limits, passwords, API tokens."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import replace
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from service.app import create_app
from service.config import Settings
from service.identity.models import User
from service.kit.clock import FrozenClock
from service.kit.db import Database, set_tenant
from tests.support import (
    STRONG_PASSWORD,
    assert_problem,
    bearer,
    create_tenant,
    create_user,
    login,
    serving,
    staff,
    unique_slug,
)


@pytest.fixture
async def admin(client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]) -> Any:
    return await staff(client, platform, tenant["id"], ["general_administrator"])


# ---- logging in --------------------------------------------------------------------------------


async def test_login_with_login_id_or_email(client: httpx.AsyncClient, admin: Any) -> None:
    by_id = await login(client, admin.user["login_id"], admin.password)
    by_mail = await login(client, admin.user["email"].upper(), admin.password)
    for tokens in (by_id, by_mail):
        assert tokens["token_type"] == "Bearer"
        assert 300 <= tokens["expires_in"] <= 900
        me = (await client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()
        assert me["user"]["id"] == admin.user["id"]
        assert "users:write" in me["permissions"]


async def test_wrong_password_and_unknown_user_answer_alike(client: httpx.AsyncClient, admin: Any) -> None:
    wrong = await client.post("/v1/auth/login", json={"login": admin.user["login_id"], "password": "nope-nope-nope"})
    unknown = await client.post("/v1/auth/login", json={"login": "nobody-at-all", "password": "nope-nope-nope"})
    assert_problem(wrong, 401, "unauthorized")
    assert_problem(unknown, 401, "unauthorized")
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_disabled_user_cannot_log_in_and_loses_sessions(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any], admin: Any
) -> None:
    operator = await staff(client, admin.headers, tenant["id"], ["operator"])
    disabled = await client.post(
        f"/v1/tenants/{tenant['id']}/users/{operator.user['id']}/disable", headers=admin.headers
    )
    assert disabled.status_code == 200, disabled.text
    refused = await client.post(
        "/v1/auth/login", json={"login": operator.user["login_id"], "password": operator.password}
    )
    # The same answer as a wrong password: a disabled account confirms no guess (issue 12).
    assert_problem(refused, 401, "unauthorized")
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": operator.refresh}), 401, "unauthorized")
    # An access token already issued lives out its few minutes, then stops.
    assert (await client.get("/v1/me", headers=operator.headers)).status_code == 200


async def test_first_login_must_change_the_password(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    user, temporary = await create_user(client, admin.headers, tenant["id"], ["auditor"])
    first = await login(client, user["login_id"], temporary)
    assert first["password_change_required"] is True
    gate = await client.get(f"/v1/tenants/{tenant['id']}", headers=bearer(first["access_token"]))
    assert assert_problem(gate, 403, "forbidden")["reason"] == "password-change-required"
    assert (await client.get("/v1/me", headers=bearer(first["access_token"]))).status_code == 200
    weak = await client.post(
        "/v1/me/password",
        json={"current_password": temporary, "new_password": user["login_id"] + "1234567890"},
        headers=bearer(first["access_token"]),
    )
    assert {e["code"] for e in assert_problem(weak, 422, "validation-error")["errors"]} == {"contains_name"}
    changed = await client.post(
        "/v1/me/password",
        json={"current_password": temporary, "new_password": STRONG_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 204
    renewed = (await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert renewed["password_change_required"] is False
    assert (await client.get(f"/v1/tenants/{tenant['id']}", headers=bearer(renewed["access_token"]))).status_code == 200


async def test_password_policy_names_each_failure(client: httpx.AsyncClient, admin: Any) -> None:
    response = await client.post(
        "/v1/me/password", json={"current_password": admin.password, "new_password": "aaaa"}, headers=admin.headers
    )
    codes = {e["code"] for e in assert_problem(response, 422, "validation-error")["errors"]}
    assert codes == {"too_short", "repetitive"}
    common = await client.post(
        "/v1/me/password",
        json={"current_password": admin.password, "new_password": "password1234"},
        headers=admin.headers,
    )
    assert "common" in {e["code"] for e in common.json()["errors"]}
    wrong = await client.post(
        "/v1/me/password",
        json={"current_password": "not-mine-at-all", "new_password": STRONG_PASSWORD + "x"},
        headers=admin.headers,
    )
    assert assert_problem(wrong, 422, "validation-error")["errors"][0]["pointer"] == "/current_password"


async def test_changing_ones_password_ends_the_other_sessions(client: httpx.AsyncClient, admin: Any) -> None:
    elsewhere = await login(client, admin.user["login_id"], admin.password)
    changed = await client.post(
        "/v1/me/password",
        json={"current_password": admin.password, "new_password": "another-quiet-river-77"},
        headers=admin.headers,
    )
    assert changed.status_code == 204
    assert_problem(
        await client.post("/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}), 401, "unauthorized"
    )
    assert (await client.post("/v1/auth/refresh", json={"refresh_token": admin.refresh})).status_code == 200


# ---- access tokens --------------------------------------------------------------------------------


def _forge(claims: dict[str, Any], key: Any, algorithm: str, headers: dict[str, Any]) -> str:
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


async def test_access_token_forgeries_are_refused(client: httpx.AsyncClient, admin: Any, clock: FrozenClock) -> None:
    header = jwt.get_unverified_header(admin.access)
    claims = jwt.decode(admin.access, options={"verify_signature": False})
    jwks = (await client.get("/.well-known/jwks.json")).json()
    public = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public_bytes = base64.urlsafe_b64decode(public["x"] + "==")
    stranger = Ed25519PrivateKey.generate()
    unsigned = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}).encode())
        .rstrip(b"=")
        .decode()
        + "."
        + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        + "."
    )
    forgeries = {
        "signed by another key": _forge(claims, stranger, "EdDSA", {"kid": header["kid"], "typ": "at+jwt"}),
        "alg none": unsigned,
        "HS256 with the public key": _forge(claims, public_bytes, "HS256", {"kid": header["kid"], "typ": "at+jwt"}),
        "wrong audience": _forge(
            {**claims, "aud": "someone-else"}, stranger, "EdDSA", {"kid": header["kid"], "typ": "at+jwt"}
        ),
        "unknown kid": _forge(claims, stranger, "EdDSA", {"kid": "nope", "typ": "at+jwt"}),
        "no typ header": _forge(claims, stranger, "EdDSA", {"kid": header["kid"]}),
        "garbage": "not.a.jwt",
    }
    for name, token in forgeries.items():
        response = await client.get("/v1/me", headers=bearer(token))
        assert response.status_code == 401, name
        assert response.json()["type"] == "urn:koshiki:problem:unauthorized", name


async def test_claims_are_required_and_checked(
    client: httpx.AsyncClient, admin: Any, app: Any, clock: FrozenClock
) -> None:
    ring = app.state.keyring
    key = await ring._signing_key()
    header = {"kid": key.kid, "typ": "at+jwt"}
    claims = jwt.decode(admin.access, options={"verify_signature": False})
    for missing in ("exp", "iat", "iss", "aud", "sub", "typ"):
        token = jwt.encode(
            {k: v for k, v in claims.items() if k != missing}, key.private, algorithm="EdDSA", headers=header
        )
        assert (await client.get("/v1/me", headers=bearer(token))).status_code == 401, missing
    for field, value in (("iss", "elsewhere"), ("aud", "other-api"), ("typ", "refresh")):
        token = jwt.encode({**claims, field: value}, key.private, algorithm="EdDSA", headers=header)
        assert (await client.get("/v1/me", headers=bearer(token))).status_code == 401, field
    good = jwt.encode(claims, key.private, algorithm="EdDSA", headers=header)
    assert (await client.get("/v1/me", headers=bearer(good))).status_code == 200


async def test_access_token_expires_on_the_service_clock(
    client: httpx.AsyncClient, admin: Any, clock: FrozenClock
) -> None:
    assert (await client.get("/v1/me", headers=admin.headers)).status_code == 200
    clock.advance(dt.timedelta(seconds=600 + 31))
    assert_problem(await client.get("/v1/me", headers=admin.headers), 401, "unauthorized")


async def test_another_tenants_token_reaches_nothing_there(
    client: httpx.AsyncClient, platform: dict[str, str], admin: Any, tenant: dict[str, Any]
) -> None:
    other = await create_tenant(client, platform)
    assert_problem(await client.get(f"/v1/tenants/{other['id']}", headers=admin.headers), 404, "not-found")
    assert_problem(await client.get(f"/v1/tenants/{other['id']}/users", headers=admin.headers), 404, "not-found")


async def test_key_rotation_keeps_old_tokens_valid_until_they_expire(
    client: httpx.AsyncClient, admin: Any, app: Any, clock: FrozenClock
) -> None:
    old_kid = jwt.get_unverified_header(admin.access)["kid"]
    new_kid = await app.state.keyring.rotate()
    assert new_kid != old_kid
    fresh = await login(client, admin.user["login_id"], admin.password)
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == new_kid
    kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new_kid} <= kids
    assert (await client.get("/v1/me", headers=admin.headers)).status_code == 200
    clock.advance(dt.timedelta(seconds=600 + 31))
    await app.state.keyring.load()
    kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert old_kid not in kids
    assert new_kid in kids


# ---- refresh tokens and sessions ---------------------------------------------------------------------


async def test_refresh_rotates_and_reuse_revokes_the_family(client: httpx.AsyncClient, admin: Any) -> None:
    first = await client.post("/v1/auth/refresh", json={"refresh_token": admin.refresh})
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    second_token = first.json()["refresh_token"]
    assert second_token != admin.refresh
    # The old one again: a leak. The family dies, including the token the thief did not use.
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": admin.refresh}), 401, "unauthorized")
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": second_token}), 401, "unauthorized")
    # Other sessions of the same user are not touched.
    other = await login(client, admin.user["login_id"], admin.password)
    assert (await client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})).status_code == 200


async def test_logout_and_logout_everywhere(client: httpx.AsyncClient, admin: Any) -> None:
    other = await login(client, admin.user["login_id"], admin.password)
    assert (await client.post("/v1/auth/logout", headers=admin.headers)).status_code == 204
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": admin.refresh}), 401, "unauthorized")
    assert (await client.post("/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})).status_code == 200
    third = await login(client, admin.user["login_id"], admin.password)
    assert (await client.post("/v1/auth/logout-all", headers=bearer(third["access_token"]))).status_code == 204
    assert_problem(
        await client.post("/v1/auth/refresh", json={"refresh_token": third["refresh_token"]}), 401, "unauthorized"
    )


async def test_expired_refresh_token_is_refused(client: httpx.AsyncClient, admin: Any, clock: FrozenClock) -> None:
    clock.advance(dt.timedelta(days=15))
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": admin.refresh}), 401, "unauthorized")


async def test_api_tokens_cannot_log_out_or_change_passwords(
    client: httpx.AsyncClient, platform: dict[str, str]
) -> None:
    assert_problem(await client.post("/v1/auth/logout", headers=platform), 403, "forbidden")
    response = await client.post(
        "/v1/me/password", json={"current_password": "x", "new_password": "y"}, headers=platform
    )
    assert_problem(response, 403, "forbidden")


# ---- brute force ----------------------------------------------------------------------------------------


async def test_failed_logins_lock_the_account_with_retry_after(
    client: httpx.AsyncClient, admin: Any, clock: FrozenClock
) -> None:
    body = {"login": admin.user["login_id"], "password": "definitely-wrong"}
    for _ in range(5):
        assert (await client.post("/v1/auth/login", json=body)).status_code == 401
    locked = await client.post("/v1/auth/login", json={**body, "password": admin.password})
    problem = assert_problem(locked, 429, "too-many-requests")
    assert int(locked.headers["retry-after"]) == problem["retry_after"] > 0
    clock.advance(dt.timedelta(minutes=16))
    assert (await client.post("/v1/auth/login", json={**body, "password": admin.password})).status_code == 200


async def test_the_limit_holds_across_processes(
    settings: Settings, db: Database, clock: FrozenClock, client: httpx.AsyncClient, admin: Any
) -> None:
    # A second API process: its own app and state, the same PostgreSQL.
    other_db = Database(settings.require_database_url(), pool_size=2)
    other = create_app(settings, db=other_db, clock=clock)
    body = {"login": admin.user["login_id"], "password": "definitely-wrong"}
    async with serving(other) as second:
        for index in range(5):
            target = client if index % 2 else second
            assert (await target.post("/v1/auth/login", json=body)).status_code == 401
        assert (await second.post("/v1/auth/login", json={**body, "password": admin.password})).status_code == 429
        assert (await client.post("/v1/auth/login", json={**body, "password": admin.password})).status_code == 429
    await other_db.dispose()


async def test_failed_logins_are_limited_per_address_too(settings: Settings, db: Database, clock: FrozenClock) -> None:
    app = create_app(replace(settings, login_max_failures_per_address=3), db=db, clock=clock)
    async with serving(app) as http:
        for index in range(3):
            response = await http.post(
                "/v1/auth/login", json={"login": f"someone-{index}-{uuid.uuid4().hex}", "password": "x"}
            )
            assert response.status_code == 401
        blocked = await http.post("/v1/auth/login", json={"login": "yet-another", "password": "x"})
    assert_problem(blocked, 429, "too-many-requests")


async def test_passwords_are_rehashed_when_parameters_rise(
    client: httpx.AsyncClient, settings: Settings, db: Database, clock: FrozenClock, admin: Any, tenant: dict[str, Any]
) -> None:
    async def stored() -> str:
        async with db.unit_of_work() as session:
            await set_tenant(session, uuid.UUID(tenant["id"]))
            return str(
                (
                    await session.execute(select(User.password_hash).where(User.id == uuid.UUID(admin.user["id"])))
                ).scalar_one()
            )

    assert "m=19456,t=2,p=1" in await stored()
    stronger = create_app(replace(settings, password_time_cost=3, password_memory_kib=24576), db=db, clock=clock)
    async with serving(stronger) as http:
        assert (await login(http, admin.user["login_id"], admin.password))["access_token"]
    assert "m=24576,t=3,p=1" in await stored()
    assert (await login(client, admin.user["login_id"], admin.password))["access_token"]  # still the same password


# ---- administration -----------------------------------------------------------------------------------


async def test_admin_reset_gives_a_temporary_password_and_ends_sessions(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    operator = await staff(client, admin.headers, tenant["id"], ["operator"])
    reset = await client.post(
        f"/v1/tenants/{tenant['id']}/users/{operator.user['id']}/reset-password", headers=admin.headers
    )
    assert reset.status_code == 200, reset.text
    assert reset.headers["cache-control"] == "no-store"
    temporary = reset.json()["temporary_password"]
    assert_problem(await client.post("/v1/auth/refresh", json={"refresh_token": operator.refresh}), 401, "unauthorized")
    assert_problem(
        await client.post("/v1/auth/login", json={"login": operator.user["login_id"], "password": operator.password}),
        401,
        "unauthorized",
    )
    assert (await login(client, operator.user["login_id"], temporary))["password_change_required"] is True


async def test_role_rules(client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any) -> None:
    base = f"/v1/tenants/{tenant['id']}/users"
    login_id = unique_slug("u")
    mixed = await client.post(
        base,
        json={
            "login_id": login_id,
            "email": f"{login_id}@example.jp",
            "display_name": "x",
            "roles": ["contractor", "operator"],
        },
        headers=admin.headers,
    )
    assert assert_problem(mixed, 422, "validation-error")["errors"][0]["code"] == "contractor_exclusive"
    head = await client.post(
        base,
        json={"login_id": login_id, "email": f"{login_id}@example.jp", "display_name": "x", "roles": ["unit_head"]},
        headers=admin.headers,
    )
    assert assert_problem(head, 422, "validation-error")["errors"][0]["pointer"] == "/unit_id"
    platform_role = await client.post(
        base,
        json={
            "login_id": login_id,
            "email": f"{login_id}@example.jp",
            "display_name": "x",
            "roles": ["platform_operator"],
        },
        headers=admin.headers,
    )
    assert_problem(platform_role, 422, "validation-error")


async def test_login_ids_and_emails_are_unique_across_tenants(
    client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any], admin: Any
) -> None:
    other = await create_tenant(client, platform)
    again = await client.post(
        f"/v1/tenants/{other['id']}/users",
        json={
            "login_id": admin.user["login_id"].upper(),
            "email": "fresh@example.jp",
            "display_name": "x",
            "roles": ["auditor"],
        },
        headers=platform,
    )
    assert assert_problem(again, 409, "conflict")["reason"] == "login-taken"


async def test_the_last_general_administrator_stays(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    url = f"/v1/tenants/{tenant['id']}/users/{admin.user['id']}"
    etag = (await client.get(url, headers=admin.headers)).headers["etag"]
    demote = await client.patch(url, json={"roles": ["auditor"]}, headers={**admin.headers, "If-Match": etag})
    assert assert_problem(demote, 409, "conflict")["reason"] == "last-general-administrator"
    assert assert_problem(await client.post(f"{url}/disable", headers=admin.headers), 409, "conflict")["reason"] == (
        "cannot-disable-self"
    )


async def test_a_demoted_administrator_cannot_grant_power_with_an_old_token(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    second = await staff(client, admin.headers, tenant["id"], ["general_administrator"])
    current = (await client.get(f"/v1/tenants/{tenant['id']}/users/{second.user['id']}", headers=admin.headers)).json()
    demoted = await client.patch(
        f"/v1/tenants/{tenant['id']}/users/{second.user['id']}",
        json={"roles": ["auditor"]},
        headers={**admin.headers, "If-Match": f'"{current["version"]}"'},
    )
    assert demoted.status_code == 200, demoted.text
    # Their access token still says general_administrator; the database says otherwise.
    login_id = unique_slug("u")
    attempt = await client.post(
        f"/v1/tenants/{tenant['id']}/users",
        json={
            "login_id": login_id,
            "email": f"{login_id}@example.jp",
            "display_name": "x",
            "roles": ["general_administrator"],
        },
        headers=second.headers,
    )
    assert_problem(attempt, 403, "forbidden")
    token = await client.post(
        f"/v1/tenants/{tenant['id']}/api-tokens", json={"name": "x", "scopes": ["units:read"]}, headers=second.headers
    )
    assert_problem(token, 403, "forbidden")


async def test_contractors_have_no_standing_without_an_agreement(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    contractor = await staff(client, admin.headers, tenant["id"], ["contractor"])
    me = (await client.get("/v1/me", headers=contractor.headers)).json()
    assert me["roles"] == ["contractor"]
    response = await client.get(f"/v1/tenants/{tenant['id']}/guideline", headers=contractor.headers)
    assert assert_problem(response, 403, "forbidden")["reason"] == "no-active-agreement"


# ---- API tokens for agency systems -------------------------------------------------------------------


async def test_agency_tokens_scopes_expiry_last_use_and_revocation(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any, clock: FrozenClock
) -> None:
    base = f"/v1/tenants/{tenant['id']}/api-tokens"
    created = await client.post(
        base,
        json={
            "name": "web site register",
            "scopes": ["units:read", "config:read"],
            "expires_in_days": 30,
            "description": "県HP",
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    token = created.json()["token"]
    assert token["created_by"].startswith("user:")
    assert token["expires_at"].startswith("2026-05-01")
    assert (await client.get(f"/v1/tenants/{tenant['id']}/units", headers=bearer(secret))).status_code == 200
    assert_problem(
        await client.post(
            f"/v1/tenants/{tenant['id']}/units",
            json={"code": "x1", "name_ja": "x", "name_en": "x"},
            headers=bearer(secret),
        ),
        403,
        "forbidden",
    )
    listed = await client.get(base, headers=admin.headers)
    assert secret not in listed.text
    entry = next(t for t in listed.json()["items"] if t["id"] == token["id"])
    assert entry["last_used_at"] is not None
    assert entry["last_used_ip"] == "127.0.0.1"
    assert (await client.delete(f"{base}/{token['id']}", headers=admin.headers)).status_code == 204
    assert_problem(await client.get(f"/v1/tenants/{tenant['id']}/units", headers=bearer(secret)), 401, "unauthorized")
    assert (await client.delete(f"{base}/{token['id']}", headers=admin.headers)).status_code == 204


async def test_a_token_never_holds_a_scope_its_creator_lacks(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any
) -> None:
    base = f"/v1/tenants/{tenant['id']}/api-tokens"
    reserved = await client.post(
        base, json={"name": "x", "scopes": ["users:write", "tokens:write", "nonsense"]}, headers=admin.headers
    )
    codes = [e["code"] for e in assert_problem(reserved, 422, "validation-error")["errors"]]
    assert codes == ["scope_not_available", "scope_not_available", "unknown_scope"]
    issued = await client.post(base, json={"name": "narrow", "scopes": ["units:read"]}, headers=admin.headers)
    narrow = issued.json()["secret"]
    # A token cannot mint tokens at all.
    assert_problem(
        await client.post(base, json={"name": "y", "scopes": ["units:read"]}, headers=bearer(narrow)), 403, "forbidden"
    )


async def test_expired_agency_token_is_refused(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Any, clock: FrozenClock
) -> None:
    created = await client.post(
        f"/v1/tenants/{tenant['id']}/api-tokens",
        json={"name": "short", "scopes": ["units:read"], "expires_in_days": 1},
        headers=admin.headers,
    )
    secret = created.json()["secret"]
    clock.advance(dt.timedelta(days=1, seconds=1))
    assert_problem(await client.get(f"/v1/tenants/{tenant['id']}/units", headers=bearer(secret)), 401, "unauthorized")


def test_access_token_lifetime_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.config import ConfigError

    monkeypatch.setenv("ACCESS_TOKEN_TTL_SECONDS", "3600")
    with pytest.raises(ConfigError, match="at most 900"):
        Settings.from_env()
    monkeypatch.setenv("ACCESS_TOKEN_TTL_SECONDS", "600")
    monkeypatch.setenv("PASSWORD_HASH_MEMORY_KIB", "1024")
    with pytest.raises(ConfigError, match="at least 19456"):
        Settings.from_env()


def test_production_needs_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.config import ConfigError

    monkeypatch.setenv("KOSHIKI_ENV", "production")
    monkeypatch.delenv("KOSHIKI_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="KOSHIKI_SECRET_KEY"):
        Settings.from_env().require_secret_key()
