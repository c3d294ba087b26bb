from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from service.kit.access import Target
from service.kit.db import Base, state_column


class TenantKind(StrEnum):
    """What kind of public agency a tenant is (the tenants table's CHECK lists the same values)."""

    PREFECTURE = "prefecture"
    MUNICIPALITY = "municipality"
    BOARD_OF_EDUCATION = "board_of_education"
    SCHOOL = "school"
    WELFARE_COUNCIL = "welfare_council"
    OTHER = "other"


class Tenant(Base):
    """A public agency. Its slug names it in URLs and never changes."""

    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String, unique=True)
    name_ja: Mapped[str]
    name_en: Mapped[str]
    kind: Mapped[TenantKind] = state_column(TenantKind)
    time_zone: Mapped[str]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __mapper_args__ = {"version_id_col": version}


class Unit(Base):
    """A division inside a tenant (所属・課・学科等) that owns accounts; nests one level deep."""

    __tablename__ = "units"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    tenant_id: Mapped[uuid.UUID]
    code: Mapped[str]
    name_ja: Mapped[str]
    name_en: Mapped[str]
    parent_id: Mapped[uuid.UUID | None]
    shared_mailbox: Mapped[str | None]
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (ForeignKeyConstraint(["tenant_id", "parent_id"], ["units.tenant_id", "units.id"]),)
    __mapper_args__ = {"version_id_col": version}

    def access_target(self) -> Target:
        return Target("unit", self.id, self.id)
