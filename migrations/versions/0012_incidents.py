"""Incidents: flaming, impersonation, takeover, unauthorised access; their timeline and outcome.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE incidents (
            id           uuid PRIMARY KEY,
            tenant_id    uuid NOT NULL REFERENCES tenants (id),
            account_id   uuid,
            kind         text NOT NULL CHECK (kind IN ('flaming', 'impersonation', 'takeover', 'unauthorised_access', 'other')),
            severity     text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
            title        text NOT NULL,
            description  text NOT NULL DEFAULT '',
            crime        boolean NOT NULL DEFAULT false,
            fake_url     text,
            warning_id   uuid,
            state        text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
            reported_by  text NOT NULL,
            reported_at  timestamptz NOT NULL,
            resolved_at  timestamptz,
            resolution   text,
            version      integer NOT NULL DEFAULT 1,
            created_at   timestamptz NOT NULL,
            updated_at   timestamptz NOT NULL,
            CONSTRAINT uq_incidents_tenant_id_id UNIQUE (tenant_id, id),
            CONSTRAINT fk_incidents_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_incidents_tenant_id_id ON incidents (tenant_id, id)")
    tenant_rls("incidents")
    grant("incidents", "SELECT, INSERT, UPDATE")
    op.execute(
        """
        CREATE TABLE incident_entries (
            id           uuid PRIMARY KEY,
            tenant_id    uuid NOT NULL REFERENCES tenants (id),
            incident_id  uuid NOT NULL,
            happened_at  timestamptz NOT NULL,
            kind         text NOT NULL CHECK (kind IN ('action', 'notified')),
            notified     text,
            note         text NOT NULL DEFAULT '',
            recorded_by  text NOT NULL,
            created_at   timestamptz NOT NULL,
            CONSTRAINT fk_incident_entries_incident FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_incident_entries_incident ON incident_entries (tenant_id, incident_id, happened_at)")
    tenant_rls("incident_entries")
    grant("incident_entries", "SELECT, INSERT")


def downgrade() -> None:
    op.execute("DROP TABLE incident_entries")
    op.execute("DROP TABLE incidents")
