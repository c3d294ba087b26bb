"""The application form (小山高専 別紙様式): the form's fields are the application's fields."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from service.applications.models import ApplicationKind, ApplicationState
from service.kit.errors import FieldError, InvalidFields, Msg


class ProposedChanges(msgspec.Struct, forbid_unknown_fields=True):
    """What a change application would set on the account once approved."""

    display_name: Annotated[str, Meta(min_length=1, max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    purpose: Annotated[str, Meta(max_length=4000)] | msgspec.UnsetType = msgspec.UNSET
    operations_manager_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    operator_ids: Annotated[list[uuid.UUID], Meta(max_length=50)] | msgspec.UnsetType = msgspec.UNSET


class ApplicationCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[ApplicationKind, Meta(description="申請種別: 新規 / 変更 / 廃止")]
    account_id: uuid.UUID
    applicant_title: Annotated[
        str, Meta(min_length=1, max_length=200, description="届出者の所属・役職", examples=["広報広聴課 主任"])
    ]
    organisation: Annotated[str, Meta(max_length=200, description="利用組織名")] = ""
    purpose: Annotated[str, Meta(max_length=4000, description="利用目的 (not needed for a closure)")] = ""
    change_types: Annotated[
        list[Literal["managers", "purpose", "other"]],
        Meta(description="For a change: 運用管理者・運用担当者の変更 / 利用目的等の変更 / その他"),
    ] = msgspec.field(default_factory=list)
    change_note: Annotated[str, Meta(max_length=2000, description="その他の内容")] = ""
    changes: ProposedChanges | None = None
    closure_reason: Annotated[str, Meta(max_length=2000)] = ""
    planned_end_on: Annotated[
        dt.date | None, Meta(description="For a closure: the last day (else today + the announcement period).")
    ] = None
    guideline_attached: Annotated[bool, Meta(description="別にガイドラインを定めて添付する")] = False

    def __post_init__(self) -> None:
        missing: list[FieldError] = []
        if self.kind == ApplicationKind.NEW and not self.purpose.strip():
            missing.append(FieldError(Msg("field.application-purpose"), "required", "/purpose"))
        if self.kind == ApplicationKind.CHANGE and not self.change_types:
            missing.append(FieldError(Msg("field.application-change-types"), "required", "/change_types"))
        if self.kind == ApplicationKind.CHANGE and self.changes is None:
            missing.append(FieldError(Msg("field.application-changes"), "required", "/changes"))
        if missing:
            raise InvalidFields(*missing)


class ApplicationRead(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    account_id: uuid.UUID
    kind: ApplicationKind
    state: ApplicationState
    form: dict[str, Any]
    created_by_label: str
    submitted_at: dt.datetime | None
    decided_by_label: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
