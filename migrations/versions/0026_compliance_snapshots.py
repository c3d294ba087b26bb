"""Saved runs of the compliance report, to compare two of them; and the indexes the report reads posts by.

A snapshot keeps the whole report as it was computed (tables and findings), so that a later run can
be compared with it even after the records it came from have changed.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE compliance_snapshots (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            as_of         date NOT NULL,
            window_days   integer NOT NULL CHECK (window_days BETWEEN 7 AND 366),
            label         text NOT NULL DEFAULT '',
            report        jsonb NOT NULL,
            finding_count integer NOT NULL,
            created_by    text NOT NULL,
            created_at    timestamptz NOT NULL,
            CONSTRAINT uq_compliance_snapshots_tenant_id_id UNIQUE (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_compliance_snapshots_tenant_id_id ON compliance_snapshots (tenant_id, id)")
    tenant_rls("compliance_snapshots")
    grant("compliance_snapshots", "SELECT, INSERT")
    # The report reads published posts by time, per tenant; the columns it groups by ride along so
    # that the scan never visits the table (decision, account).
    op.execute(
        "CREATE INDEX ix_posts_published ON posts (tenant_id, published_at) INCLUDE (account_id, decision) "
        "WHERE state = 'published'"
    )
    # The few published posts not decided by approval (no decision; within the pre-approved range).
    op.execute(
        "CREATE INDEX ix_posts_not_approved ON posts (tenant_id, published_at) INCLUDE (account_id, decision) "
        "WHERE state = 'published' AND decision <> 'approved'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_posts_not_approved")
    op.execute("DROP INDEX ix_posts_published")
    op.execute("DROP TABLE compliance_snapshots")
