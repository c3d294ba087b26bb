from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from service.agreements.models import AgreementState, LoginIdState

Kind = Literal["outsourcing", "designated_manager", "committee"]
Owner = Literal["agency", "contractor", "shared"]
AtEnd = Literal["revoke", "hand_over", "agency_changes_password"]
Holder = Literal["agency", "contractor"]
Article = Annotated[str, Meta(max_length=200, examples=["第12条"], description="Where the agreement says it.")]


class Stated(msgspec.Struct, forbid_unknown_fields=True):
    """A clause the agreement states (or does not), and where."""

    stated: bool
    article: Article | None = None


class PostingStaff(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, examples=["山田 花子"])]
    devices: Annotated[list[Annotated[str, Meta(min_length=1, max_length=200)]], Meta(max_length=50)] = []
    submitted_on: Annotated[dt.date, Meta(description="When the work plan naming them was submitted.")] | None = None
    until: Annotated[dt.date, Meta(description="When they stopped posting, if they did.")] | None = None


class PostingStaffClause(Stated, forbid_unknown_fields=True):
    """The contractor's posting staff and their devices, submitted with the work plan (イ)."""

    staff: Annotated[list[PostingStaff], Meta(max_length=200)] = []


class CopyrightClause(Stated, forbid_unknown_fields=True):
    """Who owns the posts and photos (著作権帰属, ウ); shared ownership needs its terms."""

    owner: Owner | None = None
    terms: Annotated[str, Meta(max_length=2000)] | None = None


class LoginIdClause(Stated, forbid_unknown_fields=True):
    """The agency's and the contractor's login IDs kept apart (エ): the contractor's used on no other
    site, and what happens to them at the end."""

    contractor_ids_exclusive: (
        Annotated[bool, Meta(description="The contractor's login IDs are used for no other site.")] | None
    ) = None
    at_end: AtEnd | None = None


class Clauses(msgspec.Struct, forbid_unknown_fields=True):
    """One entry per clause; an entry left out counts as not stated."""

    security_policy_compliance: Stated | None = None
    posting_staff_and_devices: PostingStaffClause | None = None
    copyright: CopyrightClause | None = None
    login_ids: LoginIdClause | None = None
    prior_check_of_posts: Stated | None = None
    periodic_usage_report: Stated | None = None


Reference = Annotated[str, Meta(min_length=1, max_length=100, examples=["令和8年度 広第123号"])]


class AgreementCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    contractor_name: Annotated[str, Meta(min_length=1, max_length=200, examples=["株式会社えひめ広告"])]
    kind: Kind
    reference: Reference
    starts_on: dt.date
    ends_on: dt.date
    account_ids: Annotated[list[uuid.UUID], Meta(max_length=100, description="The accounts it covers.")]
    clauses: Clauses


class AgreementUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Change the clauses or the covered accounts (the period changes only by renewal)."""

    contractor_name: Annotated[str, Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    account_ids: Annotated[list[uuid.UUID], Meta(max_length=100)] | msgspec.UnsetType = msgspec.UNSET
    clauses: Clauses | msgspec.UnsetType = msgspec.UNSET


class Renewal(msgspec.Struct, forbid_unknown_fields=True):
    ends_on: Annotated[dt.date, Meta(description="The new period runs from the day after the current end to this.")]
    reference: Reference | None = None


class Finding(msgspec.Struct):
    clause: Annotated[str, Meta(description="The configuration's clause (outsourcing.required_clauses).")]
    code: Annotated[str, Meta(examples=["missing", "copyright-not-agency"])]
    detail: str
    basis: list[str]


class PeriodRead(msgspec.Struct):
    starts_on: dt.date
    ends_on: dt.date
    reference: str
    recorded_by: str
    created_at: dt.datetime


class AgreementRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    unit_id: uuid.UUID
    contractor_name: str
    kind: Kind
    reference: str
    starts_on: dt.date
    ends_on: dt.date
    state: AgreementState
    in_force: Annotated[bool, Meta(description="Today is within the period and the agreement has not ended.")]
    account_ids: list[uuid.UUID]
    clauses: Clauses
    compliant: bool
    findings: Annotated[list[Finding], Meta(description="Each missing or non-conforming clause, with its rule.")]
    checked_against_version: Annotated[
        int | None, Meta(description="The configuration version in force at the start, checked against.")
    ]
    periods: list[PeriodRead]
    ended_at: dt.datetime | None
    created_by: str
    version: int


class LoginIdCreate(msgspec.Struct, forbid_unknown_fields=True):
    account_id: uuid.UUID
    login_id: Annotated[str, Meta(min_length=1, max_length=200, examples=["ehime_pr_vendor01"])]
    holder: Holder
    note: Annotated[str, Meta(max_length=2000)] = ""


class LoginIdRead(msgspec.Struct):
    id: uuid.UUID
    agreement_id: uuid.UUID
    account_id: uuid.UUID
    login_id: str
    holder: Holder
    state: LoginIdState
    state_changed_at: dt.datetime | None
    note: str
