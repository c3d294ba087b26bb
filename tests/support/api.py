"""Helpers every API test uses: tokens, tenants, staff who have logged in, problem details.

Shared by the test modules through `tests.support`; a test module never imports another.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar

from service.config import project_home
from service.kit.clock import FrozenClock
from service.kit.db import Database, set_platform
from service.kit.permissions import Role, permissions_of
from service.tokens.service import issue_token

START = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)


async def make_token(
    db: Database,
    clock: FrozenClock,
    *,
    role: Role = Role.PLATFORM_OPERATOR,
    tenant_id: uuid.UUID | None = None,
    scopes: frozenset[str] | None = None,
    expires_in: dt.timedelta | None = dt.timedelta(days=1),
) -> str:
    async with db.unit_of_work() as session:
        await set_platform(session)
        from service.kit.db import set_tenant

        if tenant_id is not None:
            await set_tenant(session, tenant_id)
        _, secret = await issue_token(
            session,
            clock,
            role=role,
            tenant_id=tenant_id,
            name=f"test {role.value}",
            scopes=scopes if scopes is not None else permissions_of(role),
            expires_at=clock.now() + expires_in if expires_in else None,
            created_by="tests",
        )
    return secret


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


async def create_tenant(client: httpx.AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {
        "slug": unique_slug(),
        "name_ja": "テスト市",
        "name_en": "Test City",
        "kind": "municipality",
        **fields,
    }
    response = await client.post("/v1/tenants", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def preset_path(slug: str) -> Path:
    return project_home() / "tenants" / f"{slug}.json"


@dataclass
class Staff:
    """A logged-in user: their record, their current password and tokens."""

    user: dict[str, Any]
    password: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


STRONG_PASSWORD = "quiet-river-lantern-42"


async def create_user(
    client: httpx.AsyncClient, headers: dict[str, str], tenant_id: str, roles: list[str], **fields: Any
) -> tuple[dict[str, Any], str]:
    login = unique_slug("u")
    body = {"login_id": login, "email": f"{login}@example.jp", "display_name": "テスト 職員", "roles": roles, **fields}
    response = await client.post(f"/v1/tenants/{tenant_id}/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    return created["user"], created["temporary_password"]


async def login(client: httpx.AsyncClient, login_id: str, password: str) -> dict[str, Any]:
    response = await client.post("/v1/auth/login", json={"login": login_id, "password": password})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def staff(
    client: httpx.AsyncClient, headers: dict[str, str], tenant_id: str, roles: list[str], **fields: Any
) -> Staff:
    """A user created by an administrator, logged in, past the first-login password change."""
    user, temporary = await create_user(client, headers, tenant_id, roles, **fields)
    first = await login(client, user["login_id"], temporary)
    assert first["password_change_required"] is True
    changed = await client.post(
        "/v1/me/password",
        json={"current_password": temporary, "new_password": STRONG_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert changed.status_code == 204, changed.text
    tokens = await login(client, user["login_id"], STRONG_PASSWORD)
    return Staff(user, STRONG_PASSWORD, tokens["access_token"], tokens["refresh_token"])


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan plus an HTTP client, all on the test's own event loop.

    (Litestar's TestClient runs the app on a loop in another thread; the shared database pool
    belongs to this loop, so the app must run here too.)
    """
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))  # type: ignore[arg-type]
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        task.cancel()
        raise RuntimeError(f"app did not start: {started}")
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, type_name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:koshiki:problem:{type_name}"
    assert body["status"] == status
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def make_unit(
    client: httpx.AsyncClient, headers: dict[str, str], tenant_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"code": unique_slug("u"), "name_ja": "広報課", "name_en": "PR Division", **fields}
    response = await client.post(f"/v1/tenants/{tenant_id}/units", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def ehime_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(preset_path("ehime-pref").read_text(encoding="utf-8"))["guideline"][
        "document"
    ]
    return document


async def record(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    tenant_id: str,
    document: dict[str, Any],
    effective_from: str | None = None,
    **extra_headers: str,
) -> httpx.Response:
    body: dict[str, Any] = {"document": document, "reason": "テスト"}
    if effective_from:
        body["effective_from"] = effective_from
    return await client.post(
        f"/v1/tenants/{tenant_id}/guideline/versions", json=body, headers={**headers, **extra_headers}
    )
