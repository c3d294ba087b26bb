"""Periodic reviews of an account: its purpose against its targets (PDCA), and its security settings.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE account_reviews (
            id             uuid PRIMARY KEY,
            tenant_id      uuid NOT NULL REFERENCES tenants (id),
            account_id     uuid NOT NULL,
            kind           text NOT NULL CHECK (kind IN ('periodic_review', 'settings_review')),
            reviewed_on    date NOT NULL,
            action_needed  boolean NOT NULL,
            findings       text NOT NULL DEFAULT '',
            recorded_by    text NOT NULL,
            created_at     timestamptz NOT NULL,
            CONSTRAINT fk_account_reviews_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_account_reviews_account ON account_reviews (tenant_id, account_id, kind, reviewed_on)")
    tenant_rls("account_reviews")
    grant("account_reviews", "SELECT, INSERT")


def downgrade() -> None:
    op.execute("DROP TABLE account_reviews")
