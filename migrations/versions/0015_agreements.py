"""Contractor agreements (業務委託・指定管理): clauses, covered accounts, periods, login IDs.

A contractor user is linked to one agreement (users.agreement_id) and has standing only while it
runs. The clause entries are one JSON document checked against the configuration in force at the
agreement's start; the findings are stored beside it (codes as an array, for filtering).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE agreements (
            id                uuid PRIMARY KEY,
            tenant_id         uuid NOT NULL REFERENCES tenants (id),
            unit_id           uuid NOT NULL,
            contractor_name   text NOT NULL,
            kind              text NOT NULL CHECK (kind IN ('outsourcing', 'designated_manager', 'committee')),
            reference         text NOT NULL,
            starts_on         date NOT NULL,
            ends_on           date NOT NULL,
            clauses           jsonb NOT NULL,
            findings          jsonb NOT NULL DEFAULT '[]',
            finding_codes     text[] NOT NULL DEFAULT '{}',
            checked_version   integer,
            state             text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'ended')),
            ended_at          timestamptz,
            created_by        text NOT NULL,
            version           integer NOT NULL DEFAULT 1,
            created_at        timestamptz NOT NULL,
            updated_at        timestamptz NOT NULL,
            CONSTRAINT ck_agreements_period CHECK (ends_on >= starts_on),
            CONSTRAINT uq_agreements_reference UNIQUE (tenant_id, reference),
            CONSTRAINT uq_agreements_tenant_id_id UNIQUE (tenant_id, id),
            CONSTRAINT fk_agreements_unit FOREIGN KEY (tenant_id, unit_id) REFERENCES units (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_agreements_findings ON agreements USING gin (finding_codes)")
    tenant_rls("agreements")
    grant("agreements", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE agreement_periods (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            agreement_id  uuid NOT NULL,
            starts_on     date NOT NULL,
            ends_on       date NOT NULL,
            reference     text NOT NULL,
            recorded_by   text NOT NULL,
            created_at    timestamptz NOT NULL,
            CONSTRAINT fk_agreement_periods_agreement FOREIGN KEY (tenant_id, agreement_id)
                REFERENCES agreements (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_agreement_periods_agreement ON agreement_periods (tenant_id, agreement_id, starts_on)")
    tenant_rls("agreement_periods")
    grant("agreement_periods", "SELECT, INSERT")

    op.execute(
        """
        CREATE TABLE agreement_accounts (
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            agreement_id  uuid NOT NULL,
            account_id    uuid NOT NULL,
            PRIMARY KEY (agreement_id, account_id),
            CONSTRAINT fk_agreement_accounts_agreement FOREIGN KEY (tenant_id, agreement_id)
                REFERENCES agreements (tenant_id, id),
            CONSTRAINT fk_agreement_accounts_account FOREIGN KEY (tenant_id, account_id)
                REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_agreement_accounts_account ON agreement_accounts (tenant_id, account_id)")
    tenant_rls("agreement_accounts")
    grant("agreement_accounts", "SELECT, INSERT, DELETE")

    op.execute(
        """
        CREATE TABLE login_ids (
            id                uuid PRIMARY KEY,
            tenant_id         uuid NOT NULL REFERENCES tenants (id),
            agreement_id      uuid NOT NULL,
            account_id        uuid NOT NULL,
            login_id          text NOT NULL,
            holder            text NOT NULL CHECK (holder IN ('agency', 'contractor')),
            state             text NOT NULL DEFAULT 'active'
                              CHECK (state IN ('active', 'revoked', 'handed_over')),
            state_changed_at  timestamptz,
            note              text NOT NULL DEFAULT '',
            version           integer NOT NULL DEFAULT 1,
            created_at        timestamptz NOT NULL,
            updated_at        timestamptz NOT NULL,
            CONSTRAINT uq_login_ids UNIQUE (agreement_id, account_id, login_id),
            CONSTRAINT fk_login_ids_cover FOREIGN KEY (agreement_id, account_id)
                REFERENCES agreement_accounts (agreement_id, account_id)
        )
        """
    )
    tenant_rls("login_ids")
    grant("login_ids", "SELECT, INSERT, UPDATE")

    op.execute(
        "ALTER TABLE users ADD COLUMN agreement_id uuid, "
        "ADD CONSTRAINT fk_users_agreement FOREIGN KEY (tenant_id, agreement_id) REFERENCES agreements (tenant_id, id)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP COLUMN agreement_id")
    op.execute("DROP TABLE login_ids")
    op.execute("DROP TABLE agreement_accounts")
    op.execute("DROP TABLE agreement_periods")
    op.execute("DROP TABLE agreements")
