"""Imports: an agency's existing register and records brought in, and the runs that did it.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE imports (
            id           uuid PRIMARY KEY,
            tenant_id    uuid NOT NULL REFERENCES tenants (id),
            format       text NOT NULL CHECK (format IN ('json', 'csv')),
            digest       text NOT NULL,
            summary      jsonb NOT NULL,
            imported_by  text NOT NULL,
            created_at   timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_imports_tenant ON imports (tenant_id, created_at DESC)")
    tenant_rls("imports")
    grant("imports", "SELECT, INSERT")
    # Imported history is matched to what is recorded by its natural key through the indexes there
    # already: ix_posts_account, ix_monitoring_records_account, ix_password_changes_account.


def downgrade() -> None:
    op.execute("DROP TABLE imports")
