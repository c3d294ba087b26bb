"""Test support for the register: agencies built from the seed presets, accounts opened through the API.

Every agency here is a fresh tenant (its own slug) carrying one preset's units and guideline
configuration, so tests can open accounts without stepping on each other; account handles are
random for the same reason (one platform account is one record across all tenants).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from service.scheduler import Scheduler
from tests.support.api import Staff, create_tenant, preset_path, staff, unique_slug
from tests.support.queue import settle

# What each preset's documents need, item by item (the items its configuration lists).
ITEM_TEXT = "テスト用の記載内容"


@dataclass
class Agency:
    preset: str
    tenant: dict[str, Any]
    units: dict[str, dict[str, Any]]
    config: dict[str, Any]
    admin: Staff
    people: dict[str, Staff] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.tenant["id"])

    @property
    def slug(self) -> str:
        return str(self.tenant["slug"])

    def url(self, path: str = "") -> str:
        return f"/v1/tenants/{self.id}{path}"

    def unit(self, index: int = -1) -> dict[str, Any]:
        """A unit of the preset; by default the last (a division, not a department)."""
        return list(self.units.values())[index]


async def long_lived_admin(agency: Agency, db: Any, clock: Any) -> None:
    """Let the agency's general administrator act through a token with no expiry, for tests that move
    the clock across months (a login's access token lasts minutes of the service clock)."""
    from service.kit.permissions import Role
    from tests.support.api import make_token

    token = await make_token(
        db, clock, role=Role.GENERAL_ADMINISTRATOR, tenant_id=uuid.UUID(agency.id), expires_in=None
    )
    agency.admin = Staff(agency.admin.user, agency.admin.password, token, "")


async def agency_from_preset(client: httpx.AsyncClient, platform: dict[str, str], preset: str) -> Agency:
    data = json.loads(preset_path(preset).read_text(encoding="utf-8"))
    tenant = await create_tenant(
        client,
        platform,
        slug=unique_slug(preset.split("-")[0]),
        name_ja=data["tenant"]["name_ja"],
        name_en=data["tenant"]["name_en"],
        kind=data["tenant"]["kind"],
    )
    units: dict[str, dict[str, Any]] = {}
    for unit in data["units"]:
        body = {k: unit[k] for k in ("code", "name_ja", "name_en")}
        if unit.get("parent"):
            body["parent_id"] = units[unit["parent"]]["id"]
        if unit.get("shared_mailbox"):
            body["shared_mailbox"] = unit["shared_mailbox"]
        response = await client.post(f"/v1/tenants/{tenant['id']}/units", json=body, headers=platform)
        assert response.status_code == 201, response.text
        units[unit["code"]] = response.json()
    document = data["guideline"]["document"]
    response = await client.post(
        f"/v1/tenants/{tenant['id']}/guideline/versions",
        json={"document": document, "reason": "プリセットから"},
        headers=platform,
    )
    assert response.status_code == 201, response.text
    admin = await staff(client, platform, tenant["id"], ["general_administrator"])
    return Agency(preset, tenant, units, document, admin)


def x_handle() -> str:
    return f"k{secrets.token_hex(6)}"  # 13 characters: within X's 15


def complete_documents(agency: Agency) -> dict[str, dict[str, Any]]:
    """Bodies for every document the agency's configuration requires, with every item filled."""
    bodies = {}
    for kind, rule in agency.config["opening"]["required_documents"].items():
        if not rule["required"]:
            continue
        body: dict[str, Any] = {"items": dict.fromkeys(rule["items"], ITEM_TEXT)}
        if kind == "account_policy":
            body["public_url"] = "https://www.example.jp/sns/policy"
            body["disclosed_on_account"] = True
        bodies[kind] = body
    return bodies


async def put_documents(client: httpx.AsyncClient, agency: Agency, account_id: str, headers: dict[str, str]) -> None:
    for kind, body in complete_documents(agency).items():
        response = await client.put(agency.url(f"/accounts/{account_id}/documents/{kind}"), json=body, headers=headers)
        assert response.status_code == 200, response.text


def compliant_account(agency: Agency, unit: dict[str, Any], url: str, **extra: Any) -> dict[str, Any]:
    """A body that meets every opening rule of the agency's configuration (documents aside)."""
    opening = agency.config["opening"]
    body: dict[str, Any] = {
        "unit_id": unit["id"],
        "url": url,
        "display_name": f"{unit['name_ja']} 公式",
        "operating_body": "direct",
        "purpose": "お知らせの発信",
        "operator_ids": [agency.admin.user["id"]],
        "profile_links_register": bool(opening["profile_link_to_register"]["required"]),
        "verified_badge": opening["verified_badge"]["policy"] == "required",
    }
    if opening["signup_mailbox"]["policy"] == "unit_shared_mailbox":
        body["signup_mailbox"] = unit["shared_mailbox"]
    if agency.config["role_titles"]["operations_manager"]:
        body["operations_manager_id"] = agency.admin.user["id"]
    return {**body, **extra}


async def create_account(
    client: httpx.AsyncClient, agency: Agency, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await client.post(agency.url("/accounts"), json=body, headers=headers or agency.admin.headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def apply(
    client: httpx.AsyncClient, agency: Agency, account_id: str, kind: str = "new", **form: Any
) -> dict[str, Any]:
    body = {"kind": kind, "account_id": account_id, "applicant_title": "広報担当 主任", "purpose": "お知らせ", **form}
    created = await client.post(agency.url("/applications"), json=body, headers=agency.admin.headers)
    assert created.status_code == 201, created.text
    submitted = await client.post(
        agency.url(f"/applications/{created.json()['id']}/submit"), headers=agency.admin.headers
    )
    assert submitted.status_code == 200, submitted.text
    result: dict[str, Any] = submitted.json()
    return result


async def decide(client: httpx.AsyncClient, agency: Agency, application: dict[str, Any]) -> dict[str, Any]:
    """Approve where the configuration asks for approval (submitting already did it otherwise)."""
    if application["state"] == "approved":
        return application
    response = await client.post(agency.url(f"/applications/{application['id']}/approve"), headers=agency.admin.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def open_account(
    client: httpx.AsyncClient, agency: Agency, url: str | None = None, unit: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """An account that went the whole way: draft, documents, application, approval. Returns it active."""
    allowed = agency.config["platforms"]["allowed"]
    url = url or (f"https://x.com/{x_handle()}" if "x" in allowed else f"https://www.facebook.com/{x_handle()}")
    account = await create_account(client, agency, compliant_account(agency, unit or agency.unit(), url, **extra))
    await put_documents(client, agency, account["id"], agency.admin.headers)
    await decide(client, agency, await apply(client, agency, account["id"]))
    opened = await client.get(agency.url(f"/accounts/{account['id']}"), headers=agency.admin.headers)
    assert opened.json()["status"] == "active", opened.text
    result: dict[str, Any] = opened.json()
    return result


# ---- moving time -------------------------------------------------------------------------------------


class Time:
    """Moves the service clock and lets the scheduler and the workers catch up."""

    def __init__(self, app: Any, worker: Any) -> None:
        self.app, self.worker = app, worker
        self.sweeper = Scheduler(app.state.db, app.state.clock, app.state.relay)

    async def to(self, moment: str) -> None:
        self.app.state.clock.set(dt.datetime.fromisoformat(moment))
        await self.sweeper.sweep()
        await settle(self.app, self.worker)


async def get(client: httpx.AsyncClient, agency: Agency, path: str, headers: dict[str, str]) -> Any:
    response = await client.get(agency.url(path), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def events(client: httpx.AsyncClient, agency: Agency, headers: dict[str, str], kind: str) -> list[dict[str, Any]]:
    return (await get(client, agency, f"/events?type={kind}&limit=200", headers))["items"]  # type: ignore[no-any-return]
