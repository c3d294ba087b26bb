"""Monitoring: who looked at an account's posts and comments, when, and what they found.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE monitoring_records (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            account_id    uuid NOT NULL,
            monitored_on  date NOT NULL,
            issues_found  boolean NOT NULL,
            findings      text NOT NULL DEFAULT '',
            recorded_by   text NOT NULL,
            created_at    timestamptz NOT NULL,
            CONSTRAINT fk_monitoring_records_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_monitoring_records_account ON monitoring_records (tenant_id, account_id, monitored_on DESC)"
    )
    tenant_rls("monitoring_records")
    grant("monitoring_records", "SELECT, INSERT")


def downgrade() -> None:
    op.execute("DROP TABLE monitoring_records")
