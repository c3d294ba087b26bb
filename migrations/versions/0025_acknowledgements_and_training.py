"""Staff acknowledge the guideline version in force; training sessions and who attended.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per user and version: acknowledging again finds the row already there. The unit is
    # the user's unit when they acknowledged (表5 counts units where someone acknowledged).
    op.execute(
        """
        CREATE TABLE guideline_acknowledgements (
            id               uuid PRIMARY KEY,
            tenant_id        uuid NOT NULL REFERENCES tenants (id),
            version          integer NOT NULL,
            user_id          uuid NOT NULL,
            unit_id          uuid,
            acknowledged_at  timestamptz NOT NULL,
            created_at       timestamptz NOT NULL,
            CONSTRAINT uq_guideline_acknowledgements_version_user UNIQUE (tenant_id, version, user_id),
            CONSTRAINT fk_guideline_acknowledgements_version FOREIGN KEY (tenant_id, version)
                REFERENCES guideline_versions (tenant_id, version),
            CONSTRAINT fk_guideline_acknowledgements_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
            CONSTRAINT fk_guideline_acknowledgements_unit FOREIGN KEY (tenant_id, unit_id) REFERENCES units (tenant_id, id)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_guideline_acknowledgements_user ON guideline_acknowledgements (tenant_id, user_id, version)"
    )
    tenant_rls("guideline_acknowledgements")
    grant("guideline_acknowledgements", "SELECT, INSERT")
    op.execute(
        """
        CREATE TABLE training_sessions (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            held_on       date NOT NULL,
            title         text NOT NULL,
            kind          text NOT NULL CHECK (kind IN ('security', 'digital_marketing', 'guideline', 'other')),
            note          text NOT NULL DEFAULT '',
            attendee_ids  uuid[] NOT NULL DEFAULT '{}',
            recorded_by   text NOT NULL,
            created_at    timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_training_sessions_held_on ON training_sessions (tenant_id, held_on, id)")
    tenant_rls("training_sessions")
    grant("training_sessions", "SELECT, INSERT")


def downgrade() -> None:
    op.execute("DROP TABLE training_sessions")
    op.execute("DROP TABLE guideline_acknowledgements")
