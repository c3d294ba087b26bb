"""Closures: the grace period between an approved closure and the account's end.

One row per closure process of an account: its end date, the tenant's closure steps as they stood
when it began (each confirmed by someone, or by the system where a record proves it), and the
announcements made. At most one open process per account.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE closures (
            id                 uuid PRIMARY KEY,
            tenant_id          uuid NOT NULL REFERENCES tenants (id),
            account_id         uuid NOT NULL,
            application_id     uuid,
            kind               text NOT NULL CHECK (kind IN ('planned', 'immediate')),
            state              text NOT NULL CHECK (state IN ('announcing', 'awaiting_steps', 'completed', 'withdrawn')),
            end_on             date NOT NULL,
            reason             text NOT NULL DEFAULT '',
            steps              jsonb NOT NULL DEFAULT '[]',
            announcement_days  integer[] NOT NULL DEFAULT '{}',
            escalations        integer NOT NULL DEFAULT 0,
            started_by         text NOT NULL,
            completed_at       timestamptz,
            withdrawn_at       timestamptz,
            withdrawal_reason  text,
            purged_at          timestamptz,
            version            integer NOT NULL DEFAULT 1,
            created_at         timestamptz NOT NULL,
            updated_at         timestamptz NOT NULL,
            CONSTRAINT uq_closures_tenant_id_id UNIQUE (tenant_id, id),
            CONSTRAINT fk_closures_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_closures_open ON closures (account_id) WHERE state IN ('announcing', 'awaiting_steps')"
    )
    op.execute("CREATE INDEX ix_closures_tenant_id_id ON closures (tenant_id, id)")
    tenant_rls("closures")
    grant("closures", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE closure_announcements (
            id           uuid PRIMARY KEY,
            tenant_id    uuid NOT NULL REFERENCES tenants (id),
            closure_id   uuid NOT NULL,
            days_before  integer,
            channel      text NOT NULL CHECK (channel IN ('account', 'website', 'other')),
            url          text,
            note         text NOT NULL DEFAULT '',
            made_on      date NOT NULL,
            recorded_by  text NOT NULL,
            created_at   timestamptz NOT NULL,
            CONSTRAINT fk_closure_announcements_closure FOREIGN KEY (tenant_id, closure_id)
                REFERENCES closures (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_closure_announcements_closure ON closure_announcements (tenant_id, closure_id)")
    tenant_rls("closure_announcements")
    grant("closure_announcements", "SELECT, INSERT")
    # Posts stay an insert-only log, except that the retention purge blanks the people on them.
    op.execute("GRANT UPDATE (recorded_by, approved_by) ON posts TO koshiki_app")


def downgrade() -> None:
    op.execute("REVOKE UPDATE (recorded_by, approved_by) ON posts FROM koshiki_app")
    op.execute("DROP TABLE closure_announcements")
    op.execute("DROP TABLE closures")
