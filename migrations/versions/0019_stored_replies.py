"""Stored Idempotency-Key replies: never a secret, and kept for 24 hours.

A reply that carries a secret shown once (an API token's secret, a temporary password, a webhook
signing secret) was stored in full, so the database held those secrets in plain text and a retry
showed them again. Now such a reply leaves only a marker (`secret_withheld`, no body) and a retry
answers 409 `secret-not-replayed`. Replies already stored that carry one lose their body the same
way. Every stored reply expires (`expires_at`, 24 hours after it was made); an expired key is as
if it had never been used, and the scheduler's tidy removes expired rows through
`koshiki_idempotency_purge`, across tenants.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import APP_ROLE, DEFINER_ROLE

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The top-level members of the bodies that carried a secret: ApiTokenIssued.secret,
# UserWithPassword.temporary_password, WebhookWithSecret.secret (msgspec writes no spaces).
SECRET_MEMBERS = ('"secret":', '"temporary_password":')


def upgrade() -> None:
    op.execute("ALTER TABLE idempotency_keys ADD COLUMN expires_at timestamptz")
    op.execute("ALTER TABLE idempotency_keys ADD COLUMN secret_withheld boolean NOT NULL DEFAULT false")
    # The owner reads and scrubs every tenant's rows (their row-level security binds it too).
    op.execute("ALTER TABLE idempotency_keys NO FORCE ROW LEVEL SECURITY")
    op.execute("UPDATE idempotency_keys SET expires_at = created_at + interval '24 hours'")
    carries = " OR ".join(f"position(convert_to('{member}', 'UTF8') IN body) > 0" for member in SECRET_MEMBERS)
    op.execute(
        f"UPDATE idempotency_keys SET body = NULL, secret_withheld = true WHERE body IS NOT NULL AND ({carries})"
    )
    op.execute("ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE idempotency_keys ALTER COLUMN expires_at SET NOT NULL")
    op.execute(
        "ALTER TABLE idempotency_keys ADD CONSTRAINT ck_idempotency_keys_withheld_has_no_body "
        "CHECK (NOT secret_withheld OR body IS NULL)"
    )
    op.execute("CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at)")

    # The purge looks across tenants: the definer may read and delete rows, nothing else.
    op.execute(
        f"CREATE POLICY idempotency_keys_purge ON idempotency_keys TO {DEFINER_ROLE} USING (true) WITH CHECK (false)"
    )
    op.execute(f"GRANT SELECT, DELETE ON idempotency_keys TO {DEFINER_ROLE}")
    op.execute(
        """
        CREATE FUNCTION koshiki_idempotency_purge(p_now timestamptz) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH gone AS (DELETE FROM idempotency_keys WHERE expires_at <= p_now RETURNING 1)
          SELECT count(*)::integer FROM gone
        $$
        """
    )
    op.execute(f"ALTER FUNCTION koshiki_idempotency_purge(timestamptz) OWNER TO {DEFINER_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION koshiki_idempotency_purge(timestamptz) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION koshiki_idempotency_purge(timestamptz) TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION koshiki_idempotency_purge(timestamptz)")
    op.execute(f"REVOKE SELECT, DELETE ON idempotency_keys FROM {DEFINER_ROLE}")
    op.execute("DROP POLICY idempotency_keys_purge ON idempotency_keys")
    op.execute("DROP INDEX ix_idempotency_keys_expires_at")
    op.execute("ALTER TABLE idempotency_keys DROP CONSTRAINT ck_idempotency_keys_withheld_has_no_body")
    # A withheld reply has no body to give back: its key is released instead.
    op.execute("ALTER TABLE idempotency_keys NO FORCE ROW LEVEL SECURITY")
    op.execute("DELETE FROM idempotency_keys WHERE secret_withheld")
    op.execute("ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE idempotency_keys DROP COLUMN secret_withheld")
    op.execute("ALTER TABLE idempotency_keys DROP COLUMN expires_at")
