"""Account security: the social media account's password changes, recorded, never the password.

Each row says a password was changed on a day, by whom it was recorded, and whether the person
attests that the new password meets the tenant's rules. Append-only for the application.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE password_changes (
            id              uuid PRIMARY KEY,
            tenant_id       uuid NOT NULL REFERENCES tenants (id),
            account_id      uuid NOT NULL,
            changed_on      date NOT NULL,
            meets_policy    boolean NOT NULL,
            policy_version  integer,
            recorded_by     text NOT NULL,
            note            text NOT NULL DEFAULT '',
            created_at      timestamptz NOT NULL,
            CONSTRAINT fk_password_changes_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_password_changes_account ON password_changes (tenant_id, account_id, changed_on DESC)")
    tenant_rls("password_changes")
    grant("password_changes", "SELECT, INSERT")


def downgrade() -> None:
    op.execute("DROP TABLE password_changes")
