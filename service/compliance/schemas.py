"""The compliance report's shape: numbered tables like the audit's, the legend, and the findings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from msgspec import Meta


class Column(msgspec.Struct):
    key: str
    title_ja: str
    title_en: str


class Cell(msgspec.Struct):
    """A count, or a percentage rounded to one decimal (half up), and the cell as the audit prints it."""

    count: int | None = None
    percent: float | None = None
    text: str = ""


class Row(msgspec.Struct):
    key: Annotated[str, Meta(description="The classification (or unit, platform, year) the row counts.")]
    label_ja: str
    label_en: str
    cells: Annotated[dict[str, Cell], Meta(description="By column key.")]
    level: Annotated[int, Meta(description="0: a row of the table; 1: a unit under its department (表1).")] = 0
    total: Annotated[bool, Meta(description="A subtotal or total row.")] = False


class Table(msgspec.Struct):
    number: Annotated[int, Meta(description="The audit's table number (004 表1–表18).")]
    title_ja: str
    title_en: str
    counts: Annotated[str, Meta(description="What a row counts: accounts, units (機関) or agreements.")]
    columns: list[Column]
    rows: list[Row]
    note_ja: str = ""
    note_en: str = ""


class LegendEntry(msgspec.Struct):
    table: int
    code: str
    label_ja: str
    label_en: str
    definition_ja: str
    definition_en: str


class Finding(msgspec.Struct):
    code: Annotated[str, Meta(examples=["password.not_changed_yearly"])]
    path: Annotated[str, Meta(description="The configuration path of the rule (JSON Pointer into the guideline).")]
    basis: Annotated[list[str], Meta(description="Where the tenant's guideline states the rule.")]
    message_ja: str
    message_en: str
    table: Annotated[int | None, Meta(description="The audit table the finding belongs to.")] = None
    subject_id: Annotated[uuid.UUID | None, Meta(description="An agreement's id, for its clauses.")] = None


class AccountFindings(msgspec.Struct):
    id: uuid.UUID
    unit_id: uuid.UUID
    display_name: str
    platform: str
    url: str
    operating_body: str
    opened_on: dt.date | None
    origin: str
    classes: Annotated[
        dict[str, str],
        Meta(description="The account's class in each table (consultation, usage_policy, posting, monitoring, …)."),
    ]
    findings: list[Finding]


class UnitFindings(msgspec.Struct):
    id: uuid.UUID
    code: str
    name_ja: str
    name_en: str
    department_id: uuid.UUID | None
    accounts: int
    classes: Annotated[dict[str, str], Meta(description="The unit's class in each table (see the legend).")]
    findings: Annotated[list[Finding], Meta(description="Its own findings and every finding of its accounts.")]


class TrainingHeld(msgspec.Struct):
    held_on: dt.date
    title: str
    kind: str
    attendees: int


class ComplianceReport(msgspec.Struct):
    tenant_id: uuid.UUID
    as_of: dt.date
    window_days: int
    window_from: Annotated[dt.date, Meta(description="The window's first day (as_of is its last).")]
    guideline_version: int | None
    generated_at: dt.datetime
    accounts_counted: int
    units_counted: int
    tables: list[Table]
    legend: list[LegendEntry]
    accounts: list[AccountFindings]
    units: list[UnitFindings]
    missing: Annotated[
        list[int], Meta(description="Tables not computed (their records are not kept yet), by number.")
    ] = []
    training: Annotated[
        list[TrainingHeld], Meta(description="Training held in the 365 days before as_of (004 第3の3(2)).")
    ] = []


class SnapshotCreate(msgspec.Struct, forbid_unknown_fields=True):
    as_of: Annotated[dt.date, Meta(description="Defaults to today in the tenant's time zone.")] | None = None
    window_days: Annotated[int, Meta(ge=7, le=366)] = 90
    label: Annotated[str, Meta(max_length=200, examples=["令和8年度 第1四半期"])] = ""


class SnapshotRead(msgspec.Struct):
    id: uuid.UUID
    as_of: dt.date
    window_days: int
    label: str
    finding_count: int
    created_by: str
    created_at: dt.datetime


class FindingChange(msgspec.Struct):
    subject: Annotated[str, Meta(description="account or unit")]
    subject_id: uuid.UUID
    name: str
    code: str
    path: str
    message_ja: str
    message_en: str
    detail_id: uuid.UUID | None = None


class SnapshotComparison(msgspec.Struct):
    from_id: uuid.UUID
    to_id: uuid.UUID
    from_as_of: dt.date
    to_as_of: dt.date
    appeared: Annotated[list[FindingChange], Meta(description="Findings in `to` that `from` did not have.")]
    fixed: Annotated[list[FindingChange], Meta(description="Findings of `from` that `to` no longer has.")]
