"""One namespace for the names people log in with: login IDs and e-mail addresses, platform-wide.

Uniqueness was checked per column within a tenant, and the login lookup matched either column
with `OR … LIMIT 1`: a login ID of one tenant could be another tenant's user's e-mail, and that
user's login by e-mail reached the wrong account. Now every user's login ID and e-mail are rows
of `login_names` (lower-cased), whose primary key makes each name one user's across the platform;
a trigger keeps it in step with `users`, and the lookup reads it, so a name finds one user or none.
The application role has no access to the table: only the definer's trigger and lookup do.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import APP_ROLE, DEFINER_ROLE

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE login_names (
            name     text PRIMARY KEY CHECK (name = lower(name)),
            user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE
        )
        """
    )
    op.execute("CREATE INDEX ix_login_names_user_id ON login_names (user_id)")
    op.execute(f"ALTER TABLE login_names OWNER TO {DEFINER_ROLE}")
    op.execute(f"REVOKE ALL ON login_names FROM PUBLIC, {APP_ROLE}")
    # The owner reads every tenant's users for what follows (their row-level security binds it too).
    op.execute("ALTER TABLE users NO FORCE ROW LEVEL SECURITY")
    # Names already taken twice (the defect this closes) must be resolved by hand before upgrading.
    op.execute(
        """
        DO $$
        DECLARE clash text;
        BEGIN
          SELECT string_agg(name, ', ') INTO clash FROM (
            SELECT name FROM (
              SELECT DISTINCT u.id, n.name FROM users u
               CROSS JOIN LATERAL (VALUES (lower(u.login_id)), (lower(u.email))) AS n(name)
            ) AS each_user GROUP BY name HAVING count(*) > 1
          ) AS clashes;
          IF clash IS NOT NULL THEN
            RAISE EXCEPTION 'login names shared by more than one user: % (rename them, then upgrade)', clash;
          END IF;
        END $$;
        """
    )
    op.execute(
        """
        INSERT INTO login_names (name, user_id)
        SELECT DISTINCT n.name, u.id FROM users u
         CROSS JOIN LATERAL (VALUES (lower(u.login_id)), (lower(u.email))) AS n(name)
        """
    )
    op.execute("ALTER TABLE users FORCE ROW LEVEL SECURITY")
    op.execute(
        """
        CREATE FUNCTION koshiki_claim_login_names() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
          DELETE FROM login_names
           WHERE user_id = NEW.id AND name NOT IN (lower(NEW.login_id), lower(NEW.email));
          -- A name another user holds violates the primary key: the change fails as a whole.
          INSERT INTO login_names (name, user_id)
          SELECT n.name, NEW.id FROM (VALUES (lower(NEW.login_id)), (lower(NEW.email))) AS n(name)
           WHERE NOT EXISTS (SELECT 1 FROM login_names l WHERE l.name = n.name AND l.user_id = NEW.id)
           GROUP BY n.name;
          RETURN NEW;
        END $$
        """
    )
    op.execute(f"ALTER FUNCTION koshiki_claim_login_names() OWNER TO {DEFINER_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION koshiki_claim_login_names() FROM PUBLIC")
    op.execute(
        "CREATE TRIGGER users_login_names AFTER INSERT OR UPDATE OF login_id, email ON users "
        "FOR EACH ROW EXECUTE FUNCTION koshiki_claim_login_names()"
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION koshiki_find_login(p_login text)
        RETURNS TABLE (id uuid, tenant_id uuid, password_hash text, disabled_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT u.id, u.tenant_id, u.password_hash, u.disabled_at
            FROM login_names n JOIN users u ON u.id = n.user_id
           WHERE n.name = lower(p_login)
        $$
        """
    )


def downgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION koshiki_find_login(p_login text)
        RETURNS TABLE (id uuid, tenant_id uuid, password_hash text, disabled_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT u.id, u.tenant_id, u.password_hash, u.disabled_at FROM users u
           WHERE lower(u.login_id) = lower(p_login) OR lower(u.email) = lower(p_login)
           LIMIT 1
        $$
        """
    )
    op.execute("DROP TRIGGER users_login_names ON users")
    op.execute("DROP FUNCTION koshiki_claim_login_names()")
    op.execute("DROP TABLE login_names")
