"""Imports: an agency's existing register and records brought in at once.

A file (JSON, or the CSV of the agency's Excel register: `csv_file`) names units and accounts
already open, with their real opening day, how they came in, who runs them, their documents as
they stand, and their history (published posts, monitoring records, password changes).

- Everything is checked before anything is written, and every error is answered at once: a JSON
  Pointer into the JSON file, or the row (the file's line, the headings being row 1) and column of
  the CSV. A dry run stops there; it answers what a real run would do by doing it inside a
  savepoint that is rolled back, so its counts are exact and nothing remains.
- A real run is one transaction: all or nothing.
- Running the same file again changes nothing: an account is matched to the register by its
  normalised URL key (the accounts domain's `parse_account`), a live account there is left as it
  is (counted `already_present`) and only history not recorded yet is added to it; a history entry
  is matched by its natural key (a post by account, time and URL; a monitoring record by account,
  day and findings; a password change by account and day).
- Units: an account's unit must exist (by its code) or be listed in the file's `units`, which are
  created when no unit has their code (a unit already there is left as it is). The CSV lists no
  units: an unknown code is an error.
- An imported account opens as an approved one does: ACCOUNT_OPENED with the configuration in
  force, after its history is in, so its renewal round, rotation, monitoring, inactivity and
  reviews count from its latest records (or its opening day).
- History goes in set-based (one statement per 20,000 rows), not row by row: those rows are not in
  the audit trail one by one; the run itself is (`imports`, with its summary and the file's digest).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from service.accounts import service as accounts
from service.accounts.models import Account, AccountOrigin
from service.accounts.urls import AccountRef, UnrecognisedAccount, parse_account
from service.guidelines import service as guidelines
from service.imports.models import ImportFormat, ImportRun
from service.imports.repository import ImportsRepository
from service.imports.schemas import (
    AccountImport,
    Counts,
    DocumentImport,
    ImportFile,
    ImportSummary,
    UnitImport,
)
from service.kit.calendar import start_of_day
from service.kit.context import Ctx
from service.kit.errors import FieldError, Msg, ProblemError, validation_failed
from service.kit.i18n import Lang
from service.kit.ids import uuid7
from service.kit.validation import body_errors, nul_errors
from service.monitoring import service as monitoring
from service.posts import service as posts
from service.posts.models import Decision
from service.security import service as security
from service.tenants import service as tenants
from service.tenants.models import Unit
from service.tenants.schemas import UnitCreate
from service.users import service as users

# What stands for a document's items an agency has written elsewhere (a `complete` document).
WRITTEN_ELSEWHERE = "（既存の文書に記載）"


@dataclass(frozen=True, slots=True)
class RowError(FieldError):
    """An error in a CSV file: its row (the file's line; the headings are row 1) and column."""

    row: int = 0
    column: str | None = None

    def render(self, lang: Lang) -> dict[str, Any]:
        out = FieldError.render(self, lang)
        out["row"] = self.row
        if self.column is not None:
            out["column"] = self.column
        return out


# Where an error of an account's field is: a JSON Pointer, or a CSV row and column.
Locate = Callable[[Msg, str, str], FieldError]


def _json_locate(prefix: str) -> Locate:
    return lambda message, code, name: FieldError(message, code, f"{prefix}/{name}" if name else prefix)


# ---- the CSV of an agency's register ------------------------------------------------------------------

# Heading -> field. The first five are required; the others may be left out (or blank).
COLUMNS: dict[str, str] = {
    "所属コード": "unit_code",
    "アカウント名": "display_name",
    "URL": "url",
    "開設日": "opened_on",
    "運用主体": "operating_body",
    "プラットフォーム": "platform",
    "利用目的": "purpose",
    "運用管理者": "manager",
    "運用担当者": "operators",
    "開設時の協議": "origin",
    "利用方針": "usage_policy",
    "運用マニュアル": "operations_manual",
    "アカウントポリシー": "account_policy",
    "アカウントポリシーURL": "account_policy_url",
    "登録メールアドレス": "signup_mailbox",
}
REQUIRED_COLUMNS = ("所属コード", "アカウント名", "URL", "開設日", "運用主体")
HEADING_OF = {name: heading for heading, name in COLUMNS.items()}
PLATFORMS = {
    "x": "x", "twitter": "x", "x（旧twitter）": "x", "x(旧twitter)": "x", "facebook": "facebook",
    "フェイスブック": "facebook", "instagram": "instagram", "インスタグラム": "instagram", "youtube": "youtube",
    "ユーチューブ": "youtube", "line": "line", "ライン": "line", "tiktok": "tiktok", "ティックトック": "tiktok",
    "その他": "other", "other": "other",
}  # fmt: skip
BODIES = {
    "直営": "direct", "direct": "direct", "業務委託": "outsourced", "委託": "outsourced", "outsourced": "outsourced",
    "実行委員会": "committee", "committee": "committee", "指定管理": "designated_manager",
    "指定管理者": "designated_manager", "designated_manager": "designated_manager",
}  # fmt: skip
ORIGINS = {
    "あり": "import", "有": "import", "import": "import", "なし": "import_without_consultation",
    "無": "import_without_consultation", "import_without_consultation": "import_without_consultation",
    "ガイドライン制定前": "import_before_guideline", "制定前": "import_before_guideline",
    "import_before_guideline": "import_before_guideline",
}  # fmt: skip
DOCUMENT_STATES = {
    "あり": "complete", "有": "complete", "作成済": "complete", "complete": "complete", "一部": "partial",
    "partial": "partial", "なし": "none", "無": "none", "未作成": "none", "none": "none",
}  # fmt: skip
_SEPARATORS = re.compile(r"[;；,、，\s]+")


def _decode_text(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), else Shift_JIS as Excel writes it in Japan."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise validation_failed([FieldError(Msg("imports.csv-encoding"), "unreadable_csv")])


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.replace("/", "-").replace(".", "-"))
    except ValueError:
        match = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", value)
        if match is None:
            return None
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None


def csv_file(raw: bytes) -> tuple[ImportFile, list[Locate], list[FieldError]]:
    """The accounts of a CSV register (one row per account), how to locate each one's errors,
    and every error of the file's own (headings, values) at once."""
    rows = list(csv.reader(io.StringIO(_decode_text(raw))))
    errors: list[FieldError] = []
    if not rows:
        raise validation_failed([FieldError(Msg("imports.csv-empty"), "empty_csv")])
    headings = [h.strip() for h in rows[0]]
    for heading in REQUIRED_COLUMNS:
        if heading not in headings:
            errors.append(RowError(Msg("imports.csv-missing-column", {"column": heading}), "missing_column", row=1,
                                   column=heading))  # fmt: skip
    for heading in headings:
        if heading and heading not in COLUMNS:
            errors.append(RowError(Msg("imports.csv-unknown-column", {"column": heading}), "unknown_column", row=1,
                                   column=heading))  # fmt: skip
    if errors:
        raise validation_failed(errors)
    found: list[AccountImport] = []
    locators: list[Locate] = []
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {COLUMNS[h]: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(headings) if h}

        def locate(message: Msg, code: str, name: str, line: int = line) -> FieldError:
            return RowError(message, code, row=line, column=HEADING_OF.get(name.split("/")[0]))

        def bad(
            name: str, allowed: dict[str, str] | None = None, locate: Locate = locate, values: dict[str, str] = values
        ) -> None:
            params = {"column": HEADING_OF[name], "value": values.get(name, "")}
            if allowed is not None:
                params["allowed"] = "、".join(dict.fromkeys(k for k in allowed if not k.isascii()))
            errors.append(locate(Msg("imports.csv-bad-value" if allowed else "imports.csv-bad-date", params),
                                 "invalid_value", name))  # fmt: skip

        missing = [name for name in ("unit_code", "display_name", "url", "opened_on", "operating_body")
                   if not values.get(name)]  # fmt: skip
        for name in missing:
            errors.append(locate(Msg("field.required", {"name": HEADING_OF[name]}), "required", name))
        opened_on = _date(values.get("opened_on", "")) if values.get("opened_on") else None
        if values.get("opened_on") and opened_on is None:
            bad("opened_on")
        mapped: dict[str, Any] = {}
        for name, table in (("platform", PLATFORMS), ("operating_body", BODIES), ("origin", ORIGINS)):
            value = values.get(name, "")
            if value:
                if value.lower() not in table:
                    bad(name, table)
                else:
                    mapped[name] = table[value.lower()]
        documents: dict[str, DocumentImport] = {}
        for kind in ("usage_policy", "operations_manual", "account_policy"):
            value = values.get(kind, "")
            if not value:
                continue
            if value.lower() not in DOCUMENT_STATES:
                bad(kind, DOCUMENT_STATES)
                continue
            state = DOCUMENT_STATES[value.lower()]
            if state != "none":
                url = values.get("account_policy_url") or None if kind == "account_policy" else None
                documents[kind] = DocumentImport(state=state, public_url=url, disclosed_on_account=bool(url))  # type: ignore[arg-type]
        if (
            missing
            or (values.get("opened_on") and opened_on is None)
            or len(mapped) < sum(1 for n in ("platform", "operating_body", "origin") if values.get(n))
        ):
            continue
        try:
            account = msgspec.convert(
                {
                    "unit_code": values["unit_code"],
                    "url": values["url"],
                    "display_name": values["display_name"],
                    "operating_body": mapped["operating_body"],
                    "opened_on": opened_on,
                    "origin": mapped.get("origin", "import"),
                    "platform": mapped.get("platform"),
                    "purpose": values.get("purpose", ""),
                    "manager": values.get("manager") or None,
                    "operators": [p for p in _SEPARATORS.split(values.get("operators", "")) if p],
                    "signup_mailbox": values.get("signup_mailbox") or None,
                },
                AccountImport,
            )
        except msgspec.ValidationError as exc:
            name = next((n for n in COLUMNS.values() if f"`$.{n}" in str(exc)), "")
            errors.append(locate(Msg("field.invalid", {"reason": str(exc)}), "invalid_value", name))
            continue
        found.append(msgspec.structs.replace(account, documents=documents))
        locators.append(locate)
    return ImportFile(accounts=found), locators, errors


def json_file(raw: bytes) -> tuple[ImportFile, list[Locate]]:
    """The JSON file, every violation of its shape answered at once."""
    try:
        data = msgspec.json.decode(raw, type=ImportFile, strict=True)
    except msgspec.ValidationError:  # the file's shape: every violation, by the slower schema check
        document = msgspec.json.decode(raw)
        errors = body_errors(ImportFile, raw, document) or [FieldError(Msg("detail.malformed-json"), "invalid")]
        raise validation_failed(errors) from None
    except msgspec.DecodeError as exc:
        raise ProblemError("malformed-body", Msg("detail.malformed-json")) from exc
    if b"\\u0000" in raw and (errors := nul_errors(raw, msgspec.json.decode(raw))):
        raise validation_failed(errors)
    return data, [_json_locate(f"/accounts/{i}") for i in range(len(data.accounts))]


# ---- checking the whole file ---------------------------------------------------------------------------


@dataclass
class Planned:
    """An account of the file as checked: its ref, its unit and people resolved; `existing` when the
    register has it live already."""

    data: AccountImport
    ref: AccountRef
    unit_code: str
    manager_id: uuid.UUID | None
    operator_ids: list[uuid.UUID]
    existing: Account | None = None


@dataclass
class Plan:
    units: list[UnitImport] = field(default_factory=list)  # to create, parents first
    known_units: dict[str, Unit] = field(default_factory=dict)
    accounts: list[Planned] = field(default_factory=list)
    present_units: int = 0


async def check(ctx: Ctx, data: ImportFile, locators: list[Locate], errors: list[FieldError]) -> Plan:
    """Every rule of the file against the register, each broken one an error (all at once)."""
    tenant = await tenants.tenant_of(ctx.session, ctx.tenant_id)
    zone = ZoneInfo(tenant.time_zone)
    now = ctx.now()
    today = now.astimezone(zone).date()
    plan = Plan(known_units=await tenants.units_by_code(ctx))
    listed: dict[str, UnitImport] = {}
    for i, unit in enumerate(data.units):
        if unit.code in listed:
            errors.append(
                FieldError(Msg("imports.duplicate-unit", {"code": unit.code}), "duplicate", f"/units/{i}/code")
            )
            continue
        listed[unit.code] = unit
        if unit.code in plan.known_units:
            plan.present_units += 1
    for i, unit in enumerate(data.units):
        if unit.parent_code is None or unit.code in plan.known_units:
            continue
        parent = listed.get(unit.parent_code)
        known = plan.known_units.get(unit.parent_code)
        if (
            (parent is None and known is None)
            or (parent is not None and parent.parent_code is not None)
            or (known is not None and known.parent_id is not None)
        ):
            errors.append(FieldError(Msg("imports.unknown-parent", {"code": unit.parent_code}), "unknown_parent",
                                     f"/units/{i}/parent_code"))  # fmt: skip
    new_units = [u for u in listed.values() if u.code not in plan.known_units]
    plan.units = sorted(new_units, key=lambda u: u.parent_code is not None)
    codes = set(plan.known_units) | set(listed)

    names = {p for a in data.accounts for p in [a.manager, *a.operators] if p}
    people = await users.active_by_names(ctx.session, ctx.tenant_id, names)
    seen: dict[str, int] = {}
    for i, (account, locate) in enumerate(zip(data.accounts, locators, strict=True)):
        bad = len(errors)
        if account.unit_code not in codes:
            errors.append(locate(Msg("imports.unknown-unit", {"code": account.unit_code}), "unknown_unit", "unit_code"))
        try:
            ref = parse_account(account.url, account.platform)
        except UnrecognisedAccount as exc:
            errors.append(locate(Msg("account.unrecognised", {"reason": exc.message}), "unrecognised_account", "url"))
            continue
        if ref.key in seen:
            errors.append(locate(Msg("imports.duplicate-account", {"first": seen[ref.key] + 1}), "duplicate", "url"))
        seen.setdefault(ref.key, i)
        if account.manager and account.manager.lower() not in people:
            errors.append(locate(Msg("imports.unknown-user", {"name": account.manager}), "unknown_user", "manager"))
        for j, name in enumerate(account.operators):
            if name.lower() not in people:
                errors.append(locate(Msg("imports.unknown-user", {"name": name}), "unknown_user", f"operators/{j}"))
        if account.opened_on > today:
            errors.append(locate(Msg("field.future-date"), "in_the_future", "opened_on"))
        opened_at = dt.datetime.combine(account.opened_on, dt.time(), zone)
        for j, post in enumerate(account.posts):
            if post.published_at.tzinfo is None:
                errors.append(locate(Msg("imports.no-offset"), "no_offset", f"posts/{j}/published_at"))
            elif post.published_at > now:
                errors.append(locate(Msg("field.future-date"), "in_the_future", f"posts/{j}/published_at"))
            elif post.published_at < opened_at:
                errors.append(locate(Msg("imports.before-opening"), "before_opening", f"posts/{j}/published_at"))
        for j, look in enumerate(account.monitoring):
            if look.monitored_on > today:
                errors.append(locate(Msg("field.future-date"), "in_the_future", f"monitoring/{j}/monitored_on"))
        for j, change in enumerate(account.password_changes):
            if change.changed_on > today:
                errors.append(locate(Msg("field.future-date"), "in_the_future", f"password_changes/{j}/changed_on"))
        if len(errors) == bad:
            plan.accounts.append(
                Planned(
                    account, ref, account.unit_code,
                    people.get(account.manager.lower()) if account.manager else None,
                    [people[p.lower()] for p in account.operators],
                )
            )  # fmt: skip

    present = await accounts.live_by_keys(ctx.session, ctx.tenant_id, [p.ref for p in plan.accounts])
    fresh = []
    for planned in plan.accounts:
        planned.existing = present.get(planned.ref.key)
        if planned.existing is None:
            fresh.append(planned)
    # One query for the whole file; only where something is held elsewhere, account by account.
    if await accounts.any_held_live(ctx.session, [p.ref for p in fresh]):
        index = {id(a): i for i, a in enumerate(data.accounts)}
        for planned in fresh:
            taken = await accounts.holder_conflict(ctx.session, planned.ref, None)
            if taken is not None:
                holder = taken.extensions["holder"]
                locate = locators[index[id(planned.data)]]
                errors.append(locate(Msg("imports.held-elsewhere", {"holder": holder["name_ja"]}), "account_registered",
                                     "url"))  # fmt: skip
    return plan


# ---- doing it ------------------------------------------------------------------------------------------


def _document(kind: str, document: DocumentImport, config: dict[str, Any]) -> accounts.ImportedDocument:
    items = dict(document.items)
    if document.state == "complete":
        rule = config.get("opening", {}).get("required_documents", {}).get(kind) or {}
        for item in rule.get("items", []):
            if not (items.get(item) or "").strip():
                items[item] = WRITTEN_ELSEWHERE
    return accounts.ImportedDocument(kind, items, document.public_url, document.disclosed_on_account)


async def apply(ctx: Ctx, plan: Plan, fmt: ImportFormat) -> ImportSummary:
    """Write what the plan holds (the file was checked: nothing here refuses)."""
    session, now = ctx.session, ctx.now()
    tenant = await tenants.tenant_of(session, ctx.tenant_id)
    _, config = await guidelines.in_force_today(session, ctx.tenant_id, ctx.clock)
    config = config or {}
    label = f"import:{ctx.access.label}"
    units = dict(plan.known_units)
    for unit in plan.units:
        parent = units[unit.parent_code].id if unit.parent_code else None
        units[unit.code] = await tenants.create_unit(
            ctx,
            UnitCreate(code=unit.code, name_ja=unit.name_ja, name_en=unit.name_en, parent_id=parent,
                       shared_mailbox=unit.shared_mailbox),
        )  # fmt: skip
    created: list[Account] = []
    post_rows: list[tuple[uuid.UUID, dt.datetime, str | None, Decision, str]] = []
    look_rows: list[tuple[uuid.UUID, dt.date, bool, str]] = []
    change_rows: list[tuple[uuid.UUID, dt.date, bool, str]] = []
    touched: list[tuple[Account, AccountImport]] = []
    for planned in plan.accounts:
        data = planned.data
        account = planned.existing
        if account is None:
            latest_change = max(data.password_changes, key=lambda c: c.changed_on, default=None)
            latest_look = max((m.monitored_on for m in data.monitoring), default=None)
            account = accounts.add_imported(
                session,
                ctx.tenant_id,
                accounts.ImportedAccount(
                    ref=planned.ref, unit_id=units[planned.unit_code].id, display_name=data.display_name,
                    purpose=data.purpose, operating_body=data.operating_body, manager_id=planned.manager_id,
                    operator_ids=planned.operator_ids, signup_mailbox=data.signup_mailbox,
                    verified_badge=data.verified_badge, profile_links_register=data.profile_links_register,
                    opened_on=data.opened_on, origin=AccountOrigin(data.origin),
                    documents=[_document(k, d, config) for k, d in data.documents.items() if d.state != "none"],
                    last_post_at=max((p.published_at for p in data.posts), default=None),
                    last_monitored_at=start_of_day(latest_look, tenant.time_zone) if latest_look else None,
                    last_password_change_at=(
                        start_of_day(latest_change.changed_on, tenant.time_zone) if latest_change else None
                    ),
                    password_policy_met=latest_change.meets_policy if latest_change else None,
                ),
                now,
            )  # fmt: skip
            created.append(account)
        elif data.posts or data.monitoring or data.password_changes:
            touched.append((account, data))
        post_rows += [(account.id, p.published_at, p.url, p.decision, p.text) for p in data.posts]
        look_rows += [(account.id, m.monitored_on, m.issues_found, m.findings) for m in data.monitoring]
        change_rows += [(account.id, c.changed_on, c.meets_policy, c.note) for c in data.password_changes]
    await session.flush()
    counts = {
        "posts": (len({(a, t, u) for a, t, u, *_ in post_rows}),
                  await posts.record_published(session, ctx.tenant_id, post_rows, label, now)),
        "monitoring_records": (len({(a, d, f) for a, d, _, f in look_rows}),
                               await monitoring.record_history(session, ctx.tenant_id, look_rows, label, now)),
        "password_changes": (len({(a, d) for a, d, *_ in change_rows}),
                             await security.record_history(session, ctx.tenant_id, change_rows, label, now)),
    }  # fmt: skip
    for account in created:
        await accounts.opened_by_import(session, account, config, now)
    for account, data in touched:
        await _history_added(ctx, account, data, config, tenant.time_zone)
    return ImportSummary(
        dry_run=False,
        format=fmt,
        units=Counts(created=len(plan.units), already_present=plan.present_units),
        accounts=Counts(created=len(created), already_present=len(plan.accounts) - len(created)),
        posts=_counts(*counts["posts"]),
        monitoring_records=_counts(*counts["monitoring_records"]),
        password_changes=_counts(*counts["password_changes"]),
    )


def _counts(total: int, added: int) -> Counts:
    return Counts(created=added, already_present=total - added)


async def _history_added(ctx: Ctx, account: Account, data: AccountImport, config: dict[str, Any], zone: str) -> None:
    """An account already in the register got history from the file: its latest post, look and
    change move forward where the file's are newer, and the reminders counted from them follow."""
    session, now = ctx.session, ctx.now()
    if data.posts:
        await accounts.record_post_time(session, account, max(p.published_at for p in data.posts), ctx.clock)
    if data.monitoring:
        looked = start_of_day(max(m.monitored_on for m in data.monitoring), zone)
        if account.last_monitored_at is None or looked > account.last_monitored_at:
            account.last_monitored_at = looked
        await monitoring.rescheduled(session, account, config, now)
    if data.password_changes:
        latest = max(data.password_changes, key=lambda c: c.changed_on)
        changed = start_of_day(latest.changed_on, zone)
        if account.last_password_change_at is None or changed > account.last_password_change_at:
            account.last_password_change_at = changed
        await security.rescheduled(session, account, config, now)
    await session.flush()


async def run(
    ctx: Ctx, raw: bytes, media_type: str, *, dry_run: bool, progress: Callable[[str], None] | None = None
) -> ImportSummary:
    """Check the whole file, then (unless a dry run) import it in the request's one transaction.
    `progress` hears each step as it ends (read, checked, written), for a command's progress bar."""
    step = progress or (lambda _: None)
    if media_type in {"text/csv", "application/csv"}:
        fmt = ImportFormat.CSV
        data, locators, errors = csv_file(raw)
    elif media_type == "application/json" or media_type.endswith("+json"):
        fmt = ImportFormat.JSON
        data, locators = json_file(raw)
        errors = []
    else:
        raise ProblemError(
            "unsupported-media-type", Msg("imports.unsupported-media-type", {"received": media_type or "(none)"})
        )
    step("read")
    plan = await check(ctx, data, locators, errors)
    if errors:
        raise validation_failed(errors)
    step("checked")
    if dry_run:
        savepoint = await ctx.session.begin_nested()
        try:
            summary = await apply(ctx, plan, fmt)
        finally:
            await savepoint.rollback()
        step("written")
        return msgspec.structs.replace(summary, dry_run=True)
    summary = await apply(ctx, plan, fmt)
    step("written")
    run_row = ImportsRepository(ctx.session, ctx.tenant_id).add(
        ImportRun(
            id=uuid7(), tenant_id=ctx.tenant_id, format=fmt, digest=hashlib.sha256(raw).hexdigest(),
            summary=msgspec.to_builtins(summary), imported_by=ctx.access.label, created_at=ctx.now(),
        )
    )  # fmt: skip
    await ctx.session.flush()
    return msgspec.structs.replace(summary, import_id=run_row.id)
