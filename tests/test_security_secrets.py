"""Issue 12, "Secrets": secrets shown once stay shown once, and only the service makes signing keys.

- A reply that carries a secret (an API token's secret, a temporary password, a webhook signing
  secret) is never kept for Idempotency-Key retries: the stored reply holds a marker, a retry
  answers 409 `secret-not-replayed`, and every such reply says `Cache-Control: no-store`.
- Stored replies expire after 24 hours: an expired key is as if it had never been used.
- The application role cannot write `signing_keys`; the keyring trusts a row only when its MAC
  (under KOSHIKI_SECRET_KEY) is right, so a key slipped into the table signs nothing that passes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from litestar import Litestar
from sqlalchemy.engine import make_url

from service.kit.clock import FrozenClock
from service.scheduler import Scheduler
from tests.support import DatabaseUnderTest, Staff, assert_problem, bearer, login, staff, unique_slug

DAY = dt.timedelta(hours=24)


@pytest.fixture
async def admin(client: httpx.AsyncClient, platform: dict[str, str], tenant: dict[str, Any]) -> Staff:
    return await staff(client, platform, tenant["id"], ["general_administrator"])


@pytest.fixture
async def superuser(test_database: DatabaseUnderTest) -> AsyncIterator[asyncpg.Connection]:
    """Reads every tenant's stored replies, as someone with a copy of the database would."""
    url = make_url(test_database.admin_url).set(drivername="postgresql", database=test_database.name)
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    yield conn
    await conn.close()


@pytest.fixture
async def owner(test_database: DatabaseUnderTest) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(test_database.owner_url)
    yield conn
    await conn.close()


async def _stored_replies(conn: asyncpg.Connection, key: str) -> list[asyncpg.Record]:
    return list(await conn.fetch("SELECT * FROM idempotency_keys WHERE key = $1", key))


def _holds(rows: list[asyncpg.Record], secret: str) -> bool:
    """Whether any column of the stored rows holds the secret, as text or as bytes."""
    for row in rows:
        for value in row.values():
            if isinstance(value, bytes | bytearray | memoryview) and secret.encode() in bytes(value):
                return True
            if value is not None and secret in (value if isinstance(value, str) else json.dumps(value, default=str)):
                return True
    return False


def _assert_not_replayed(response: httpx.Response) -> None:
    problem = assert_problem(response, 409, "conflict")
    assert problem["reason"] == "secret-not-replayed"
    assert problem["detail"]
    assert "idempotent-replayed" not in response.headers


# ---- replies that carry a secret ------------------------------------------------------------------------


async def test_an_api_token_secret_is_neither_stored_nor_replayed(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Staff, superuser: asyncpg.Connection
) -> None:
    base = f"/v1/tenants/{tenant['id']}/api-tokens"
    key = unique_slug("key")
    body = {"name": unique_slug("register"), "scopes": ["units:read"]}
    created = await client.post(base, json=body, headers={**admin.headers, "Idempotency-Key": key})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    secret = created.json()["secret"]

    rows = await _stored_replies(superuser, key)
    assert len(rows) == 1, "the key is still claimed"
    assert not _holds(rows, secret), "the token's secret is kept in the stored reply"

    retried = await client.post(base, json=body, headers={**admin.headers, "Idempotency-Key": key})
    _assert_not_replayed(retried)
    assert secret not in retried.text
    # The retry made no second token, and the first one still works.
    listed = (await client.get(base, headers=admin.headers)).json()["items"]
    assert [t["name"] for t in listed].count(body["name"]) == 1
    assert (await client.get(f"/v1/tenants/{tenant['id']}/units", headers=bearer(secret))).status_code == 200
    # In English too, the problem says what to do instead.
    english = await client.post(
        base, json=body, headers={**admin.headers, "Idempotency-Key": key, "Accept-Language": "en"}
    )
    assert "new token" in assert_problem(english, 409, "conflict")["detail"]


async def test_a_temporary_password_is_neither_stored_nor_replayed(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Staff, superuser: asyncpg.Connection
) -> None:
    base = f"/v1/tenants/{tenant['id']}/users"
    key = unique_slug("key")
    name = unique_slug("u")
    body = {"login_id": name, "email": f"{name}@example.jp", "display_name": "テスト 職員", "roles": ["operator"]}
    created = await client.post(base, json=body, headers={**admin.headers, "Idempotency-Key": key})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    password = created.json()["temporary_password"]

    rows = await _stored_replies(superuser, key)
    assert len(rows) == 1
    assert not _holds(rows, password), "the temporary password is kept in the stored reply"

    retried = await client.post(base, json=body, headers={**admin.headers, "Idempotency-Key": key})
    _assert_not_replayed(retried)
    assert password not in retried.text
    assert (await login(client, name, password))["password_change_required"] is True

    # A reset shows a new temporary password once, and says so to caches.
    user_id = created.json()["user"]["id"]
    reset = await client.post(f"{base}/{user_id}/reset-password", headers=admin.headers)
    assert reset.status_code == 200, reset.text
    assert reset.headers["cache-control"] == "no-store"


async def test_a_webhook_secret_is_neither_stored_nor_replayed(
    client: httpx.AsyncClient, tenant: dict[str, Any], admin: Staff, superuser: asyncpg.Connection
) -> None:
    base = f"/v1/tenants/{tenant['id']}/webhooks"
    key = unique_slug("key")
    body = {"url": f"https://hooks.example.jp/{unique_slug()}", "event_types": ["deadline.due"]}
    created = await client.post(base, json=body, headers={**admin.headers, "Idempotency-Key": key})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    secret = created.json()["secret"]
    assert not _holds(await _stored_replies(superuser, key), secret)
    _assert_not_replayed(await client.post(base, json=body, headers={**admin.headers, "Idempotency-Key": key}))

    rotated = await client.post(f"{base}/{created.json()['webhook']['id']}/rotate-secret", headers=admin.headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"


# ---- stored replies expire -------------------------------------------------------------------------------


async def test_a_stored_reply_expires_after_24_hours(
    client: httpx.AsyncClient,
    app: Litestar,
    tenant: dict[str, Any],
    platform: dict[str, str],
    clock: FrozenClock,
    superuser: asyncpg.Connection,
) -> None:
    base = f"/v1/tenants/{tenant['id']}/units"
    key = unique_slug("key")
    headers = {**platform, "Idempotency-Key": key}
    first_body = {"code": unique_slug("u"), "name_ja": "広報課", "name_en": "PR Division"}
    first = await client.post(base, json=first_body, headers=headers)
    assert first.status_code == 201, first.text

    clock.advance(DAY - dt.timedelta(seconds=1))  # within the day: the same answer again
    again = await client.post(base, json=first_body, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()

    clock.advance(dt.timedelta(seconds=2))  # past it: the key is as if it had never been used
    second_body = {"code": unique_slug("u"), "name_ja": "総務課", "name_en": "General Affairs"}
    fresh = await client.post(base, json=second_body, headers=headers)
    assert fresh.status_code == 201, fresh.text
    assert "idempotent-replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    replayed = await client.post(base, json=second_body, headers=headers)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == fresh.json()

    # The scheduler's hourly tidy removes what has expired, and keeps what has not.
    other_key = unique_slug("key")
    third = {"code": unique_slug("u"), "name_ja": "企画課", "name_en": "Planning"}
    assert (await client.post(base, json=third, headers={**platform, "Idempotency-Key": other_key})).status_code == 201
    clock.advance(DAY + dt.timedelta(seconds=1))
    kept_key = unique_slug("key")
    fourth = {"code": unique_slug("u"), "name_ja": "財政課", "name_en": "Finance"}
    assert (await client.post(base, json=fourth, headers={**platform, "Idempotency-Key": kept_key})).status_code == 201
    await Scheduler(app.state.db, clock, app.state.relay).tidy()
    assert await _stored_replies(superuser, key) == []
    assert await _stored_replies(superuser, other_key) == []
    assert len(await _stored_replies(superuser, kept_key)) == 1


# ---- signing keys ----------------------------------------------------------------------------------------


async def test_the_application_role_cannot_write_signing_keys(test_database: DatabaseUnderTest) -> None:
    conn = await asyncpg.connect(test_database.app_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM signing_keys") >= 1  # it still reads them
        forged = Ed25519PrivateKey.generate()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_encrypted, created_at) "
                "VALUES ($1, 'EdDSA', $2::jsonb, $3, now())",
                f"forged-{uuid.uuid4().hex[:8]}",
                OKPAlgorithm.to_jwk(forged.public_key()),
                os.urandom(60),
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE signing_keys SET retired_at = NULL")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM signing_keys")
    finally:
        await conn.close()


def _forged_platform_token(app: Litestar, private: Ed25519PrivateKey, kid: str, now: dt.datetime) -> str:
    ring = app.state.keyring
    at = int(now.timestamp())
    claims = {
        "iss": ring.issuer, "aud": ring.audience, "sub": str(uuid.uuid4()), "iat": at, "nbf": at, "exp": at + 300,
        "typ": "access", "roles": ["platform_operator"], "name": "probe", "jti": uuid.uuid4().hex,
    }  # fmt: skip
    return jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"})


async def test_a_key_without_a_valid_mac_is_not_trusted(
    client: httpx.AsyncClient,
    app: Litestar,
    clock: FrozenClock,
    owner: asyncpg.Connection,
    test_database: DatabaseUnderTest,
) -> None:
    # Written by the table's owner (as an attacker with the migration role could), no MAC at all.
    forged = Ed25519PrivateKey.generate()
    kid = f"forged-{uuid.uuid4().hex[:8]}"
    await owner.execute(
        "INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_encrypted, created_at) "
        "VALUES ($1, 'EdDSA', $2::jsonb, $3, $4)",
        kid,
        OKPAlgorithm.to_jwk(forged.public_key()),
        os.urandom(60),
        clock.now(),
    )
    token = _forged_platform_token(app, forged, kid, clock.now())
    assert_problem(await client.get("/v1/tenants", headers=bearer(token)), 401, "unauthorized")
    assert kid not in {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}

    # Through the definer function the application role may call, with a MAC it had to make up.
    other = Ed25519PrivateKey.generate()
    other_kid = f"forged-{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(test_database.app_url)
    try:
        await conn.execute(
            "SELECT koshiki_add_signing_key($1, 'EdDSA', $2::jsonb, $3, $4, $5)",
            other_kid,
            OKPAlgorithm.to_jwk(other.public_key()),
            os.urandom(60),
            clock.now(),
            os.urandom(32),
        )
    finally:
        await conn.close()
    token = _forged_platform_token(app, other, other_kid, clock.now())
    assert_problem(await client.get("/v1/tenants", headers=bearer(token)), 401, "unauthorized")

    # A genuine key whose public half is replaced afterwards is not trusted either.
    genuine_kid = await app.state.keyring.rotate()
    third = Ed25519PrivateKey.generate()
    await owner.execute(
        "UPDATE signing_keys SET public_jwk = $2::jsonb WHERE kid = $1",
        genuine_kid,
        OKPAlgorithm.to_jwk(third.public_key()),
    )
    await app.state.keyring.load()
    token = _forged_platform_token(app, third, genuine_kid, clock.now())
    assert_problem(await client.get("/v1/tenants", headers=bearer(token)), 401, "unauthorized")
    # The keyring makes itself a key it can trust again (the tampered one is retired by it).
    fresh = await app.state.keyring.rotate()
    assert fresh != genuine_kid


async def test_keys_rotate_and_verify_as_before(
    client: httpx.AsyncClient,
    app: Litestar,
    admin: Staff,
    clock: FrozenClock,
    superuser: asyncpg.Connection,
) -> None:
    old_kid = jwt.get_unverified_header(admin.access)["kid"]
    new_kid = await app.state.keyring.rotate()
    assert new_kid != old_kid
    fresh = await login(client, admin.user["login_id"], admin.password)
    assert jwt.get_unverified_header(fresh["access_token"])["kid"] == new_kid
    assert (await client.get("/v1/me", headers=bearer(fresh["access_token"]))).status_code == 200
    assert (await client.get("/v1/me", headers=admin.headers)).status_code == 200  # the old key still verifies
    kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new_kid} <= kids
    macs = dict(
        await superuser.fetch("SELECT kid, mac FROM signing_keys WHERE kid = ANY($1::text[])", [old_kid, new_kid])
    )
    assert all(macs.get(kid) for kid in (old_kid, new_kid)), "every key the service made carries a MAC"

    # A key from before MACs (its private half sealed under this secret) is recognised as the
    # service's own and signed, so tokens it signed stay valid across the upgrade.
    ring = app.state.keyring
    legacy = Ed25519PrivateKey.generate()
    legacy_kid = f"legacy-{uuid.uuid4().hex[:8]}"
    await superuser.execute(
        "INSERT INTO signing_keys (kid, algorithm, public_jwk, private_key_encrypted, created_at, retired_at) "
        "VALUES ($1, 'EdDSA', $2::jsonb, $3, $4, $4)",
        legacy_kid,
        OKPAlgorithm.to_jwk(legacy.public_key()),
        ring._encrypt(legacy, legacy_kid),
        clock.now(),
    )
    claims = jwt.decode(admin.access, options={"verify_signature": False})
    signed = jwt.encode(claims, legacy, algorithm="EdDSA", headers={"kid": legacy_kid, "typ": "at+jwt"})
    assert (await client.get("/v1/me", headers=bearer(signed))).status_code == 200
    assert await superuser.fetchval("SELECT mac FROM signing_keys WHERE kid = $1", legacy_kid)

    clock.advance(dt.timedelta(seconds=600 + 31))
    await ring.load()
    kids = {k["kid"] for k in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert old_kid not in kids
    assert new_kid in kids
