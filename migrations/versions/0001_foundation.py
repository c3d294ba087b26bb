"""Foundation: tenants, units, API tokens, versioned guideline configuration; all under RLS.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import (
    CURRENT_TENANT,
    DEFINER_ROLE,
    IN_DEFINER,
    PLATFORM_MODE,
    enable_rls,
    grant,
    require_roles,
    tenant_rls,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


def upgrade() -> None:
    require_roles()
    # /readyz compares the database's revision with the code's, as the application role.
    grant("alembic_version", "SELECT")

    op.execute(
        f"""
        CREATE TABLE tenants (
            id          uuid PRIMARY KEY,
            slug        text NOT NULL UNIQUE CHECK (slug ~ '{SLUG}'),
            name_ja     text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 200),
            name_en     text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
            kind        text NOT NULL CHECK (kind IN ('prefecture', 'municipality', 'board_of_education',
                                                      'school', 'welfare_council', 'other')),
            time_zone   text NOT NULL DEFAULT 'Asia/Tokyo',
            version     integer NOT NULL DEFAULT 1,
            created_at  timestamptz NOT NULL,
            updated_at  timestamptz NOT NULL
        )
        """
    )
    # A tenant sees its own row; the platform sees all (listing, creating tenants).
    enable_rls("tenants", f"id = {CURRENT_TENANT} OR {PLATFORM_MODE}")
    grant("tenants", "SELECT, INSERT, UPDATE")

    op.execute(
        f"""
        CREATE TABLE units (
            id              uuid PRIMARY KEY,
            tenant_id       uuid NOT NULL REFERENCES tenants (id),
            code            text NOT NULL CHECK (code ~ '{SLUG}'),
            name_ja         text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 200),
            name_en         text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
            parent_id       uuid,
            shared_mailbox  text,
            version         integer NOT NULL DEFAULT 1,
            created_at      timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL,
            CONSTRAINT uq_units_tenant_id_code UNIQUE (tenant_id, code),
            CONSTRAINT uq_units_tenant_id_id UNIQUE (tenant_id, id),
            -- The parent must be in the same tenant: the pair is the key.
            CONSTRAINT fk_units_parent FOREIGN KEY (tenant_id, parent_id) REFERENCES units (tenant_id, id),
            CONSTRAINT ck_units_not_own_parent CHECK (parent_id IS DISTINCT FROM id)
        )
        """
    )
    op.execute("CREATE INDEX ix_units_tenant_id_parent_id ON units (tenant_id, parent_id)")
    tenant_rls("units")
    grant("units")

    op.execute(
        """
        CREATE TABLE api_tokens (
            id              uuid PRIMARY KEY,
            tenant_id       uuid REFERENCES tenants (id),
            role            text NOT NULL,
            name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            description     text NOT NULL DEFAULT '',
            token_prefix    text NOT NULL,
            secret_hash     bytea NOT NULL UNIQUE,
            scopes          text[] NOT NULL,
            created_by      text NOT NULL,
            created_by_id   uuid,
            created_at      timestamptz NOT NULL,
            expires_at      timestamptz,
            revoked_at      timestamptz,
            revoked_by      text,
            last_used_at    timestamptz,
            last_used_ip    inet,
            -- Platform tokens belong to no tenant; every other token belongs to exactly one.
            CONSTRAINT ck_api_tokens_platform_has_no_tenant CHECK ((role = 'platform_operator') = (tenant_id IS NULL))
        )
        """
    )
    op.execute("CREATE INDEX ix_api_tokens_tenant_id_id ON api_tokens (tenant_id, id)")
    tenant_rls("api_tokens", f"(tenant_id IS NULL AND {PLATFORM_MODE})", IN_DEFINER)
    grant("api_tokens")
    grant("api_tokens", "SELECT, UPDATE", DEFINER_ROLE)

    # Authentication happens before the tenant is known: this function is the one door through
    # which the application may find a token by its hash, in any tenant. It records the use too,
    # at most once a minute per token and address, so a busy integration does not write per request.
    op.execute(
        """
        CREATE FUNCTION koshiki_authenticate_token(p_hash bytea, p_ip inet, p_now timestamptz)
        RETURNS TABLE (id uuid, tenant_id uuid, role text, name text, scopes text[],
                       expires_at timestamptz, revoked_at timestamptz)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
          UPDATE api_tokens t SET last_used_at = p_now, last_used_ip = p_ip
           WHERE t.secret_hash = p_hash AND t.revoked_at IS NULL
             AND (t.expires_at IS NULL OR t.expires_at > p_now)
             AND (t.last_used_at IS NULL OR t.last_used_at < p_now - interval '1 minute'
                  OR t.last_used_ip IS DISTINCT FROM p_ip);
          RETURN QUERY SELECT t.id, t.tenant_id, t.role, t.name, t.scopes, t.expires_at, t.revoked_at
                         FROM api_tokens t WHERE t.secret_hash = p_hash;
        END $$
        """
    )
    op.execute(f"ALTER FUNCTION koshiki_authenticate_token(bytea, inet, timestamptz) OWNER TO {DEFINER_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION koshiki_authenticate_token(bytea, inet, timestamptz) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION koshiki_authenticate_token(bytea, inet, timestamptz) TO koshiki_app")

    op.execute(
        """
        CREATE TABLE guideline_versions (
            id              uuid PRIMARY KEY,
            tenant_id       uuid NOT NULL REFERENCES tenants (id),
            version         integer NOT NULL CHECK (version > 0),
            document        jsonb NOT NULL,
            reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
            effective_from  date NOT NULL,
            created_by      text NOT NULL,
            created_by_id   uuid,
            created_at      timestamptz NOT NULL,
            CONSTRAINT uq_guideline_versions_tenant_id_version UNIQUE (tenant_id, version)
        )
        """
    )
    op.execute(
        "CREATE INDEX ix_guideline_versions_in_force ON guideline_versions (tenant_id, effective_from DESC, version DESC)"
    )
    tenant_rls("guideline_versions")
    # History is immutable: the application may add versions, never rewrite or remove one.
    grant("guideline_versions", "SELECT, INSERT")


def downgrade() -> None:
    op.execute("DROP TABLE guideline_versions")
    op.execute("DROP FUNCTION koshiki_authenticate_token(bytea, inet, timestamptz)")
    op.execute("DROP TABLE api_tokens")
    op.execute("DROP TABLE units")
    op.execute("DROP TABLE tenants")
