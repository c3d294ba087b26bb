"""Issue 12, identity: the findings of the security probe, each reproduced through the API (and, for
the namespace, as the application role in SQL). Each failed before its fix."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service.kit.db import Database, set_tenant
from tests.support import assert_problem, bearer, create_tenant, login, staff


@pytest.fixture
async def two_tenants(client: httpx.AsyncClient, platform: dict[str, str]) -> tuple[Any, Any]:
    a, b = await create_tenant(client, platform), await create_tenant(client, platform)
    return (
        await staff(client, platform, a["id"], ["general_administrator"]),
        await staff(client, platform, b["id"], ["general_administrator"]),
    )


async def test_another_tenant_cannot_take_a_users_email_as_a_login_name(
    client: httpx.AsyncClient, two_tenants: tuple[Any, Any]
) -> None:
    """Tenant B's administrator made a user whose login ID was tenant A's user's e-mail (201), and A's
    user logging in with their e-mail reached B's user."""
    a_admin, b_admin = two_tenants
    a_mail = a_admin.user["email"]
    body = {"login_id": a_mail, "email": f"other-{uuid.uuid4().hex[:6]}@example.jp", "display_name": "x",
            "roles": ["operator"]}  # fmt: skip
    refused = await client.post(f"/v1/tenants/{b_admin.user['tenant_id']}/users", json=body, headers=b_admin.headers)
    problem = assert_problem(refused, 422, "validation-error")
    assert [e["pointer"] for e in problem["errors"]] == ["/login_id"]
    # Nor as their own e-mail: the names people log in with are one namespace, platform-wide.
    same_mail = {**body, "login_id": f"b-{uuid.uuid4().hex[:6]}", "email": a_mail.upper()}
    taken = await client.post(f"/v1/tenants/{b_admin.user['tenant_id']}/users", json=same_mail, headers=b_admin.headers)
    assert assert_problem(taken, 409, "conflict")["title"]
    # A's user logs in with the e-mail, always as themselves.
    for _ in range(3):
        tokens = await login(client, a_mail, a_admin.password)
        me = (await client.get("/v1/me", headers=bearer(tokens["access_token"]))).json()
        assert me["user"]["id"] == a_admin.user["id"]


async def test_the_database_keeps_login_names_unique_across_tenants(db: Database, two_tenants: tuple[Any, Any]) -> None:
    """Not the service's checks alone: the application role itself cannot write a clashing name."""
    a_admin, b_admin = two_tenants
    async with db.unit_of_work() as session:
        await set_tenant(session, uuid.UUID(b_admin.user["tenant_id"]))
        with pytest.raises(IntegrityError, match="login_names"):
            await session.execute(
                text(
                    "INSERT INTO users (id, tenant_id, login_id, email, display_name, roles, password_hash, "
                    "password_changed_at, created_at, updated_at) VALUES (:id, :tenant, :login, :email, 'x', "
                    "ARRAY['operator'], 'x', now(), now(), now())"
                ),
                {"id": uuid.uuid4(), "tenant": b_admin.user["tenant_id"], "login": a_admin.user["email"],
                 "email": f"z-{uuid.uuid4().hex[:6]}@example.jp"},
            )  # fmt: skip
        await session.rollback()
    async with db.engine.connect() as conn:  # and the table of names is not the application's to read
        with pytest.raises(Exception, match="permission denied"):
            await conn.execute(text("SELECT count(*) FROM login_names"))


async def test_parallel_guesses_cannot_outrun_the_limit(
    client: httpx.AsyncClient, two_tenants: tuple[Any, Any]
) -> None:
    """16 parallel wrong passwords were all checked (limit 5): now at most 5 are."""
    admin = two_tenants[0]
    body = {"login": admin.user["login_id"], "password": "definitely-wrong"}
    answers = await asyncio.gather(*(client.post("/v1/auth/login", json=body) for _ in range(16)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 11, statuses


async def test_the_limit_counts_the_user_not_the_name_typed(
    client: httpx.AsyncClient, two_tenants: tuple[Any, Any]
) -> None:
    """After 5 failures by login ID the e-mail got 5 more, and the right password through the e-mail
    logged in while the login ID was locked."""
    admin = two_tenants[0]
    for _ in range(5):
        wrong = await client.post("/v1/auth/login", json={"login": admin.user["login_id"], "password": "wrong-one"})
        assert wrong.status_code == 401
    by_mail = await client.post("/v1/auth/login", json={"login": admin.user["email"], "password": admin.password})
    assert_problem(by_mail, 429, "too-many-requests")


async def test_a_disabled_user_answers_alike_for_right_and_wrong_passwords(
    client: httpx.AsyncClient, two_tenants: tuple[Any, Any]
) -> None:
    admin = two_tenants[0]
    operator = await staff(client, admin.headers, admin.user["tenant_id"], ["operator"])
    disabled = await client.post(
        f"/v1/tenants/{admin.user['tenant_id']}/users/{operator.user['id']}/disable", headers=admin.headers
    )
    assert disabled.status_code == 200, disabled.text
    right = await client.post(
        "/v1/auth/login", json={"login": operator.user["login_id"], "password": operator.password}
    )
    wrong = await client.post("/v1/auth/login", json={"login": operator.user["login_id"], "password": "not-it-at-all"})
    for answer in (right, wrong):
        assert_problem(answer, 401, "unauthorized")
    assert {k: v for k, v in right.json().items() if k not in {"request_id"}} == {
        k: v for k, v in wrong.json().items() if k not in {"request_id"}
    }
    assert right.headers.get("www-authenticate") == wrong.headers.get("www-authenticate")
