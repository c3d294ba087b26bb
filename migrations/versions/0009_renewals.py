"""Renewals: each account's annual continuation declaration (継続希望), one row per round.

A round is the tenant's declaration deadline of one year; opening it gives every live account a
row here and its own reminder and deadline rows in `deadlines`, all in set-based statements, so a
round for a tenant with thousands of accounts never passes through the application's memory.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE continuation_declarations (
            id              uuid PRIMARY KEY,
            tenant_id       uuid NOT NULL REFERENCES tenants (id),
            account_id      uuid NOT NULL,
            due_on          date NOT NULL,
            decision        text CHECK (decision IN ('continue', 'discontinue')),
            declared_at     timestamptz,
            declared_by     text,
            note            text NOT NULL DEFAULT '',
            application_id  uuid,
            overdue_at      timestamptz,
            version         integer NOT NULL DEFAULT 1,
            created_at      timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL,
            CONSTRAINT uq_continuation_declarations_round UNIQUE (tenant_id, account_id, due_on),
            CONSTRAINT fk_continuation_declarations_account FOREIGN KEY (tenant_id, account_id)
                REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_continuation_declarations_round ON continuation_declarations (tenant_id, due_on, id)")
    tenant_rls("continuation_declarations")
    grant("continuation_declarations", "SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.execute("DROP TABLE continuation_declarations")
