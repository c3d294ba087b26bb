"""SQL fragments shared by migrations. Frozen on purpose: a migration must mean tomorrow what it
means today, so later changes to the application never rewrite these."""

from __future__ import annotations

from alembic import op

APP_ROLE = "koshiki_app"
DEFINER_ROLE = "koshiki_definer"

# The tenant the transaction acts for; NULL (no rows) when unset or empty.
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
PLATFORM_MODE = "coalesce(current_setting('app.platform', true), '') = 'on'"
IN_DEFINER = f"current_user = '{DEFINER_ROLE}'"


def require_roles() -> None:
    """Fail early, and say why, when the server has not been bootstrapped."""
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}')
             OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{DEFINER_ROLE}') THEN
            RAISE EXCEPTION 'roles {APP_ROLE} and {DEFINER_ROLE} are missing: run `koshiki db bootstrap` '
                            'or create them as the README (Database roles) shows';
          END IF;
        END $$;
        """
    )


def enable_rls(table: str, using: str) -> None:
    """ENABLE and FORCE row-level security with one policy for every command."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY {table}_isolation ON {table} USING ({using}) WITH CHECK ({using})")


def tenant_rls(table: str, *extra: str) -> None:
    """The usual policy: rows of the current tenant only, plus any extra clauses given."""
    enable_rls(table, " OR ".join([f"tenant_id = {CURRENT_TENANT}", *extra]))


def grant(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE", role: str = APP_ROLE) -> None:
    op.execute(f"GRANT {privileges} ON {table} TO {role}")
