"""Loading tenant presets (`tenants/*.json`): a tenant, its units and its guideline configuration.

Loading is idempotent: the tenant is found by slug and units by code, and a guideline version is
only recorded when the document or its effective date differs from the latest version's.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import project_home
from service.guidelines.hooks import GUIDELINE_CHANGED, GuidelineChanged
from service.guidelines.service import create_version, document_errors, guideline_schema, latest_version
from service.kit.clock import Clock
from service.kit.context import Ctx
from service.kit.db import set_platform, set_tenant
from service.kit.errors import FieldError, Msg
from service.kit.i18n import Lang
from service.kit.validation import schema_errors
from service.tenants import service as tenants
from service.tenants.models import Tenant
from service.tenants.schemas import TenantCreate, TenantUpdate, UnitCreate, UnitUpdate


class PresetError(Exception):
    def __init__(self, path: Path, errors: list[FieldError]) -> None:
        self.path = path
        self.errors = errors
        super().__init__(f"{path}: {len(errors)} problem(s)")

    def describe(self, lang: Lang = "en") -> str:
        lines = [f"{self.path}: invalid preset"]
        lines += [f"  {e.pointer or '/'}: {e.message.render(lang)}" for e in self.errors]
        return "\n".join(lines)


@dataclass(frozen=True)
class LoadResult:
    slug: str
    tenant_created: bool
    tenant_changed: bool
    units_created: int
    units_updated: int
    guideline_version: int | None  # the version recorded, or None when unchanged


@functools.cache
def _preset_validator() -> Draft202012Validator:
    with open(project_home() / "tenants" / "schema" / "tenant-preset.schema.json", encoding="utf-8") as handle:
        preset_schema = json.load(handle)
    guideline = guideline_schema()
    registry: Registry = Registry().with_resources(
        [
            (guideline["$id"], Resource.from_contents(guideline)),
            (preset_schema["$id"], Resource.from_contents(preset_schema)),
        ]
    )
    return Draft202012Validator(preset_schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def read_preset(path: Path) -> dict[str, Any]:
    """Parse and fully validate a preset file; PresetError lists every problem."""
    try:
        preset = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        error = FieldError(Msg("field.invalid", {"reason": f"not JSON: {exc}"}), "malformed", "")
        raise PresetError(path, [error]) from exc
    errors = schema_errors(_preset_validator(), preset)
    if not errors:
        document = preset["guideline"]["document"]
        errors = [
            FieldError(e.message, e.code, "/guideline/document" + (e.pointer or "")) for e in document_errors(document)
        ]
    if errors:
        raise PresetError(path, errors)
    return dict(preset)


async def load_preset(session: AsyncSession, clock: Clock, preset: dict[str, Any]) -> LoadResult:
    """Apply one validated preset inside the caller's unit of work."""
    spec = preset["tenant"]
    await set_platform(session)
    tenant = await tenants.tenant_by_slug(session, spec["slug"])
    created = tenant is None
    changed = False
    if tenant is None:
        tenant = await tenants.create_tenant(session, clock, data=TenantCreate(**spec))
    else:
        before = tenant.version
        fields = {k: v for k, v in spec.items() if k != "slug"}
        await tenants.update_tenant(session, clock, tenant=tenant, patch=TenantUpdate(**fields))
        changed = tenant.version != before
    await set_tenant(session, tenant.id)
    # Inside the tenant, a preset acts as the system does: every permission, no user behind it.
    ctx = Ctx.for_system(session, tenant.id, clock, "presets")

    made = units_changed = 0
    # Parents first, so children can point at them.
    for spec_unit in sorted(preset["units"], key=lambda u: u.get("parent") is not None):
        parent_code = spec_unit.get("parent")
        parent = await tenants.unit_by_code(ctx, parent_code) if parent_code else None
        values = {
            "name_ja": spec_unit["name_ja"],
            "name_en": spec_unit["name_en"],
            "parent_id": parent.id if parent else None,
            "shared_mailbox": spec_unit.get("shared_mailbox"),
        }
        existing = await tenants.unit_by_code(ctx, spec_unit["code"])
        if existing is None:
            await tenants.create_unit(ctx, UnitCreate(code=spec_unit["code"], **values))
            made += 1
        else:
            before = existing.version
            await tenants.update_unit(ctx, existing, UnitUpdate(**values))
            units_changed += existing.version != before

    guideline = preset["guideline"]
    latest = await latest_version(ctx)
    effective = dt.date.fromisoformat(guideline["effective_from"])
    recorded: int | None = None
    if latest is None or latest.document != guideline["document"] or latest.effective_from != effective:
        row = await create_version(
            ctx, document=guideline["document"], reason=guideline["reason"], effective_from=effective
        )
        recorded = row.version
    else:
        # Unchanged configuration: make sure the deadlines it sets exist (idempotent).
        await GUIDELINE_CHANGED.publish(GuidelineChanged(session, tenant.id, clock.now()))
    return LoadResult(tenant.slug, created, changed, made, units_changed, recorded)


def preset_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.json") if p.is_file())


async def tenant_by_slug(session: AsyncSession, slug: str) -> Tenant | None:
    await set_platform(session)
    return await tenants.tenant_by_slug(session, slug)
