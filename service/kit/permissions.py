"""The permission matrix: the one table that decides who may do what.

A permission is named `resource:read` or `resource:write`; API token scopes use the same names,
so a token's powers are its scopes intersected with its role's (and never more than its
creator's). The README's matrix is generated from this table (`koshiki permissions`).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM_OPERATOR = "platform_operator"  # runs the service; belongs to no tenant
    GENERAL_ADMINISTRATOR = "general_administrator"  # 統括管理者
    OPERATIONS_MANAGER = "operations_manager"  # 運用管理者
    UNIT_HEAD = "unit_head"  # 所属長
    OPERATOR = "operator"  # 運用担当者
    AUDITOR = "auditor"  # 監査 (read-only)
    CONTRACTOR = "contractor"  # 委託業者 / 指定管理者, bounded by an agreement
    AGENCY_SYSTEM = "agency_system"  # an agency's own system, through an API token


P = Role.PLATFORM_OPERATOR
GA = Role.GENERAL_ADMINISTRATOR
OM = Role.OPERATIONS_MANAGER
UH = Role.UNIT_HEAD
OP = Role.OPERATOR
AU = Role.AUDITOR
CO = Role.CONTRACTOR
SY = Role.AGENCY_SYSTEM

STAFF = frozenset({GA, OM, UH, OP, AU})

# permission -> (roles holding it, Japanese description, English description)
MATRIX: dict[str, tuple[frozenset[Role], str, str]] = {
    "tenants:read": (STAFF | {P, CO, SY}, "団体の基本情報を見る", "Read the tenant's profile"),
    "tenants:write": (frozenset({P}), "団体を作成・変更する", "Create and change tenants"),
    "units:read": (STAFF | {P, CO, SY}, "所属を見る", "Read units"),
    "units:write": (frozenset({P, GA}), "所属を作成・変更・削除する", "Create, change and delete units"),
    "config:read": (STAFF | {P, CO, SY}, "ガイドライン設定を見る", "Read the guideline configuration"),
    "config:write": (
        frozenset({P, GA}),
        "ガイドライン設定の新しい版を作る",
        "Make a new guideline configuration version",
    ),
    "tokens:read": (frozenset({P, GA}), "API トークンの一覧を見る", "List API tokens"),
    "tokens:write": (frozenset({P, GA}), "API トークンを発行・失効する", "Issue and revoke API tokens"),
}

ALL_PERMISSIONS: frozenset[str] = frozenset(MATRIX)


def permissions_of(role: Role) -> frozenset[str]:
    return frozenset(name for name, (roles, _, _) in MATRIX.items() if role in roles)


def effective_permissions(role: Role, scopes: frozenset[str] | None) -> frozenset[str]:
    """What a caller may do: the role's permissions, narrowed to the token's scopes when it has any."""
    granted = permissions_of(role)
    return granted if scopes is None else granted & scopes
