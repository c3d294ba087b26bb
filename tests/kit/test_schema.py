"""Models and migrations cannot drift.

The migrations make the database; the models say what the code reads and writes. Both are
written by hand, so this compares them: the migrated test database, read from PostgreSQL's own
catalogue, against `Base.metadata` with every `models.py` of the service imported. Every mapped
table and column exists, with a compatible type and the same nullability; every state column's
CHECK constraint allows exactly its enum's values; and a column the database has that no model
maps is known and explained. Each test lists every mismatch it finds in one assertion message.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

import service
from service.kit.db import Base, StateType, plain_url
from tests.support import DatabaseUnderTest

# Columns of mapped tables that no model maps, each with the reason it is so. Empty today: every
# column of a mapped table is mapped. A column added here must say why the code never touches it.
UNMAPPED: dict[tuple[str, str], str] = {}

# SQLAlchemy's types -> PostgreSQL's names for them (`format_type(oid, NULL)`), most specific first:
# JSONB is a JSON, BigInteger and SmallInteger are Integers, Text is a String.
_TYPES: list[tuple[type[TypeEngine[Any]], frozenset[str]]] = [
    (JSONB, frozenset({"jsonb"})),
    (JSON, frozenset({"json"})),
    (Date, frozenset({"date"})),
    (Boolean, frozenset({"boolean"})),
    (BigInteger, frozenset({"bigint"})),
    (SmallInteger, frozenset({"smallint"})),
    (Integer, frozenset({"integer"})),
    (String, frozenset({"text", "character varying"})),
    (Uuid, frozenset({"uuid"})),
    (LargeBinary, frozenset({"bytea"})),
    (INET, frozenset({"inet"})),
]


def pg_types(type_: TypeEngine[Any]) -> frozenset[str]:
    """The PostgreSQL types a column mapped with `type_` may have (empty: no mapping known)."""
    if isinstance(type_, StateType):
        return frozenset({"text"})
    if isinstance(type_, TypeDecorator):
        return pg_types(type_.impl_instance)
    if isinstance(type_, ARRAY):
        return frozenset(f"{name}[]" for name in pg_types(type_.item_type))
    if isinstance(type_, DateTime):
        return frozenset({"timestamp with time zone" if type_.timezone else "timestamp without time zone"})
    return next((names for kind, names in _TYPES if isinstance(type_, kind)), frozenset())


@dataclass(frozen=True)
class DbColumn:
    type: str  # format_type without modifiers: "text", "timestamp with time zone", "text[]"
    nullable: bool


@dataclass(frozen=True)
class DbSchema:
    tables: dict[str, dict[str, DbColumn]]
    # (table, column) -> the definitions of the CHECK constraints on that column alone
    checks: dict[tuple[str, str], list[str]]


_COLUMNS = """
    SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, NULL) AS type,
           NOT a.attnotnull AS nullable
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
"""
_CHECKS = """
    SELECT c.relname AS table_name, a.attname AS column_name, pg_get_constraintdef(k.oid) AS definition
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
     WHERE n.nspname = 'public' AND k.contype = 'c' AND cardinality(k.conkey) = 1
"""


async def read_schema(url: str) -> DbSchema:
    conn = await asyncpg.connect(plain_url(url))
    try:
        columns, checks = await conn.fetch(_COLUMNS), await conn.fetch(_CHECKS)
    finally:
        await conn.close()
    tables: dict[str, dict[str, DbColumn]] = {}
    for row in columns:
        tables.setdefault(row["table_name"], {})[row["column_name"]] = DbColumn(row["type"], row["nullable"])
    found: dict[tuple[str, str], list[str]] = {}
    for row in checks:
        found.setdefault((row["table_name"], row["column_name"]), []).append(row["definition"])
    return DbSchema(tables, found)


def mapped_metadata() -> MetaData:
    """`Base.metadata` once every model module of the service is imported."""
    for module in pkgutil.walk_packages(service.__path__, "service."):
        if module.name.rsplit(".", 1)[-1] == "models":
            importlib.import_module(module.name)
    return Base.metadata


def _nullability(nullable: bool | None) -> str:
    return "nullable" if nullable else "NOT NULL"


def column_drift(metadata: MetaData, schema: DbSchema) -> list[str]:
    """Every mapped table or column the database lacks, or has with another type or nullability."""
    problems: list[str] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        columns = schema.tables.get(table.name)
        if columns is None:
            problems.append(f"{table.name}: mapped, but the database has no such table")
            continue
        for column in table.columns:
            where = f"{table.name}.{column.name}"
            found = columns.get(column.name)
            if found is None:
                problems.append(f"{where}: mapped, but the database has no such column")
                continue
            wanted = pg_types(column.type)
            if not wanted:
                problems.append(f"{where}: no PostgreSQL type known for the mapped type {column.type!r}")
            elif found.type not in wanted:
                problems.append(f"{where}: mapped as {' or '.join(sorted(wanted))}, the database has {found.type}")
            if bool(column.nullable) != found.nullable:
                problems.append(
                    f"{where}: mapped {_nullability(column.nullable)}, the database has it {_nullability(found.nullable)}"
                )
    return problems


_LISTED = re.compile(r"'((?:[^']|'')*)'::text")


def listed_values(definition: str) -> set[str] | None:
    """The values a CHECK of the form `column IN (…)` allows (PostgreSQL shows it as `= ANY (ARRAY[…])`,
    or as `= '…'` for a single value); None for any other kind of check."""
    if "= ANY (ARRAY[" not in definition and not re.search(r"= '(?:[^']|'')*'::text\)+$", definition):
        return None
    return {value.replace("''", "'") for value in _LISTED.findall(definition)}


def state_check_drift(metadata: MetaData, schema: DbSchema) -> list[str]:
    """Every state column (StateType) whose CHECK constraint does not allow exactly its enum's values."""
    problems: list[str] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for column in table.columns:
            if not isinstance(column.type, StateType):
                continue
            where = f"{table.name}.{column.name}"
            states: type[StrEnum] = column.type.states
            wanted = {state.value for state in states}
            lists = [v for d in schema.checks.get((table.name, column.name), []) if (v := listed_values(d)) is not None]
            if not lists:
                problems.append(f"{where}: {states.__name__} has no CHECK constraint listing its values")
            for allowed in lists:
                if allowed == wanted:
                    continue
                message = f"{where}: the CHECK allows {sorted(allowed)}, {states.__name__} has {sorted(wanted)}"
                if allowed - wanted:
                    message += f"; only in the CHECK: {sorted(allowed - wanted)}"
                if wanted - allowed:
                    message += f"; only in the enum: {sorted(wanted - allowed)}"
                problems.append(message)
    return problems


def unmapped_columns(metadata: MetaData, schema: DbSchema) -> set[tuple[str, str]]:
    """The columns of mapped tables that no model maps (tables no model maps are not looked at)."""
    return {
        (table.name, name)
        for table in metadata.tables.values()
        for name in schema.tables.get(table.name, {})
        if name not in table.columns
    }


@pytest.fixture(scope="module")
async def schema(test_database: DatabaseUnderTest) -> DbSchema:
    return await read_schema(test_database.owner_url)


@pytest.fixture(scope="module")
def metadata() -> MetaData:
    return mapped_metadata()


def test_every_model_module_is_imported(metadata: MetaData) -> None:
    # The walk found the models: a table of each domain that has one is there.
    assert {"accounts", "applications", "continuation_declarations", "users", "tenants", "webhook_attempts"} <= set(
        metadata.tables
    )


def test_every_mapped_column_exists_with_its_type_and_nullability(metadata: MetaData, schema: DbSchema) -> None:
    problems = column_drift(metadata, schema)
    assert not problems, "the models and the migrations differ:\n" + "\n".join(problems)


def test_every_state_column_is_checked_for_exactly_its_enums_values(metadata: MetaData, schema: DbSchema) -> None:
    stated = {
        f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns if isinstance(c.type, StateType)
    }
    assert {"accounts.status", "applications.state", "applications.kind", "closures.state", "incidents.state"} <= stated
    problems = state_check_drift(metadata, schema)
    assert not problems, "state enums and CHECK constraints differ:\n" + "\n".join(problems)


def test_no_column_of_a_mapped_table_is_unmapped_without_a_reason(metadata: MetaData, schema: DbSchema) -> None:
    found = unmapped_columns(metadata, schema)
    unexplained = sorted(found - UNMAPPED.keys())
    gone = sorted(UNMAPPED.keys() - found)
    assert not unexplained, "columns no model maps (map them, or list them in UNMAPPED with the reason):\n" + "\n".join(
        f"{table}.{column}" for table, column in unexplained
    )
    assert not gone, f"UNMAPPED lists columns that are mapped now or gone: {gone}"


# ---- the comparison itself finds what it should ---------------------------------------------------


class _Shade(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SOMEWHERE_ELSE = "somewhere_else"


def test_the_comparison_reports_each_kind_of_drift(schema: DbSchema) -> None:
    wrong = MetaData()
    Table(
        "accounts",
        wrong,
        Column("id", Uuid, primary_key=True),
        Column("handle", Text, nullable=False),  # nullable in the database
        Column("platform", Integer, nullable=False),  # text in the database
        Column("opened_on", DateTime(timezone=True)),  # a date in the database
        Column("status", StateType(_Shade), nullable=False),  # the CHECK lists other values
        Column("nickname", Text),  # no such column
    )
    Table("nowhere", wrong, Column("id", Uuid, primary_key=True))
    assert column_drift(wrong, schema) == [
        "accounts.handle: mapped NOT NULL, the database has it nullable",
        "accounts.platform: mapped as integer, the database has text",
        "accounts.opened_on: mapped as timestamp with time zone, the database has date",
        "accounts.nickname: mapped, but the database has no such column",
        "nowhere: mapped, but the database has no such table",
    ]
    [status] = state_check_drift(wrong, schema)
    assert status.startswith("accounts.status: the CHECK allows [")
    assert "only in the CHECK: ['closed', 'closing', 'pending_approval', 'rejected', 'suspended']" in status
    assert "only in the enum: ['somewhere_else']" in status
    assert ("accounts", "canonical_url") in unmapped_columns(wrong, schema)
    assert not any(table == "nowhere" for table, _ in unmapped_columns(wrong, schema))


def test_values_are_read_from_in_lists_only() -> None:
    assert listed_values("CHECK ((state = ANY (ARRAY['open'::text, 'it''s'::text])))") == {"open", "it's"}
    assert listed_values("CHECK ((decision = 'continue'::text))") == {"continue"}
    assert listed_values("CHECK (((length(name) >= 1) AND (length(name) <= 200)))") is None
    assert listed_values("CHECK ((login_id ~ '^[a-z]+$'::text))") is None
