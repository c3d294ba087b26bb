"""Idempotency keys for creating requests.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import PLATFORM_MODE, grant, tenant_rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE idempotency_keys (
            id            uuid PRIMARY KEY,
            tenant_id     uuid REFERENCES tenants (id),
            principal_id  uuid NOT NULL,
            key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
            fingerprint   bytea NOT NULL,
            status_code   integer,
            body          bytea,
            headers       jsonb,
            created_at    timestamptz NOT NULL,
            CONSTRAINT uq_idempotency_keys_principal_id_key UNIQUE (principal_id, key)
        )
        """
    )
    op.execute("CREATE INDEX ix_idempotency_keys_created_at ON idempotency_keys (created_at)")
    tenant_rls("idempotency_keys", f"(tenant_id IS NULL AND {PLATFORM_MODE})")
    grant("idempotency_keys")


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")
