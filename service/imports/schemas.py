"""The import file (JSON) and the answer of a run.

The same file may be sent again: accounts are matched to the register by their normalised URL key,
history entries by their natural keys, and whatever is there already is left as it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.accounts.schemas import DocumentKind, Email, OperatingBody, Platform
from service.imports.models import ImportFormat
from service.posts.models import Decision
from service.tenants.schemas import UnitCode

# Bounds of one file: 愛媛県 has 253 accounts in 105 bodies; the benchmark imports 10,000 with 100 posts each.
MAX_UNITS = 2_000
MAX_ACCOUNTS = 20_000
MAX_POSTS = 5_000
MAX_RECORDS = 2_000

Origin = Annotated[
    Literal["import", "import_without_consultation", "import_before_guideline"],
    Meta(
        description="How the account was opened: `import` (its opening consultation is on record elsewhere), "
        "`import_without_consultation` (opened with none recorded), `import_before_guideline` (opened before the "
        "guideline existed)."
    ),
]
DocumentState = Annotated[
    Literal["complete", "partial", "none"],
    Meta(
        description="The document as it stands: `complete` (every item the configuration asks for is written: "
        "items not given are recorded as written elsewhere), `partial` (only the items given), `none` (no document)."
    ),
]
Person = Annotated[str, Meta(min_length=1, max_length=254, description="A user of the tenant: login ID or e-mail.")]
Text = Annotated[str, Meta(max_length=4000)]


class UnitImport(msgspec.Struct, forbid_unknown_fields=True):
    """A unit the accounts belong to; created when no unit has its code, left as it is otherwise."""

    code: UnitCode
    name_ja: Annotated[str, Meta(min_length=1, max_length=200)]
    name_en: Annotated[str, Meta(min_length=1, max_length=200)]
    parent_code: Annotated[UnitCode | None, Meta(description="A top-level unit to nest under (one level).")] = None
    shared_mailbox: Email | None = None


class DocumentImport(msgspec.Struct, forbid_unknown_fields=True):
    state: DocumentState
    items: Annotated[dict[Annotated[str, Meta(max_length=100)], Text], Meta(max_length=50)] = msgspec.field(
        default_factory=dict
    )
    public_url: Annotated[str, Meta(max_length=2000)] | None = None
    disclosed_on_account: bool = False


class PostImport(msgspec.Struct, forbid_unknown_fields=True):
    """A published post (matched again by account, `published_at` and `url`)."""

    published_at: Annotated[dt.datetime, Meta(description="When it was published (with its offset).")]
    decision: Annotated[
        Decision,
        Meta(
            description="How it was decided: `approved` (by the approver the rules name), `pre_approved_range` "
            "(within the range approved beforehand), `none` (no decision on record)."
        ),
    ]
    url: Annotated[str, Meta(max_length=2000)] | None = None
    text: Annotated[str, Meta(max_length=10_000)] = ""


class MonitoringImport(msgspec.Struct, forbid_unknown_fields=True):
    """A look at the account's posts and reactions (matched again by account, day and findings)."""

    monitored_on: dt.date
    issues_found: bool = False
    findings: Text = ""


class PasswordChangeImport(msgspec.Struct, forbid_unknown_fields=True):
    """A change of the account's password (matched again by account and day)."""

    changed_on: dt.date
    meets_policy: Annotated[bool, Meta(description="Attested to meet the tenant's password policy.")]
    note: Text = ""


class AccountImport(msgspec.Struct, forbid_unknown_fields=True):
    """An account as the agency's register has it, already open, with its documents and history."""

    unit_code: UnitCode
    url: Annotated[str, Meta(min_length=1, max_length=2000, description="Its URL in any of the platform's forms.")]
    display_name: Annotated[str, Meta(min_length=1, max_length=200)]
    operating_body: OperatingBody
    opened_on: Annotated[dt.date, Meta(description="The day it was really opened (開設日).")]
    origin: Origin = "import"
    platform: Platform | None = None
    purpose: Text = ""
    manager: Person | None = None
    operators: Annotated[list[Person], Meta(max_length=50)] = msgspec.field(default_factory=list)
    signup_mailbox: Email | None = None
    verified_badge: bool = False
    profile_links_register: bool = False
    documents: Annotated[dict[DocumentKind, DocumentImport], Meta(max_length=3)] = msgspec.field(default_factory=dict)
    posts: Annotated[list[PostImport], Meta(max_length=MAX_POSTS)] = msgspec.field(default_factory=list)
    monitoring: Annotated[list[MonitoringImport], Meta(max_length=MAX_RECORDS)] = msgspec.field(default_factory=list)
    password_changes: Annotated[list[PasswordChangeImport], Meta(max_length=MAX_RECORDS)] = msgspec.field(
        default_factory=list
    )


class ImportFile(msgspec.Struct, forbid_unknown_fields=True):
    """What an agency brings in. Units named by accounts must exist or be listed here."""

    accounts: Annotated[list[AccountImport], Meta(max_length=MAX_ACCOUNTS)]
    units: Annotated[list[UnitImport], Meta(max_length=MAX_UNITS)] = msgspec.field(default_factory=list)


class Counts(msgspec.Struct):
    created: int = 0
    already_present: int = 0


class ImportSummary(msgspec.Struct):
    """What the run did (a dry run: what it would do)."""

    dry_run: bool
    format: ImportFormat
    units: Counts
    accounts: Counts
    posts: Counts
    monitoring_records: Counts
    password_changes: Counts
    import_id: uuid.UUID | None = None
