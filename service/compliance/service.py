"""The compliance report: the audit's tables (004 表1–表18) and every finding, computed from the records.

The definitions (the issue's, applied exactly; the report's legend states them to its readers):

- the accounts counted are those opened on or before `as_of` and not closed by then; the window is
  the `window_days` local days ending on `as_of` (its last day);
- posting frequency (表11), from the posts published in the window, the first that holds:
  `two_or_more_daily` (on average 2 or more a day), `daily` (posts on at least 5 days of every
  7-day block counted back from `as_of`), `weekly` (a post in every such block), `monthly` (a post
  in every 30-day block counted back), `irregular` (some posts), `none`. Only whole blocks inside
  the window count (a 90-day window holds 12 weeks and 3 months);
- monitoring (表14), from the records in the window: `daily` / `weekly` / `monthly` when no gap
  (from the window's first day to the first record, between records, from the last to `as_of`)
  exceeds 1 / 7 / 31 days (the shortest that holds); `irregular` with some records; `none`;
- password (表12): composition met when the latest recorded change was attested to meet the policy
  (none recorded: not met); changed yearly when a change lies within the 365 days before `as_of`;
- decision on posts (表13), from the posts published in the 365 days before `as_of`:
  `head_approval` when every one was approved, `pre_approved_range` when every one had a decision
  and one at least was within the range, `none` when any had none (no posts: `head_approval`, as
  nothing was published undecided);
- incidents (表15): any reported in the 365 days before `as_of`; agreements (表16–18): those in
  force on `as_of`.

Tables 1–3 count accounts. Tables 5–15 count units (機関, as the audit did) and, beside them,
accounts. A unit takes the most frequent class of its accounts for posting and monitoring (the
unit posts daily when one of its accounts does), and meets a requirement (documents, consultation,
password, decision) only when every one of its accounts does: a finding on any account is the
unit's. Tables 16–18 count agreements in force.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import msgspec

from service.compliance.models import (
    ComplianceSnapshot,
    Consultation,
    DocumentState,
    MonitoringFrequency,
    PostDecision,
    PostingFrequency,
)
from service.compliance.repository import MASK_DAYS, MASKS, ReportReader, SnapshotsRepository
from service.compliance.schemas import (
    AccountFindings,
    Cell,
    Column,
    ComplianceReport,
    Finding,
    FindingChange,
    LegendEntry,
    Row,
    SnapshotComparison,
    SnapshotCreate,
    Table,
    TrainingHeld,
    UnitFindings,
)
from service.guidelines import service as guidelines
from service.kit.calendar import fiscal_year, start_of_day
from service.kit.context import Ctx
from service.kit.errors import FieldError, Msg, validation_failed
from service.kit.i18n import Lang, text
from service.kit.ids import uuid7
from service.tenants import service as tenants
from service.training import service as training

YEAR_DAYS = 365  # "the 365 days before as_of" (password change, decisions, incidents)
MIN_WINDOW, MAX_WINDOW = 7, 366
DAILY_DAYS_PER_WEEK = 5  # "posts on at least 5 of every 7 days"
MONITORING_GAPS = ((MonitoringFrequency.DAILY, 1), (MonitoringFrequency.WEEKLY, 7), (MonitoringFrequency.MONTHLY, 31))
MONITORING_ORDER = [*MonitoringFrequency]
POSTING_ORDER = [*PostingFrequency]
PLATFORMS = ("x", "facebook", "instagram", "youtube", "line", "tiktok", "other")
PLATFORM_LABELS = {
    "x": ("X（旧Twitter）", "X (Twitter)"), "facebook": ("Facebook", "Facebook"),
    "instagram": ("Instagram", "Instagram"), "youtube": ("YouTube", "YouTube"), "line": ("LINE", "LINE"),
    "tiktok": ("TikTok", "TikTok"), "other": ("その他", "Other"),
}  # fmt: skip
BODIES = (
    ("direct", "直営", "Run directly"),
    ("outsourced", "業務委託", "Outsourced"),
    ("committee", "団体（実行委員会等）", "Committee"),
    ("designated_manager", "指定管理", "Designated manager"),
)
AGREEMENT_KINDS = (("outsourcing", "委託事業", "Outsourcing"), ("designated_manager", "指定管理", "Designated manager"))
DOCUMENT_TABLES = {"usage_policy": 8, "operations_manual": 9, "account_policy": 10}
# 表16–18: the clause of the agreement (agreements.schemas.Clauses) and the configuration's name for it.
CLAUSE_TABLES = {
    16: ("security_policy_compliance", "security_policy_compliance"),
    17: ("copyright", "copyright_to_agency"),
    18: ("login_ids", "login_id_handling"),
}

TITLES: dict[int, tuple[str, str]] = {
    1: ("ソーシャルメディアの活用状況", "Use of social media by department and unit"),
    2: ("活用しているソーシャルメディアの種類", "Platforms in use"),
    3: ("公式アカウントの運用主体", "Who runs the official accounts"),
    5: ("ガイドラインの認知状況", "Units that acknowledged the guideline in force"),
    6: ("活用開始時期", "When units began to use social media (fiscal year)"),
    7: ("開設時における協議状況", "Consultation at opening"),
    8: ("利用方針の作成状況", "Usage policy made"),
    9: ("運用マニュアルの作成状況", "Operations manual made"),
    10: ("アカウント運用ポリシーの策定・開示状況", "Account policy made and disclosed"),
    11: ("情報発信の頻度", "Posting frequency"),
    12: ("パスワードの管理状況", "Password composition and yearly change"),
    13: ("情報発信内容の承認・事前承認状況", "Decision on posts"),
    14: ("モニタリングの実施状況", "Monitoring"),
    15: ("問題の発生状況", "Incidents"),
    16: ("情報セキュリティポリシー等の記載状況", "Agreements stating compliance with the security policy"),
    17: ("著作権等の取扱いに関する記載状況", "Agreements stating who owns the copyright"),
    18: ("事業終了後のログインIDの取扱いに関する記載状況", "Agreements stating the login IDs' fate at the end"),
}

# (table, code, label ja, label en, definition ja, definition en)
LEGEND: list[tuple[int, str, str, str, str, str]] = [
    (7, "consulted", "協議している", "Consulted",
     "申請が承認されて開設された、または協議の記録がある状態で取り込まれたアカウント。",
     "Opened through an approved application, or imported with a consultation on record."),
    (7, "not_consulted", "協議していない", "Not consulted",
     "協議の記録がないまま開設されたとして取り込まれたアカウント。",
     "Imported as opened without a recorded consultation."),
    (7, "before_guideline", "その他（ガイドライン策定前）", "Other (before the guideline)",
     "ガイドラインができる前に開設されたアカウント。協議の有無の集計から除く。",
     "Opened before the guideline existed; left out of the consulted / not consulted count."),
    (8, "made", "作成している", "Made",
     "文書が登録されている（記載項目が一部だけのものを含む。欠けた項目は指摘事項に出る）。",
     "The document is on record (a partial one included; its missing items are findings)."),
    (10, "disclosed", "開示", "Disclosed",
     "運用ポリシーが公開URLに掲載されているか、アカウント上に掲載されている。",
     "The account policy is published at a URL or shown on the account."),
    (11, "two_or_more_daily", "1日に2回以上", "Twice a day or more",
     "期間内の投稿数が1日平均2件以上。", "On average two or more posts a day in the window."),
    (11, "daily", "毎日", "Daily",
     "基準日からさかのぼって区切った7日ごとのどの区間でも、5日以上投稿がある。",
     "Posts on at least 5 days of every 7-day block counted back from the as-of date."),
    (11, "weekly", "週1回", "Weekly",
     "基準日からさかのぼって区切った7日ごとのどの区間にも投稿がある。",
     "A post in every 7-day block counted back from the as-of date."),
    (11, "monthly", "月1回", "Monthly",
     "基準日からさかのぼって区切った30日ごとのどの区間にも投稿がある。",
     "A post in every 30-day block counted back from the as-of date."),
    (11, "irregular", "不定期", "Irregular", "上のいずれでもないが、期間内に投稿がある。",
     "Some posts in the window, none of the above."),
    (11, "none", "発信していない", "No posts", "期間内に投稿がない。", "No post in the window."),
    (12, "met", "混在している", "Composition met",
     "最後に記録されたパスワード変更で、規則を満たすと申告されている（記録なしは満たさない）。",
     "The latest recorded change was attested to meet the policy (none recorded: not met)."),
    (12, "changed", "年1回の変更あり", "Changed within the year",
     "基準日までの365日の間にパスワード変更の記録がある。",
     "A change is recorded within the 365 days before the as-of date."),
    (13, "head_approval", "承認あり", "Approved",
     "基準日までの365日に公開した投稿がすべて承認を経ている。",
     "Every post published in the 365 days before the as-of date was approved."),
    (13, "pre_approved_range", "事前承認あり", "Pre-approved range",
     "すべての投稿に意思決定の記録があり、事前承認の範囲内で公開したものが1件以上ある。",
     "Every post had a decision, and at least one went out within the pre-approved range."),
    (13, "none", "意思決定なし", "No decision", "意思決定の記録がない投稿が1件以上ある。",
     "At least one post has no decision on record."),
    (14, "daily", "毎日", "Daily",
     "期間の初日から最初の記録、記録と記録の間、最後の記録から基準日までのどの間隔も1日以内。",
     "No gap (window start to first record, between records, last record to the as-of date) exceeds 1 day."),
    (14, "weekly", "週1回", "Weekly", "どの間隔も7日以内。", "No gap exceeds 7 days."),
    (14, "monthly", "月1回", "Monthly", "どの間隔も31日以内。", "No gap exceeds 31 days."),
    (14, "irregular", "不定期", "Irregular", "記録はあるが、上のいずれでもない。",
     "Some records, none of the above."),
    (14, "none", "行っていない", "None", "期間内に記録がない。", "No record in the window."),
    (15, "incident", "問題発生あり", "Incidents",
     "基準日までの365日にトラブルの報告がある。", "An incident reported in the 365 days before the as-of date."),
    (16, "stated", "記載あり", "Stated",
     "基準日に有効な契約に、その条項が記載されている（ログインIDは終了後の扱いまで）。",
     "The agreement in force on the as-of date states the clause (login IDs: with their fate at the end)."),
    (0, "unit", "機関の集計", "Counting units",
     "投稿頻度とモニタリングは所属アカウントのうち最も頻度の高いもの、その他の項目はすべてのアカウントが満たすときに満たすとする。",
     "Posting and monitoring: a unit's most frequent account; other items: met only when every account meets them."),
]  # fmt: skip

_PAGES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# ---- small helpers ---------------------------------------------------------------------------------


def percent(part: int, whole: int) -> Cell:
    """A percentage rounded half up to one decimal, printed as the audit prints it ("92.1%", "100%")."""
    if whole <= 0:
        return Cell(text="—")
    value = float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return Cell(percent=value, text="100%" if value == 100 else f"{value:.1f}%")


def count(n: int) -> Cell:
    return Cell(count=n, text=str(n))


DASH = Cell(text="—")


def rule_of(config: dict[str, Any], path: str) -> list[str]:
    """The basis the configuration gives for the rule at `path` (the nearest one up the path)."""
    node: Any = config
    basis: list[str] = list(config.get("basis", []) or [])
    for part in path.strip("/").split("/"):
        if not isinstance(node, dict) or part not in node:
            break
        node = node[part]
        if isinstance(node, dict) and node.get("basis"):
            basis = list(node["basis"])
    return basis


class Rules:
    """The configuration in force, and the findings made against it: values, one per (rule, params),
    shared by every subject that has it (tens of thousands of findings, few different ones)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self._made: dict[tuple[Any, ...], Finding] = {}

    def finding(self, code: str, path: str, table: int, *, basis: list[str] | None = None,
                subject_id: uuid.UUID | None = None, **params: Any) -> Finding:  # fmt: skip
        key = (code, path, table, subject_id, tuple(basis or ()), tuple(sorted(params.items())))
        found = self._made.get(key)
        if found is None:
            message = f"compliance.finding.{code}"
            found = self._made[key] = Finding(
                code=code,
                path=path,
                basis=basis if basis is not None else rule_of(self.config, path),
                message_ja=text(message, "ja", **params),
                message_en=text(message, "en", **params),
                table=table,
                subject_id=subject_id,
            )
        return found


WEEK_BITS, MONTH_BITS = (1 << 7) - 1, (1 << 30) - 1


def post_days(row: Any) -> int:
    """The days with a post, counted back from as_of, as one integer's bits (bit 0: as_of)."""
    days = 0
    for i in range(MASKS):
        mask = getattr(row, f"m{i}", None) if row is not None else None
        if mask:
            days |= (mask & ((1 << MASK_DAYS) - 1)) << (i * MASK_DAYS)
    return days


def classify_posting(posts: int, weeks: int, months: int, posted_weeks: int, daily_weeks: int,
                     posted_months: int, window_days: int) -> PostingFrequency:  # fmt: skip
    if posts >= 2 * window_days:
        return PostingFrequency.TWO_OR_MORE_DAILY
    if weeks and daily_weeks >= weeks:
        return PostingFrequency.DAILY
    if weeks and posted_weeks >= weeks:
        return PostingFrequency.WEEKLY
    if months and posted_months >= months:
        return PostingFrequency.MONTHLY
    return PostingFrequency.IRREGULAR if posts else PostingFrequency.NONE


def classify_monitoring(records: int, longest_gap: int | None) -> MonitoringFrequency:
    if not records:
        return MonitoringFrequency.NONE
    for frequency, gap in MONITORING_GAPS:
        if longest_gap is not None and longest_gap <= gap:
            return frequency
    return MonitoringFrequency.IRREGULAR


def classify_decision(undecided: int, in_range: int) -> PostDecision:
    """From the year's posts that had no decision and those published within the range (every
    other post was approved; with no post at all nothing was published undecided)."""
    if undecided:
        return PostDecision.NONE
    return PostDecision.PRE_APPROVED_RANGE if in_range else PostDecision.HEAD_APPROVAL


def one_offset(tz: str, first: dt.date, last: dt.date) -> bool:
    """Whether the zone keeps one UTC offset from the start of `first` to the end of `last`."""
    zone = ZoneInfo(tz)
    offsets = {
        dt.datetime.combine(first + dt.timedelta(days=n), dt.time(), tzinfo=zone).utcoffset()
        for n in range((last - first).days + 2)
    }
    return len(offsets) == 1


# ---- the report ------------------------------------------------------------------------------------


@dataclass
class _Account:
    row: Any
    classes: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    incidents: int = 0


@dataclass
class _Unit:
    row: Any
    department: uuid.UUID
    accounts: list[_Account] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


async def check_as_of(ctx: Ctx, as_of: dt.date | None, window_days: int) -> dt.date:
    """The report's day (today in the tenant's zone by default; never later), or a 422 naming the parameter."""
    today = await guidelines.tenant_today(ctx.session, ctx.tenant_id, ctx.clock)
    errors = []
    if as_of is not None and as_of > today:
        errors.append(FieldError(Msg("compliance.as-of-future"), "future", parameter="as_of", location="query"))
    if not MIN_WINDOW <= window_days <= MAX_WINDOW:
        errors.append(
            FieldError(
                Msg("compliance.window-days", {"min": MIN_WINDOW, "max": MAX_WINDOW}),
                "out_of_range",
                parameter="window_days",
                location="query",
            )
        )
    if errors:
        raise validation_failed(errors)
    return as_of or today


async def report(ctx: Ctx, as_of: dt.date | None = None, window_days: int = 90) -> ComplianceReport:
    """The report on `as_of` (default: today in the tenant's time zone) over a window of `window_days`."""
    session, tenant_id = ctx.session, ctx.tenant_id
    as_of = await check_as_of(ctx, as_of, window_days)
    tenant = await tenants.tenant_of(session, tenant_id)
    tz = tenant.time_zone
    version, document = await guidelines.in_force_on(session, tenant_id, as_of)
    config: dict[str, Any] = document or {}
    rules = Rules(config)
    reader = ReportReader(session, tenant_id)
    await reader.settle()
    window_from = as_of - dt.timedelta(days=window_days - 1)
    year_from = as_of - dt.timedelta(days=YEAR_DAYS)
    until = start_of_day(as_of + dt.timedelta(days=1), tz)

    units = {row.id: row for row in await reader.units()}
    required = {
        kind: list(rule.get("items", []))
        for kind, rule in config.get("opening", {}).get("required_documents", {}).items()
        if isinstance(rule, dict)
    }
    accounts = {row.id: _Account(row) for row in await reader.accounts(as_of, required)}
    weeks, months = window_days // 7, window_days // 30
    since = start_of_day(window_from, tz)
    posts = {
        r.account_id: r
        for r in await reader.posts(as_of, tz, since, until, fixed_offset=one_offset(tz, window_from, as_of))
    }
    decisions = {r.account_id: r for r in await reader.decisions(start_of_day(year_from, tz), until)}
    monitoring = {r.account_id: r for r in await reader.monitoring(window_from, as_of)}
    passwords = {r.account_id: r for r in await reader.passwords(as_of)}
    incidents = {r.account_id: r.incidents for r in await reader.incidents(start_of_day(year_from, tz), until)}
    agreements = await reader.agreements(as_of)

    for account_id, account in accounts.items():
        _classify_account(rules, account, posts.get(account_id),
                          decisions.get(account_id), monitoring.get(account_id), passwords.get(account_id),
                          incidents.get(account_id, 0), year_from, window_days, weeks, months)  # fmt: skip

    by_unit: dict[uuid.UUID, _Unit] = {}
    for unit_id, row in units.items():
        by_unit[unit_id] = _Unit(row, row.parent_id or unit_id)
    for account in accounts.values():
        by_unit[account.row.unit_id].accounts.append(account)
    counted = [u for u in by_unit.values() if u.accounts]
    for unit in counted:
        _classify_unit(unit)

    missing: list[int] = []
    if version is None:
        missing.append(5)  # no guideline in force on as_of: nothing to acknowledge
    else:
        knows = await training.acknowledging_units(session, tenant_id, version)
        for unit in counted:
            unit.classes["guideline"] = "acknowledged" if unit.row.id in knows else "not_acknowledged"
            if unit.row.id not in knows:
                unit.findings.append(rules.finding("guideline.not_acknowledged", "/source", 5, version=version))
    agreement_rows = _agreement_findings(rules, agreements, by_unit)
    held = await training.sessions_between(session, tenant_id, year_from, as_of)

    tables = [
        _table1(by_unit, units),
        _table2(accounts, counted),
        _table3(accounts),
        *([] if 5 in missing else [_class_table(5, counted, "guideline", [
            ("acknowledged", "知っている", "Acknowledged"), ("not_acknowledged", "知らない", "Not acknowledged")],
            with_accounts=False)]),
        _table6(counted),
        _table7(counted),
        _document_table(8, counted, "usage_policy"),
        _document_table(9, counted, "operations_manual"),
        _table10(counted),
        _class_table(11, counted, "posting", [
            (c.value, *_label(11, c.value)) for c in PostingFrequency]),
        _table12(counted),
        _table13(counted),
        _table14(counted),
        _class_table(15, counted, "incidents", [
            ("incident", "問題発生あり", "Incidents"), ("no_incident", "問題発生なし", "No incident")]),
        *[_clause_table(number, agreement_rows) for number in CLAUSE_TABLES],
    ]  # fmt: skip
    return ComplianceReport(
        tenant_id=tenant_id,
        as_of=as_of,
        window_days=window_days,
        window_from=window_from,
        guideline_version=version,
        generated_at=ctx.now(),
        accounts_counted=len(accounts),
        units_counted=len(counted),
        tables=tables,
        legend=[LegendEntry(*entry) for entry in LEGEND],
        accounts=[_account_read(a) for a in sorted(accounts.values(), key=lambda a: (str(a.row.unit_id), a.row.id))],
        units=[_unit_read(u) for u in sorted(by_unit.values(), key=lambda u: (u.row.code, u.row.id)) if u.accounts
               or u.findings],
        missing=missing,
        training=[TrainingHeld(t.held_on, t.title, str(t.kind), len(t.attendee_ids or [])) for t in held],
    )  # fmt: skip


def _label(table: int, code: str) -> tuple[str, str]:
    for number, key, ja, en, _, _ in LEGEND:
        if number == table and key == code:
            return ja, en
    return code, code


def _classify_account(rules: Rules, account: _Account, posts: Any,
                      decisions: Any, monitoring: Any, password: Any, incidents: int, year_from: dt.date,
                      window_days: int, weeks: int, months: int) -> None:  # fmt: skip
    row, classes, found = account.row, account.classes, account.findings
    # 表7
    consultation = {
        "import_without_consultation": Consultation.NOT_CONSULTED,
        "import_before_guideline": Consultation.BEFORE_GUIDELINE,
    }.get(row.origin, Consultation.CONSULTED)
    classes["consultation"] = consultation
    if consultation == Consultation.NOT_CONSULTED:
        found.append(rules.finding("consultation.none", "/opening/application", 7))
    # 表8–10
    config = rules.config
    required_documents = config.get("opening", {}).get("required_documents", {})
    for kind, table in DOCUMENT_TABLES.items():
        rule = required_documents.get(kind, {})
        lacking = getattr(row, kind)  # None: nothing written; "": nothing missing; else the missing items
        if lacking is None:
            state = DocumentState.NONE
        elif not lacking:
            state = DocumentState.COMPLETE
        else:
            state = DocumentState.PARTIAL
        classes[kind] = state
        path = f"/opening/required_documents/{kind}"
        if rule.get("required") and state == DocumentState.NONE:
            found.append(rules.finding("document.missing", path, table, document=kind))
        elif rule.get("required") and state == DocumentState.PARTIAL:
            missing = lacking.replace(",", ", ")
            found.append(rules.finding("document.incomplete", f"{path}/items", table, document=kind, items=missing))
        if kind == "account_policy":
            disclosed = state != DocumentState.NONE and bool(row.disclosed)
            classes["account_policy_disclosed"] = "disclosed" if disclosed else "not_disclosed"
            if state != DocumentState.NONE and not disclosed and rule.get("must_be_disclosed"):
                found.append(rules.finding("document.not_disclosed", f"{path}/must_be_disclosed", 10))
    # 表11
    days = post_days(posts)
    posted_weeks = daily_weeks = posted_months = 0
    if days:
        for w in range(weeks):
            chunk = (days >> (7 * w)) & WEEK_BITS
            if chunk:
                posted_weeks += 1
                daily_weeks += chunk.bit_count() >= DAILY_DAYS_PER_WEEK
        posted_months = sum(1 for m in range(months) if (days >> (30 * m)) & MONTH_BITS)
    frequency = classify_posting(int(posts.posts) if posts else 0, weeks, months, posted_weeks, daily_weeks,
                                 posted_months, window_days)  # fmt: skip
    classes["posting"] = frequency
    if frequency == PostingFrequency.NONE:
        found.append(rules.finding("posting.none", "/inactivity", 11, days=window_days))
    # 表12
    met = bool(password and password.meets_policy)
    changed = bool(password and password.last_changed_on >= year_from)
    classes["composition"] = "met" if met else "not_met"
    classes["yearly_change"] = "changed" if changed else "not_changed"
    if not met:
        found.append(rules.finding("password.composition_not_met", "/security/account_password", 12))
    if not changed:
        found.append(rules.finding("password.not_changed_yearly", "/security/account_password/rotation", 12))
    # 表13
    decision = classify_decision(int(decisions.undecided) if decisions else 0,
                                 int(decisions.in_range) if decisions else 0)  # fmt: skip
    classes["decision"] = decision
    if decision == PostDecision.NONE:
        found.append(rules.finding("decision.none", "/posting/approval", 13, posts=int(decisions.undecided)))
    # 表14
    watched = classify_monitoring(int(monitoring.records) if monitoring else 0,
                                  int(monitoring.longest_gap) if monitoring else None)  # fmt: skip
    classes["monitoring"] = watched
    required = config.get("monitoring", {}).get("frequency")
    if required in MONITORING_ORDER and MONITORING_ORDER.index(watched) > MONITORING_ORDER.index(required):
        found.append(rules.finding("monitoring.below", "/monitoring/frequency", 14, required=required, actual=watched))
    # 表15 (not a finding: a fact)
    account.incidents = incidents
    classes["incidents"] = "incident" if incidents else "no_incident"


def _classify_unit(unit: _Unit) -> None:
    """A unit's classes from its accounts' (see the module's docstring)."""
    classes = [a.classes for a in unit.accounts]
    c = unit.classes
    consultations = {x["consultation"] for x in classes}
    if consultations == {Consultation.BEFORE_GUIDELINE}:
        c["consultation"] = Consultation.BEFORE_GUIDELINE
    else:
        c["consultation"] = (
            Consultation.NOT_CONSULTED if Consultation.NOT_CONSULTED in consultations else Consultation.CONSULTED
        )
    for kind in DOCUMENT_TABLES:
        states = {x[kind] for x in classes}
        c[kind] = next(s for s in (DocumentState.NONE, DocumentState.PARTIAL, DocumentState.COMPLETE)
                       if s in states or s == DocumentState.COMPLETE)  # fmt: skip
    c["account_policy_disclosed"] = (
        "disclosed" if all(x["account_policy_disclosed"] == "disclosed" for x in classes) else "not_disclosed"
    )
    c["posting"] = min((x["posting"] for x in classes), key=POSTING_ORDER.index)
    c["monitoring"] = min((x["monitoring"] for x in classes), key=MONITORING_ORDER.index)
    c["composition"] = "met" if all(x["composition"] == "met" for x in classes) else "not_met"
    c["yearly_change"] = "changed" if all(x["yearly_change"] == "changed" for x in classes) else "not_changed"
    decisions = {x["decision"] for x in classes}
    c["decision"] = next(d for d in (PostDecision.NONE, PostDecision.PRE_APPROVED_RANGE, PostDecision.HEAD_APPROVAL)
                         if d in decisions or d == PostDecision.HEAD_APPROVAL)  # fmt: skip
    c["incidents"] = "incident" if any(a.incidents for a in unit.accounts) else "no_incident"
    opened = [a.row.opened_on for a in unit.accounts if a.row.opened_on]
    if opened:
        c["started"] = str(fiscal_year(min(opened)))


def _clause_stated(clauses: dict[str, Any], clause: str) -> bool:
    entry = clauses.get(clause) or {}
    if not entry.get("stated"):
        return False
    return clause != "login_ids" or entry.get("at_end") is not None


def _agreement_findings(rules: Rules, agreements: Sequence[Any], by_unit: dict[uuid.UUID, _Unit]) -> list[Any]:
    config = rules.config
    required = {
        c.get("clause"): list(c.get("basis", [])) for c in config.get("outsourcing", {}).get("required_clauses", [])
    }
    counted = []
    for agreement in agreements:
        if agreement.kind not in {kind for kind, _, _ in AGREEMENT_KINDS}:
            continue
        counted.append(agreement)
        unit = by_unit.get(agreement.unit_id)
        if unit is None:
            continue
        for table, (clause, configured) in CLAUSE_TABLES.items():
            if not _clause_stated(agreement.clauses or {}, clause):
                unit.findings.append(rules.finding(
                    "agreement.clause_missing", "/outsourcing/required_clauses", table,
                    basis=required.get(configured) or rule_of(config, "/outsourcing"), subject_id=agreement.id,
                    clause=clause, reference=agreement.reference,
                ))  # fmt: skip
                unit.classes.setdefault(f"agreement_{table}", "not_stated")
    return counted


# ---- the tables ------------------------------------------------------------------------------------

UNIT_COLUMNS = [
    Column("units", "機関数", "Units"), Column("units_pct", "割合", "%"),
    Column("accounts", "アカウント数", "Accounts"), Column("accounts_pct", "割合（アカウント）", "% of accounts"),
]  # fmt: skip


def _title(number: int) -> tuple[str, str]:
    return TITLES[number]


def _class_row(key: str, ja: str, en: str, units: int, unit_total: int, accounts: int | None = None,
               account_total: int = 0, *, total: bool = False, pct: bool = True) -> Row:  # fmt: skip
    cells = {"units": count(units), "units_pct": percent(units, unit_total) if pct else DASH}
    if accounts is not None:
        cells |= {"accounts": count(accounts), "accounts_pct": percent(accounts, account_total) if pct else DASH}
    return Row(key, ja, en, cells, total=total)


def _class_table(number: int, units: list[_Unit], name: str, classes: list[tuple[str, str, str]], *,
                 with_accounts: bool = True) -> Table:  # fmt: skip
    unit_counts = Counter(u.classes.get(name) for u in units)
    accounts = [a for u in units for a in u.accounts]
    account_counts = Counter(a.classes.get(name) for a in accounts)
    nu, na = len(units), len(accounts)
    rows = [
        _class_row(code, ja, en, unit_counts[code], nu, account_counts[code] if with_accounts else None, na)
        for code, ja, en in classes
    ]
    rows.append(_class_row("total", "計", "Total", nu, nu, na if with_accounts else None, na, total=True))
    ja, en = _title(number)
    return Table(number, ja, en, "units", UNIT_COLUMNS if with_accounts else UNIT_COLUMNS[:2], rows)


def _table1(by_unit: dict[uuid.UUID, _Unit], units: dict[uuid.UUID, Any]) -> Table:
    departments: dict[uuid.UUID, list[_Unit]] = defaultdict(list)
    for unit in by_unit.values():
        departments[unit.department].append(unit)
    rows: list[Row] = []
    totals = [0, 0, 0]
    for dept_id in sorted(departments, key=lambda d: (units[d].code, d)):
        members = departments[dept_id]
        has_children = any(u.row.id != dept_id for u in members)
        bodies = [u for u in members if u.row.id != dept_id or not has_children or u.accounts]
        using = [u for u in bodies if u.accounts]
        n_accounts = sum(len(u.accounts) for u in members)
        dept = units[dept_id]
        cells = {"units_total": count(len(bodies)), "units_using": count(len(using)), "accounts": count(n_accounts)}
        rows.append(Row(str(dept_id), dept.name_ja, dept.name_en, cells))
        for unit in sorted(using, key=lambda u: (u.row.code, u.row.id)):
            rows.append(Row(str(unit.row.id), unit.row.name_ja, unit.row.name_en,
                            {"units_total": count(1), "units_using": count(1), "accounts": count(len(unit.accounts))},
                            level=1))  # fmt: skip
        totals = [totals[0] + len(bodies), totals[1] + len(using), totals[2] + n_accounts]
    rows.append(Row("total", "総計", "Total", {"units_total": count(totals[0]), "units_using": count(totals[1]),
                                                  "accounts": count(totals[2])}, total=True))  # fmt: skip
    ja, en = _title(1)
    columns = [Column("units_total", "全機関数", "Units"), Column("units_using", "利用機関数", "Units using"),
               Column("accounts", "アカウント数", "Accounts")]  # fmt: skip
    return Table(1, ja, en, "accounts", columns, rows)


def _table2(accounts: dict[uuid.UUID, _Account], counted: list[_Unit]) -> Table:
    by_platform = Counter(a.row.platform for a in accounts.values())
    units_by_platform = Counter(p for u in counted for p in {a.row.platform for a in u.accounts})
    na, nu = len(accounts), len(counted)
    rows = [
        Row(p, *PLATFORM_LABELS[p], {"accounts": count(by_platform[p]), "accounts_pct": percent(by_platform[p], na),
                                     "units": count(units_by_platform[p]),
                                     "units_pct": percent(units_by_platform[p], nu)})
        for p in PLATFORMS if by_platform[p]
    ]  # fmt: skip
    rows.append(Row("total", "計", "Total", {"accounts": count(na), "accounts_pct": percent(na, na),
                                             "units": count(nu), "units_pct": DASH}, total=True))  # fmt: skip
    ja, en = _title(2)
    columns = [Column("accounts", "アカウント数", "Accounts"), Column("accounts_pct", "割合", "%"),
               Column("units", "利用機関数", "Units using"),
               Column("units_pct", "実利用機関のうちの活用割合", "% of units using any")]  # fmt: skip
    return Table(2, ja, en, "accounts", columns, rows,
                 note_ja="機関数は、複数の種類を使う機関をそれぞれの種類に数える。",
                 note_en="A unit using several platforms counts under each.")  # fmt: skip


def _table3(accounts: dict[uuid.UUID, _Account]) -> Table:
    grid: Counter[tuple[str, str]] = Counter((a.row.platform, a.row.operating_body) for a in accounts.values())
    by_platform = Counter(a.row.platform for a in accounts.values())
    by_body = Counter(a.row.operating_body for a in accounts.values())
    na = len(accounts)
    rows = [
        Row(p, *PLATFORM_LABELS[p], {"accounts": count(by_platform[p]), **{b: count(grid[p, b]) for b, _, _ in BODIES}})
        for p in PLATFORMS if by_platform[p]
    ]  # fmt: skip
    rows.append(Row("total", "計", "Total", {"accounts": count(na), **{b: count(by_body[b]) for b, _, _ in BODIES}},
                    total=True))  # fmt: skip
    rows.append(Row("share", "割合", "%", {"accounts": percent(na, na), **{b: percent(by_body[b], na) for b, _, _ in BODIES}},
                    total=True))  # fmt: skip
    ja, en = _title(3)
    columns = [Column("accounts", "アカウント数", "Accounts"), *[Column(b, bja, ben) for b, bja, ben in BODIES]]
    return Table(3, ja, en, "accounts", columns, rows)


def _table6(counted: list[_Unit]) -> Table:
    years = Counter(u.classes.get("started") for u in counted if u.classes.get("started"))
    nu = len(counted)
    rows = [_class_row(y, f"{y}年度", f"FY{y}", years[y], nu) for y in sorted(years, key=str)]  # type: ignore[arg-type]
    rows.append(_class_row("total", "合計", "Total", nu, nu, total=True))
    ja, en = _title(6)
    return Table(6, ja, en, "units", UNIT_COLUMNS[:2], rows,
                 note_ja="機関のアカウントのうち最も早い開設日の年度。",
                 note_en="The fiscal year of the unit's earliest opened account.")  # fmt: skip


def _table7(counted: list[_Unit]) -> Table:
    c = Counter(u.classes["consultation"] for u in counted)
    accounts = [a for u in counted for a in u.accounts]
    ca = Counter(a.classes["consultation"] for a in accounts)
    base_u = c[Consultation.CONSULTED] + c[Consultation.NOT_CONSULTED]
    base_a = ca[Consultation.CONSULTED] + ca[Consultation.NOT_CONSULTED]
    rows = [
        _class_row("consulted", "協議している", "Consulted", c[Consultation.CONSULTED], base_u,
                   ca[Consultation.CONSULTED], base_a),
        _class_row("not_consulted", "協議していない", "Not consulted", c[Consultation.NOT_CONSULTED], base_u,
                   ca[Consultation.NOT_CONSULTED], base_a),
        _class_row("subtotal", "小計", "Subtotal", base_u, base_u, base_a, base_a, total=True),
        _class_row("before_guideline", "その他（ガイドライン策定前）", "Other (before the guideline)",
                   c[Consultation.BEFORE_GUIDELINE], 0, ca[Consultation.BEFORE_GUIDELINE], 0, pct=False),
        _class_row("total", "合計", "Total", len(counted), 0, len(accounts), 0, total=True, pct=False),
    ]  # fmt: skip
    ja, en = _title(7)
    return Table(7, ja, en, "units", UNIT_COLUMNS, rows)


def _document_table(number: int, counted: list[_Unit], kind: str) -> Table:
    made = (DocumentState.COMPLETE, DocumentState.PARTIAL)
    accounts = [a for u in counted for a in u.accounts]
    mu = sum(u.classes[kind] in made for u in counted)
    ma = sum(a.classes[kind] in made for a in accounts)
    nu, na = len(counted), len(accounts)
    rows = [
        _class_row("made", "作成している", "Made", mu, nu, ma, na),
        _class_row("not_made", "作成していない", "Not made", nu - mu, nu, na - ma, na),
        _class_row("total", "合計", "Total", nu, nu, na, na, total=True),
    ]
    ja, en = _title(number)
    return Table(number, ja, en, "units", UNIT_COLUMNS, rows)


def _table10(counted: list[_Unit]) -> Table:
    table = _document_table(10, counted, "account_policy")
    made = [u for u in counted if u.classes["account_policy"] != DocumentState.NONE]
    disclosed = sum(u.classes["account_policy_disclosed"] == "disclosed" for u in made)
    not_made = len(counted) - len(made)
    extra = {
        "made": {"disclosed": count(disclosed), "undisclosed": count(len(made) - disclosed)},
        "not_made": {"disclosed": DASH, "undisclosed": count(not_made)},
        "total": {"disclosed": count(disclosed), "undisclosed": count(len(counted) - disclosed)},
    }
    for row in table.rows:
        row.cells |= extra[row.key]
    table.columns = [*table.columns, Column("disclosed", "開示", "Disclosed"),
                     Column("undisclosed", "未開示", "Not disclosed")]  # fmt: skip
    return table


def _table12(counted: list[_Unit]) -> Table:
    accounts = [a for u in counted for a in u.accounts]
    nu, na = len(counted), len(accounts)
    rows = []
    for key, ja, en in (("met", "混在している", "Composition met"), ("not_met", "混在していない", "Not met")):
        members = [u for u in counted if u.classes["composition"] == key]
        changed = sum(u.classes["yearly_change"] == "changed" for u in members)
        row = _class_row(key, ja, en, len(members), nu,
                         sum(a.classes["composition"] == key for a in accounts), na)  # fmt: skip
        row.cells |= {"changed": count(changed), "not_changed": count(len(members) - changed)}
        rows.append(row)
    changed = sum(u.classes["yearly_change"] == "changed" for u in counted)
    total = _class_row("total", "計", "Total", nu, nu, na, na, total=True)
    total.cells |= {"changed": count(changed), "not_changed": count(nu - changed)}
    rows.append(total)
    ja, en = _title(12)
    columns = [*UNIT_COLUMNS, Column("changed", "年1回の変更あり", "Changed yearly"),
               Column("not_changed", "年1回の変更なし", "Not changed yearly")]  # fmt: skip
    return Table(12, ja, en, "units", columns, rows)


def _table13(counted: list[_Unit]) -> Table:
    c = Counter(u.classes["decision"] for u in counted)
    accounts = [a for u in counted for a in u.accounts]
    ca = Counter(a.classes["decision"] for a in accounts)
    nu, na = len(counted), len(accounts)
    decided_u = c[PostDecision.HEAD_APPROVAL] + c[PostDecision.PRE_APPROVED_RANGE]
    decided_a = ca[PostDecision.HEAD_APPROVAL] + ca[PostDecision.PRE_APPROVED_RANGE]
    rows = [
        _class_row("head_approval", "承認あり", "Approved", c["head_approval"], nu, ca["head_approval"], na),
        _class_row("pre_approved_range", "事前承認あり", "Pre-approved range", c["pre_approved_range"], nu,
                   ca["pre_approved_range"], na),
        _class_row("decided", "小計（意思決定あり）", "Subtotal (decided)", decided_u, nu, decided_a, na, total=True),
        _class_row("none", "意思決定なし", "No decision", c["none"], nu, ca["none"], na),
        _class_row("total", "合計", "Total", nu, nu, na, na, total=True),
    ]  # fmt: skip
    ja, en = _title(13)
    return Table(13, ja, en, "units", UNIT_COLUMNS, rows)


def _table14(counted: list[_Unit]) -> Table:
    c = Counter(u.classes["monitoring"] for u in counted)
    accounts = [a for u in counted for a in u.accounts]
    ca = Counter(a.classes["monitoring"] for a in accounts)
    nu, na = len(counted), len(accounts)
    regular = ("daily", "weekly", "monthly")
    rows = [_class_row(k, *_label(14, k), c[k], nu, ca[k], na) for k in regular]
    rows.append(_class_row("regular", "小計（定期）", "Subtotal (regular)", sum(c[k] for k in regular), nu,
                           sum(ca[k] for k in regular), na, total=True))  # fmt: skip
    rows.append(_class_row("irregular", *_label(14, "irregular"), c["irregular"], nu, ca["irregular"], na))
    doing = (*regular, "irregular")
    rows.append(_class_row("monitored", "小計（行っている）", "Subtotal (monitored)", sum(c[k] for k in doing), nu,
                           sum(ca[k] for k in doing), na, total=True))  # fmt: skip
    rows.append(_class_row("none", *_label(14, "none"), c["none"], nu, ca["none"], na))
    rows.append(_class_row("total", "合計", "Total", nu, nu, na, na, total=True))
    ja, en = _title(14)
    return Table(14, ja, en, "units", UNIT_COLUMNS, rows)


def _clause_table(number: int, agreements: list[Any]) -> Table:
    clause = CLAUSE_TABLES[number][0]
    total = len(agreements)
    rows = []
    for key, ja, en, stated in (
        ("stated", "記載あり", "Stated", True),
        ("not_stated", "記載なし", "Not stated", False),
    ):
        chosen = [a for a in agreements if _clause_stated(a.clauses or {}, clause) == stated]
        cells = {kind: count(sum(a.kind == kind for a in chosen)) for kind, _, _ in AGREEMENT_KINDS}
        cells |= {"total": count(len(chosen)), "pct": percent(len(chosen), total)}
        rows.append(Row(key, ja, en, cells))
    cells = {kind: count(sum(a.kind == kind for a in agreements)) for kind, _, _ in AGREEMENT_KINDS}
    cells |= {"total": count(total), "pct": percent(total, total)}
    rows.append(Row("total", "合計", "Total", cells, total=True))
    ja, en = _title(number)
    columns = [*[Column(k, kja, ken) for k, kja, ken in AGREEMENT_KINDS], Column("total", "合計", "Total"),
               Column("pct", "割合", "%")]  # fmt: skip
    return Table(number, ja, en, "agreements", columns, rows)


def _account_read(account: _Account) -> AccountFindings:
    row = account.row
    return AccountFindings(
        id=row.id, unit_id=row.unit_id, display_name=row.display_name, platform=row.platform, url=row.canonical_url,
        operating_body=row.operating_body, opened_on=row.opened_on, origin=row.origin,
        classes={k: str(v) for k, v in account.classes.items()}, findings=account.findings,
    )  # fmt: skip


def _unit_read(unit: _Unit) -> UnitFindings:
    row = unit.row
    return UnitFindings(
        id=row.id, code=row.code, name_ja=row.name_ja, name_en=row.name_en, department_id=row.parent_id,
        accounts=len(unit.accounts), classes={k: str(v) for k, v in unit.classes.items()}, findings=unit.findings,
    )  # fmt: skip


# ---- CSV and the printable page ---------------------------------------------------------------------


def _name(ja: str, en: str, lang: Lang) -> str:
    return ja if lang == "ja" else en


def to_csv(report: ComplianceReport, lang: Lang) -> bytes:
    """The tables one after another, then one line per finding; UTF-8 with a BOM (Excel reads it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_name("基準日", "As of", lang), report.as_of.isoformat(), _name("期間（日）", "Window (days)", lang),
                     report.window_days])  # fmt: skip
    for table in report.tables:
        writer.writerow([])
        writer.writerow(
            [f"{'表' if lang == 'ja' else 'Table '}{table.number}", _name(table.title_ja, table.title_en, lang)]
        )
        writer.writerow(
            [_name("区分", "Category", lang), *[_name(c.title_ja, c.title_en, lang) for c in table.columns]]
        )
        for row in table.rows:
            label = ("　" * row.level) + _name(row.label_ja, row.label_en, lang)
            writer.writerow([label, *[row.cells[c.key].text if c.key in row.cells else "" for c in table.columns]])
    writer.writerow([])
    writer.writerow([_name("指摘事項", "Findings", lang)])
    writer.writerow([_name(*h, lang) for h in (("対象", "Subject"), ("ID", "ID"), ("名称", "Name"), ("表", "Table"),
                                               ("コード", "Code"), ("設定", "Configuration path"), ("根拠", "Basis"),
                                               ("内容", "Finding"))])  # fmt: skip
    for subject, ident, name, f in _all_findings(report, lang):
        writer.writerow([subject, ident, name, f.table or "", f.code, f.path, " ".join(f.basis),
                         _name(f.message_ja, f.message_en, lang)])  # fmt: skip
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def _all_findings(report: ComplianceReport, lang: Lang) -> Iterable[tuple[str, str, str, Finding]]:
    for unit in report.units:
        for f in unit.findings:
            yield _name("機関", "unit", lang), str(unit.id), _name(unit.name_ja, unit.name_en, lang), f
    for account in report.accounts:
        for f in account.findings:
            yield _name("アカウント", "account", lang), str(account.id), account.display_name, f


def to_html(report: ComplianceReport, lang: Lang, agency: tuple[str, str]) -> str:
    units = {u.id: u for u in report.units}
    return _PAGES.get_template("report.html").render(
        report=report, lang=lang, agency=_name(*agency, lang), units=units,
        name=lambda ja, en: _name(ja, en, lang),
    )  # fmt: skip


async def page_agency(ctx: Ctx) -> tuple[str, str]:
    tenant = await tenants.tenant_of(ctx.session, ctx.tenant_id)
    return tenant.name_ja, tenant.name_en


# ---- snapshots -------------------------------------------------------------------------------------


def _snapshots(ctx: Ctx) -> SnapshotsRepository:
    return SnapshotsRepository(ctx.session, ctx.tenant_id)


async def save_snapshot(ctx: Ctx, data: SnapshotCreate) -> ComplianceSnapshot:
    computed = await report(ctx, data.as_of, data.window_days)
    findings = sum(len(a.findings) for a in computed.accounts) + sum(len(u.findings) for u in computed.units)
    row = _snapshots(ctx).add(
        ComplianceSnapshot(
            id=uuid7(), tenant_id=ctx.tenant_id, as_of=computed.as_of, window_days=computed.window_days,
            label=data.label, report=msgspec.to_builtins(computed), finding_count=findings,
            created_by=ctx.access.label, created_at=ctx.now(),
        )
    )  # fmt: skip
    await ctx.session.flush()
    return row


async def list_snapshots(ctx: Ctx, before: uuid.UUID | None, limit: int) -> tuple[list[ComplianceSnapshot], bool]:
    return await _snapshots(ctx).newest_first(before, limit)


async def get_snapshot(ctx: Ctx, snapshot_id: uuid.UUID, pointer: str | None = None) -> ComplianceSnapshot:
    return await _snapshots(ctx).get_or_404(snapshot_id, pointer=pointer)


def _finding_keys(saved: dict[str, Any]) -> dict[tuple[str, str, str, str], FindingChange]:
    keys = {}
    for subject in ("units", "accounts"):
        for item in saved.get(subject, []):
            name = item.get("display_name") or item.get("name_ja") or ""
            for f in item.get("findings", []):
                change = FindingChange(
                    subject=subject[:-1], subject_id=uuid.UUID(item["id"]), name=name, code=f["code"], path=f["path"],
                    message_ja=f["message_ja"], message_en=f["message_en"],
                    detail_id=uuid.UUID(f["subject_id"]) if f.get("subject_id") else None,
                )  # fmt: skip
                # A finding is the same one when its subject, rule and message are (a missing document of
                # another kind, or another agreement's clause, is another finding).
                keys[(subject, item["id"], f["code"], f["message_en"])] = change
    return keys


async def compare(ctx: Ctx, from_id: uuid.UUID, to_id: uuid.UUID) -> SnapshotComparison:
    before = await get_snapshot(ctx, from_id, pointer="from")
    after = await get_snapshot(ctx, to_id, pointer="to")
    old, new = _finding_keys(before.report), _finding_keys(after.report)
    return SnapshotComparison(
        from_id=before.id, to_id=after.id, from_as_of=before.as_of, to_as_of=after.as_of,
        appeared=[new[k] for k in new if k not in old], fixed=[old[k] for k in old if k not in new],
    )  # fmt: skip
