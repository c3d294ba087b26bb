"""Guideline configuration: validation, versions, the version in force on a date, and diffs.

A document is checked twice: against its JSON Schema (`tenants/schema/guideline-config.schema.json`),
then against the rules that tie its fields together, which a schema cannot say well (a window
that ends before it starts, an announcement due before its period begins). Every violation is
reported at once, each with a JSON Pointer; nothing is stored unless all pass.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy.ext.asyncio import AsyncSession

from service.config import project_home
from service.guidelines.hooks import GUIDELINE_CHANGED, GuidelineChanged
from service.guidelines.models import GuidelineVersion
from service.guidelines.repository import GuidelineRepository
from service.guidelines.schemas import GuidelineChange
from service.kit.clock import Clock, local_today
from service.kit.context import Ctx
from service.kit.db import flush_or_conflict
from service.kit.errors import FieldError, Msg, conflict, validation_failed
from service.kit.ids import uuid7
from service.kit.validation import pointer, schema_errors
from service.tenants.service import tenant_of

SCHEMA_FILE = "guideline-config.schema.json"


@functools.cache
def guideline_schema() -> dict[str, Any]:
    with open(project_home() / "tenants" / "schema" / SCHEMA_FILE, encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(guideline_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


# ---- rules beyond the schema ------------------------------------------------------------------

Rule = Callable[[dict[str, Any]], Iterator[FieldError]]
_RULES: list[Rule] = []


def _rule(fn: Rule) -> Rule:
    _RULES.append(fn)
    return fn


def _err(key: str, path: list[str | int], code: str, **params: Any) -> FieldError:
    return FieldError(Msg(key, params), code, pointer(path))


@_rule
def _posting_hours(doc: dict[str, Any]) -> Iterator[FieldError]:
    hours = doc["posting"]["hours"]
    base: list[str | int] = ["posting", "hours"]
    if hours["restricted"] and not hours["windows"]:
        yield _err("guideline.hours-windows-required", [*base, "windows"], "windows_required")
    if not hours["restricted"] and hours["windows"]:
        yield _err("guideline.hours-windows-unused", [*base, "windows"], "windows_unused")
    for index, window in enumerate(hours["windows"]):
        if window["start"] >= window["end"]:
            yield _err("guideline.hours-window-order", [*base, "windows", index, "end"], "window_order")


@_rule
def _approvers(doc: dict[str, Any]) -> Iterator[FieldError]:
    for path in (["posting", "approval"], ["opening", "application"]):
        section = doc[path[0]][path[1]]
        if section["required"] and section["approver_role"] is None:
            yield _err("guideline.approver-required", [*path, "approver_role"], "approver_required")
        if not section["required"] and section["approver_role"] is not None:
            yield _err("guideline.approver-unused", [*path, "approver_role"], "approver_unused")
    application = doc["opening"]["application"]
    if application["required"] and not application["kinds"]:
        yield _err("guideline.application-kinds-required", ["opening", "application", "kinds"], "kinds_required")


@_rule
def _continuation(doc: dict[str, Any]) -> Iterator[FieldError]:
    declaration = doc["renewal"]["continuation_declaration"]
    base: list[str | int] = ["renewal", "continuation_declaration"]
    if declaration["required"]:
        for name in ("deadline", "declared_to"):
            if declaration[name] is None:
                yield _err("guideline.declaration-incomplete", [*base, name], "declaration_incomplete")
        if not declaration["declared_by"]:
            yield _err("guideline.declaration-incomplete", [*base, "declared_by"], "declaration_incomplete")
    deadline = declaration["deadline"]
    # A deadline recurs every year, so it must exist in every year: 29 February does not.
    if deadline is not None and deadline["day"] > calendar.monthrange(2001, deadline["month"])[1]:
        yield _err("guideline.deadline-date", [*base, "deadline", "day"], "no_such_day", **deadline)


@_rule
def _announcement(doc: dict[str, Any]) -> Iterator[FieldError]:
    announcement = doc["closure"]["announcement"]
    base: list[str | int] = ["closure", "announcement"]
    period = announcement["period_days"]
    if announcement["required"] and period is None:
        yield _err("guideline.announcement-period-required", [*base, "period_days"], "period_required")
    if not announcement["required"] and announcement["points_days_before"]:
        yield _err("guideline.announcement-points-unused", [*base, "points_days_before"], "points_unused")
    if period is not None:
        for index, days in enumerate(announcement["points_days_before"]):
            if days > period:
                yield _err(
                    "guideline.announcement-point-beyond-period",
                    [*base, "points_days_before", index],
                    "point_beyond_period",
                    days=days,
                    period=period,
                )


@_rule
def _outsourcing(doc: dict[str, Any]) -> Iterator[FieldError]:
    outsourcing = doc["outsourcing"]
    seen: set[str] = set()
    for index, entry in enumerate(outsourcing["required_clauses"]):
        if entry["clause"] in seen:
            yield _err(
                "guideline.clause-repeated",
                ["outsourcing", "required_clauses", index, "clause"],
                "clause_repeated",
                clause=entry["clause"],
            )
        seen.add(entry["clause"])
    if not outsourcing["allowed"] and outsourcing["required_clauses"]:
        yield _err("guideline.clauses-without-outsourcing", ["outsourcing", "required_clauses"], "clauses_unused")


@_rule
def _immediate_closure(doc: dict[str, Any]) -> Iterator[FieldError]:
    immediate = doc["closure"]["immediate"]
    if immediate["allowed"] and not immediate["by"]:
        yield _err("guideline.immediate-without-roles", ["closure", "immediate", "by"], "roles_required")


@_rule
def _documents(doc: dict[str, Any]) -> Iterator[FieldError]:
    documents = doc["opening"]["required_documents"]
    for name, document in documents.items():
        if not document["required"] and document["items"]:
            yield _err(
                "guideline.items-without-document",
                ["opening", "required_documents", name, "items"],
                "items_unused",
            )
    usage = documents["usage_policy"]
    for index, item in enumerate(usage["publish_items"]):
        if item not in usage["items"]:
            yield _err(
                "guideline.publish-item-not-in-items",
                ["opening", "required_documents", "usage_policy", "publish_items", index],
                "publish_item_unknown",
                item=item,
            )


def document_errors(document: Any) -> list[FieldError]:
    """Every violation of a guideline configuration document (pointers relative to the document)."""
    errors = schema_errors(_validator(), document)
    if errors:
        # The cross-field rules read the structure the schema guarantees; with the schema
        # broken they would only repeat or guess. They run once it holds.
        return errors
    for rule in _RULES:
        errors.extend(rule(document))
    return errors


def _prefixed(errors: list[FieldError], prefix: str) -> list[FieldError]:
    return [FieldError(e.message, e.code, prefix + (e.pointer or ""), e.parameter, e.location) for e in errors]


def check_document(document: Any, prefix: str = "/document") -> None:
    if errors := document_errors(document):
        raise validation_failed(_prefixed(errors, prefix), problem="invalid-guideline")


# ---- versions ---------------------------------------------------------------------------------


def _versions(ctx: Ctx) -> GuidelineRepository:
    return GuidelineRepository(ctx.session, ctx.tenant_id)


async def tenant_today(session: AsyncSession, tenant_id: uuid.UUID, clock: Clock) -> dt.date:
    """Today in the tenant's time zone."""
    tenant = await tenant_of(session, tenant_id)
    return local_today(clock, tenant.time_zone)


def _author(ctx: Ctx) -> tuple[str, uuid.UUID | None]:
    """Who records a version: the caller, or "system" when a command loads a preset."""
    if ctx.access.system:
        return "system", None
    return ctx.access.label, ctx.principal.id


async def create_version(
    ctx: Ctx,
    *,
    document: dict[str, Any],
    reason: str,
    effective_from: dt.date | None = None,
    allow_unchanged: bool = False,
) -> GuidelineVersion:
    """Record a new version (applying from today in the tenant's time zone unless `effective_from`
    says otherwise); what the configuration schedules follows it."""
    effective_from = effective_from or await tenant_today(ctx.session, ctx.tenant_id, ctx.clock)
    check_document(document)
    repo = _versions(ctx)
    latest = await repo.latest()
    if (
        latest is not None
        and not allow_unchanged
        and latest.document == document
        and latest.effective_from == effective_from
    ):
        raise conflict("conflict.guideline-unchanged", version=latest.version)
    created_by, created_by_id = _author(ctx)
    row = repo.add(
        GuidelineVersion(
            id=uuid7(),
            tenant_id=ctx.tenant_id,
            version=(latest.version + 1) if latest else 1,
            document=document,
            reason=reason,
            effective_from=effective_from,
            created_by=created_by,
            created_by_id=created_by_id,
            created_at=ctx.now(),
        )
    )
    await flush_or_conflict(ctx.session, conflict("conflict.guideline-version-race"))
    # Deadlines the configuration sets (the annual continuation declaration) follow it.
    await GUIDELINE_CHANGED.publish(GuidelineChanged(ctx.session, ctx.tenant_id, ctx.now()))
    return row


async def latest_version(ctx: Ctx) -> GuidelineVersion | None:
    return await _versions(ctx).latest()


async def latest_of(session: AsyncSession, tenant_id: uuid.UUID) -> GuidelineVersion | None:
    """The tenant's latest recorded version (whatever its effective date), for the system's own work."""
    return await GuidelineRepository(session, tenant_id).latest()


async def latest_number(ctx: Ctx) -> int:
    """The latest version's number (0 before the first): what an If-Match names."""
    latest = await latest_version(ctx)
    return latest.version if latest else 0


async def version_in_force(ctx: Ctx, on: dt.date | None = None) -> GuidelineVersion:
    """The version in force on `on` (today in the tenant's time zone if omitted), or the 404."""
    day = on or await tenant_today(ctx.session, ctx.tenant_id, ctx.clock)
    return await _versions(ctx).in_force_or_404(day)


async def list_versions(ctx: Ctx, before: int | None, limit: int) -> tuple[list[GuidelineVersion], bool]:
    return await _versions(ctx).newest_first(before, limit)


async def in_force_on(
    session: AsyncSession, tenant_id: uuid.UUID, day: dt.date
) -> tuple[int | None, dict[str, Any] | None]:
    """The configuration in force on `day` (version, document); (None, None) before the first."""
    row = await GuidelineRepository(session, tenant_id).in_force(day)
    return (row.version, row.document) if row else (None, None)


async def in_force_today(
    session: AsyncSession, tenant_id: uuid.UUID, clock: Clock
) -> tuple[int | None, dict[str, Any] | None]:
    """The configuration in force today in the tenant's time zone (version, document)."""
    return await in_force_on(session, tenant_id, await tenant_today(session, tenant_id, clock))


async def get_version(ctx: Ctx, version: int) -> GuidelineVersion:
    return await _versions(ctx).by_number_or_404(version)


def diff(before: Any, after: Any, path: tuple[str | int, ...] = ()) -> list[GuidelineChange]:
    """The changes from `before` to `after`, each at a JSON Pointer.

    Objects are compared key by key; lists of the same length item by item; anything else
    that differs is one replacement.
    """
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[GuidelineChange] = []
        for key in sorted(set(before) | set(after)):
            here = (*path, key)
            if key not in after:
                changes.append(GuidelineChange(op="remove", path=pointer(here), before=before[key]))
            elif key not in before:
                changes.append(GuidelineChange(op="add", path=pointer(here), after=after[key]))
            else:
                changes.extend(diff(before[key], after[key], here))
        return changes
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [c for i, (b, a) in enumerate(zip(before, after, strict=True)) for c in diff(b, a, (*path, i))]
    return [GuidelineChange(op="replace", path=pointer(path), before=before, after=after)]
