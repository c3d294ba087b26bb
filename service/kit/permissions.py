"""The permission matrix: the one table that decides who may do what.

A permission is named `resource:read` or `resource:write`; API token scopes use the same names,
so a token's powers are its scopes intersected with its role's (and never more than its
creator's). Some roles are further bounded by a standing rule (`service.kit.access`): a unit head
acts for the units they head, an operator for the accounts assigned to them, a contractor only
within an active agreement. The README's matrix is printed from this table (`koshiki permissions`).
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


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


# permission -> (roles holding it, Japanese description, English description)
# An agency system (API token) holds a permission only when its token's scopes include it.
MATRIX: dict[str, tuple[frozenset[Role], str, str]] = {
    "tenants:read": (STAFF | {P, CO, SY}, "団体の基本情報を見る", "Read the tenant's profile"),
    "tenants:write": (_roles(P), "団体を作成・変更する", "Create and change tenants"),
    "units:read": (STAFF | {P, SY}, "所属を見る", "Read units"),
    "units:write": (_roles(P, GA, SY), "所属を作成・変更・削除する", "Create, change and delete units"),
    "config:read": (STAFF | {P, CO, SY}, "ガイドライン設定を見る", "Read the guideline configuration"),
    "config:write": (
        _roles(P, GA, SY),
        "ガイドライン設定の新しい版を作る",
        "Record a new guideline configuration version",
    ),
    "users:read": (_roles(P, GA, OM, AU), "利用者（職員・委託業者）を見る", "Read users (staff and contractors)"),
    "users:write": (
        _roles(P, GA),
        "利用者を作成・変更・停止し、パスワードを再設定する",
        "Create, change, disable users; reset passwords",
    ),
    "tokens:read": (_roles(P, GA), "API トークンの一覧を見る", "List API tokens"),
    "tokens:write": (_roles(P, GA), "API トークンを発行・失効する", "Issue and revoke API tokens"),
    "audit:read": (_roles(P, GA, AU, SY), "監査証跡を見る・書き出す", "Read and export the audit trail"),
    "accounts:read": (
        STAFF | {P, CO, SY},
        "公式アカウントと文書・投稿記録を見る",
        "Read official accounts, their documents and posts",
    ),
    "accounts:write": (
        _roles(P, GA, OM, UH, OP, SY),
        "公式アカウントを登録・変更し、文書を整える（所属長は自所属、担当者は担当分）",
        "Register and change accounts and their documents (unit heads: their units; operators: their accounts)",
    ),
    "posts:write": (
        _roles(P, GA, OM, UH, OP, CO, SY),
        "投稿を記録する（委託業者は契約の対象アカウントのみ）",
        "Record posts (contractors: their agreement's accounts)",
    ),
    "agreements:read": (
        _roles(P, GA, OM, UH, AU, CO, SY),
        "委託契約とログインIDを見る（委託業者は自社の契約と自社のIDのみ）",
        "Read contractor agreements and login IDs (contractors: their own only)",
    ),
    "agreements:write": (
        _roles(P, GA, OM, UH),
        "委託契約を登録・変更・更新し、ログインIDを登録する（所属長は自所属）",
        "Record, change and renew agreements; record login IDs (unit heads: their units)",
    ),
    "applications:read": (
        STAFF | {P, SY},
        "申請（新規・変更・廃止）を見る",
        "Read applications (new, change, closure)",
    ),
    "applications:write": (
        _roles(P, GA, OM, UH, OP),
        "申請を作成・提出・取り下げる",
        "Draft, submit and withdraw applications",
    ),
    "applications:decide": (
        _roles(P, GA, UH),
        "申請を承認・却下する（所属長は設定で承認者とされた場合の自所属のみ）",
        "Approve or reject applications (unit heads only where the configuration makes them approvers)",
    ),
    "warnings:write": (
        _roles(P, GA, OM),
        "なりすましアカウントの注意喚起を掲載する",
        "Publish warnings about fake accounts",
    ),
    "events:read": (_roles(P, GA, OM, AU, SY), "出来事（イベント）の記録を見る", "Read the events that happened"),
    "deadlines:read": (_roles(P, GA, OM, AU, SY), "期限の一覧を見る", "Read deadlines"),
    "mail:read": (_roles(P, GA), "送信した（送信予定の）メールを見る", "Read the mail sent or kept"),
    "webhooks:read": (_roles(P, GA, SY), "Webhook の宛先と配信記録を見る", "Read webhook endpoints and deliveries"),
    "webhooks:write": (
        _roles(P, GA, SY),
        "Webhook の宛先を登録・変更し、配信を再送する",
        "Manage webhook endpoints; replay deliveries",
    ),
}

ALL_PERMISSIONS: frozenset[str] = frozenset(MATRIX)

# What a person may hold as a user (agency systems are tokens, not users).
USER_ROLES: frozenset[Role] = frozenset(Role) - {SY}
TENANT_USER_ROLES: frozenset[Role] = USER_ROLES - {P}


def permissions_of(role: Role) -> frozenset[str]:
    return frozenset(name for name, (roles, _, _) in MATRIX.items() if role in roles)


def permissions_of_roles(roles: frozenset[Role]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= permissions_of(role)
    return frozenset(granted)


def effective_permissions(roles: frozenset[Role], scopes: frozenset[str] | None) -> frozenset[str]:
    """What a caller may do: its roles' permissions, narrowed to its token's scopes when it has any."""
    granted = permissions_of_roles(roles)
    return granted if scopes is None else granted & scopes
