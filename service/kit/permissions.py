"""The permission matrix: the one table that decides who may do what.

A permission is named `resource:read` or `resource:write` (`Permission`, which the type checker
follows); API token scopes use the same names, so a token's powers are its scopes intersected with
its role's (and never more than its creator's). Where in the tenant a role may use them is the
access object's business (`service.kit.access`): a unit head acts for the units they head, an
operator for the accounts assigned to them, a contractor only within an agreement in force. The
README's matrix is generated from this table (`koshiki permissions --readme`; a test keeps them
equal).
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


class Permission(StrEnum):
    """What a caller may do; a token's scopes are permissions too."""

    TENANTS_READ = "tenants:read"
    TENANTS_WRITE = "tenants:write"
    UNITS_READ = "units:read"
    UNITS_WRITE = "units:write"
    CONFIG_READ = "config:read"
    CONFIG_WRITE = "config:write"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    TOKENS_READ = "tokens:read"
    TOKENS_WRITE = "tokens:write"
    AUDIT_READ = "audit:read"
    ACCOUNTS_READ = "accounts:read"
    RECORDS_READ = "records:read"
    ACCOUNTS_WRITE = "accounts:write"
    POSTS_WRITE = "posts:write"
    POSTS_DECIDE = "posts:decide"
    AGREEMENTS_READ = "agreements:read"
    AGREEMENTS_WRITE = "agreements:write"
    APPLICATIONS_READ = "applications:read"
    APPLICATIONS_WRITE = "applications:write"
    APPLICATIONS_DECIDE = "applications:decide"
    WARNINGS_WRITE = "warnings:write"
    EVENTS_READ = "events:read"
    DEADLINES_READ = "deadlines:read"
    MAIL_READ = "mail:read"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    IMPORTS_WRITE = "imports:write"
    COMPLIANCE_READ = "compliance:read"
    TRAINING_WRITE = "training:write"

    @property
    def reads(self) -> bool:
        """Reading: staff may read the whole tenant; only a confined caller (a contractor) is fenced."""
        return self.value.endswith(":read")


P = Role.PLATFORM_OPERATOR
GA = Role.GENERAL_ADMINISTRATOR
OM = Role.OPERATIONS_MANAGER
UH = Role.UNIT_HEAD
OP = Role.OPERATOR
AU = Role.AUDITOR
CO = Role.CONTRACTOR
SY = Role.AGENCY_SYSTEM

STAFF = frozenset({GA, OM, UH, OP, AU})
# Roles whose reach is their whole tenant (a platform operator: any tenant it names). The others
# reach part of it: a unit head their units, an operator their accounts, a contractor their agreement's.
TENANT_WIDE = frozenset({P, GA, OM, AU, SY})


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


# permission -> (roles holding it, Japanese description, English description)
# An agency system (API token) holds a permission only when its token's scopes include it.
MATRIX: dict[Permission, tuple[frozenset[Role], str, str]] = {
    Permission.TENANTS_READ: (STAFF | {P, CO, SY}, "団体の基本情報を見る", "Read the tenant's profile"),
    Permission.TENANTS_WRITE: (_roles(P), "団体を作成・変更する", "Create and change tenants"),
    Permission.UNITS_READ: (STAFF | {P, SY}, "所属を見る", "Read units"),
    Permission.UNITS_WRITE: (_roles(P, GA, SY), "所属を作成・変更・削除する", "Create, change and delete units"),
    Permission.CONFIG_READ: (STAFF | {P, CO, SY}, "ガイドライン設定を見る", "Read the guideline configuration"),
    Permission.CONFIG_WRITE: (
        _roles(P, GA, SY),
        "ガイドライン設定の新しい版を作る",
        "Record a new guideline configuration version",
    ),
    Permission.USERS_READ: (
        _roles(P, GA, OM, AU),
        "利用者（職員・委託業者）を見る",
        "Read users (staff and contractors)",
    ),
    Permission.USERS_WRITE: (
        _roles(P, GA),
        "利用者を作成・変更・停止し、パスワードを再設定する",
        "Create, change, disable users; reset passwords",
    ),
    Permission.TOKENS_READ: (_roles(P, GA), "API トークンの一覧を見る", "List API tokens"),
    Permission.TOKENS_WRITE: (_roles(P, GA), "API トークンを発行・失効する", "Issue and revoke API tokens"),
    Permission.AUDIT_READ: (_roles(P, GA, AU, SY), "監査証跡を見る・書き出す", "Read and export the audit trail"),
    Permission.ACCOUNTS_READ: (
        STAFF | {P, CO, SY},
        "公式アカウントと文書・投稿記録を見る",
        "Read official accounts, their documents and posts",
    ),
    Permission.RECORDS_READ: (
        STAFF | {P, SY},
        "公式アカウントの管理記録（廃止手続・継続希望・パスワード変更・モニタリング・見直し・トラブル・注意喚起）を見る",
        "Read the accounts' records: closures, continuation declarations, password changes, monitoring, reviews, incidents, warnings",
    ),
    Permission.ACCOUNTS_WRITE: (
        _roles(P, GA, OM, UH, OP, SY),
        "公式アカウントを登録・変更し、文書を整える（所属長は自所属、担当者は担当分）",
        "Register and change accounts and their documents (unit heads: their units; operators: their accounts)",
    ),
    Permission.POSTS_WRITE: (
        _roles(P, GA, OM, UH, OP, CO, SY),
        "投稿を作成・確認・提出し、公開を記録する（委託業者は契約の対象アカウントのみ）",
        "Draft, check, submit posts and record their publication (contractors: their agreement's accounts)",
    ),
    Permission.POSTS_DECIDE: (
        _roles(P, GA, OM, UH),
        "投稿を承認・差し戻し、範囲内投稿を定期確認する（設定で承認者とされた役割のみ、所属長は自所属）",
        "Approve or send back posts and review range posts (only the role the configuration names; unit heads: their units)",
    ),
    Permission.AGREEMENTS_READ: (
        _roles(P, GA, OM, UH, AU, CO, SY),
        "委託契約とログインIDを見る（委託業者は自社の契約と自社のIDのみ）",
        "Read contractor agreements and login IDs (contractors: their own only)",
    ),
    Permission.AGREEMENTS_WRITE: (
        _roles(P, GA, OM, UH),
        "委託契約を登録・変更・更新し、ログインIDを登録する（所属長は自所属）",
        "Record, change and renew agreements; record login IDs (unit heads: their units)",
    ),
    Permission.APPLICATIONS_READ: (
        STAFF | {P, SY},
        "申請（新規・変更・廃止）を見る",
        "Read applications (new, change, closure)",
    ),
    Permission.APPLICATIONS_WRITE: (
        _roles(P, GA, OM, UH, OP),
        "申請を作成・提出・取り下げる",
        "Draft, submit and withdraw applications",
    ),
    Permission.APPLICATIONS_DECIDE: (
        _roles(P, GA, UH),
        "申請を承認・却下する（所属長は設定で承認者とされた場合の自所属のみ）",
        "Approve or reject applications (unit heads only where the configuration makes them approvers)",
    ),
    Permission.WARNINGS_WRITE: (
        _roles(P, GA, OM),
        "なりすましアカウントの注意喚起を掲載する",
        "Publish warnings about fake accounts",
    ),
    Permission.EVENTS_READ: (
        _roles(P, GA, OM, AU, SY),
        "出来事（イベント）の記録を見る",
        "Read the events that happened",
    ),
    Permission.DEADLINES_READ: (_roles(P, GA, OM, AU, SY), "期限の一覧を見る", "Read deadlines"),
    Permission.MAIL_READ: (_roles(P, GA), "送信した（送信予定の）メールを見る", "Read the mail sent or kept"),
    Permission.WEBHOOKS_READ: (
        _roles(P, GA, SY),
        "Webhook の宛先と配信記録を見る",
        "Read webhook endpoints and deliveries",
    ),
    Permission.WEBHOOKS_WRITE: (
        _roles(P, GA, SY),
        "Webhook の宛先を登録・変更し、配信を再送する",
        "Manage webhook endpoints; replay deliveries",
    ),
    Permission.IMPORTS_WRITE: (
        _roles(P, GA, SY),
        "既存の台帳と記録（アカウント・投稿・モニタリング等）を取り込む",
        "Import an existing register and its records (accounts, posts, monitoring…)",
    ),
    Permission.COMPLIANCE_READ: (
        _roles(P, GA, AU, SY),
        "遵守状況の報告（監査の表1〜18と指摘事項）を見る・保存する",
        "Read and save the compliance report (the audit's tables 1-18 and findings)",
    ),
    Permission.TRAINING_WRITE: (
        _roles(P, GA, OM),
        "研修の実施を記録する",
        "Record training sessions",
    ),
}

ALL_PERMISSIONS: frozenset[Permission] = frozenset(MATRIX)

# What a person may hold as a user (agency systems are tokens, not users).
USER_ROLES: frozenset[Role] = frozenset(Role) - {SY}
TENANT_USER_ROLES: frozenset[Role] = USER_ROLES - {P}


def permissions_of(role: Role) -> frozenset[Permission]:
    return frozenset(name for name, (roles, _, _) in MATRIX.items() if role in roles)


def permissions_of_roles(roles: frozenset[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= permissions_of(role)
    return frozenset(granted)


def effective_permissions(roles: frozenset[Role], scopes: frozenset[str] | None) -> frozenset[Permission]:
    """What a caller may do: its roles' permissions, narrowed to its token's scopes when it has any."""
    granted = permissions_of_roles(roles)
    return granted if scopes is None else frozenset(p for p in granted if p.value in scopes)
