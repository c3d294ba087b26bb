"""Identity: staff users, refresh-token families, login throttling, signing keys, the audit trail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import APP_ROLE, DEFINER_ROLE, IN_DEFINER, PLATFORM_MODE, grant, tenant_rls

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ROLES = "'platform_operator', 'general_administrator', 'operations_manager', 'unit_head', 'operator', 'auditor', 'contractor'"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE users (
            id                    uuid PRIMARY KEY,
            tenant_id             uuid REFERENCES tenants (id),
            login_id              text NOT NULL CHECK (login_id ~ '^[A-Za-z0-9._@-]{{3,64}}$'),
            email                 text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
            display_name          text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
            locale                text NOT NULL DEFAULT 'ja' CHECK (locale IN ('ja', 'en')),
            roles                 text[] NOT NULL CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY[{ROLES}]),
            unit_id               uuid,
            password_hash         text NOT NULL,
            password_changed_at   timestamptz NOT NULL,
            password_must_change  boolean NOT NULL DEFAULT false,
            disabled_at           timestamptz,
            last_login_at         timestamptz,
            version               integer NOT NULL DEFAULT 1,
            created_at            timestamptz NOT NULL,
            updated_at            timestamptz NOT NULL,
            CONSTRAINT fk_users_unit FOREIGN KEY (tenant_id, unit_id) REFERENCES units (tenant_id, id),
            -- Platform operators belong to no tenant; everyone else to exactly one.
            CONSTRAINT ck_users_platform_has_no_tenant
                CHECK (('platform_operator' = ANY (roles)) = (tenant_id IS NULL))
        )
        """
    )
    # One person, one login across the platform: login ID and e-mail, case-insensitively.
    op.execute("CREATE UNIQUE INDEX uq_users_login_id ON users (lower(login_id))")
    op.execute("CREATE UNIQUE INDEX uq_users_email ON users (lower(email))")
    op.execute("CREATE INDEX ix_users_tenant_id_id ON users (tenant_id, id)")
    tenant_rls("users", f"(tenant_id IS NULL AND {PLATFORM_MODE})", IN_DEFINER)
    grant("users")
    grant("users", "SELECT, UPDATE", DEFINER_ROLE)

    # A refresh token belongs to a family (one login session); each use replaces it with the next.
    op.execute(
        """
        CREATE TABLE refresh_tokens (
            id            uuid PRIMARY KEY,
            tenant_id     uuid REFERENCES tenants (id),
            family_id     uuid NOT NULL,
            user_id       uuid NOT NULL REFERENCES users (id),
            secret_hash   bytea NOT NULL UNIQUE,
            issued_at     timestamptz NOT NULL,
            expires_at    timestamptz NOT NULL,
            used_at       timestamptz,
            revoked_at    timestamptz,
            revoked_reason text
        )
        """
    )
    op.execute("CREATE INDEX ix_refresh_tokens_family_id ON refresh_tokens (family_id)")
    op.execute("CREATE INDEX ix_refresh_tokens_user_id ON refresh_tokens (user_id) WHERE revoked_at IS NULL")
    tenant_rls("refresh_tokens", f"(tenant_id IS NULL AND {PLATFORM_MODE})", IN_DEFINER)
    grant("refresh_tokens")
    grant("refresh_tokens", "SELECT", DEFINER_ROLE)

    # Failed logins per account name and per client address, shared by every API process.
    op.execute(
        """
        CREATE TABLE login_throttle (
            key                text PRIMARY KEY,
            failures           integer NOT NULL,
            window_started_at  timestamptz NOT NULL,
            locked_until       timestamptz
        )
        """
    )
    grant("login_throttle")

    # JWT signing keys. The private key is encrypted with KOSHIKI_SECRET_KEY (AES-GCM), so a copy of
    # the database alone cannot mint tokens.
    op.execute(
        """
        CREATE TABLE signing_keys (
            kid                    text PRIMARY KEY,
            algorithm              text NOT NULL,
            public_jwk             jsonb NOT NULL,
            private_key_encrypted  bytea NOT NULL,
            created_at             timestamptz NOT NULL,
            retired_at             timestamptz
        )
        """
    )
    grant("signing_keys", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE audit_events (
            id            uuid PRIMARY KEY,
            tenant_id     uuid REFERENCES tenants (id),
            occurred_at   timestamptz NOT NULL,
            actor_kind    text NOT NULL,
            actor_id      uuid,
            actor_label   text NOT NULL,
            action        text NOT NULL,
            target_kind   text NOT NULL,
            target_id     text,
            changes       jsonb NOT NULL DEFAULT '{}',
            request_id    text,
            client_ip     inet
        )
        """
    )
    op.execute("CREATE INDEX ix_audit_events_tenant_id_id ON audit_events (tenant_id, id DESC)")
    op.execute("CREATE INDEX ix_audit_events_tenant_target ON audit_events (tenant_id, target_kind, target_id)")
    op.execute("CREATE INDEX ix_audit_events_tenant_actor ON audit_events (tenant_id, actor_id)")
    tenant_rls("audit_events", f"(tenant_id IS NULL AND {PLATFORM_MODE})", IN_DEFINER)
    # Append-only: the application may write and read the trail, never change or remove it.
    grant("audit_events", "SELECT, INSERT")
    grant("audit_events", "INSERT", DEFINER_ROLE)

    # Login, before any tenant is known: the one door to find a user by login ID or e-mail.
    op.execute(
        """
        CREATE FUNCTION koshiki_find_login(p_login text)
        RETURNS TABLE (id uuid, tenant_id uuid, password_hash text, disabled_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT u.id, u.tenant_id, u.password_hash, u.disabled_at FROM users u
           WHERE lower(u.login_id) = lower(p_login) OR lower(u.email) = lower(p_login)
           LIMIT 1
        $$
        """
    )
    # Refresh, before any tenant is known: find a refresh token's owner by the token's hash.
    op.execute(
        """
        CREATE FUNCTION koshiki_find_refresh_token(p_hash bytea)
        RETURNS TABLE (id uuid, tenant_id uuid, user_id uuid, family_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT r.id, r.tenant_id, r.user_id, r.family_id FROM refresh_tokens r WHERE r.secret_hash = p_hash
        $$
        """
    )
    for signature in ("koshiki_find_login(text)", "koshiki_find_refresh_token(bytea)"):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {DEFINER_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION koshiki_find_refresh_token(bytea)")
    op.execute("DROP FUNCTION koshiki_find_login(text)")
    op.execute("DROP TABLE audit_events")
    op.execute("DROP TABLE signing_keys")
    op.execute("DROP TABLE login_throttle")
    op.execute("DROP TABLE refresh_tokens")
    op.execute("DROP TABLE users")
