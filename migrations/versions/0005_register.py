"""The register: official accounts, their documents, operators, applications, posts, warnings.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import APP_ROLE, CURRENT_TENANT, DEFINER_ROLE, IN_DEFINER, grant, tenant_rls

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LIVE = "status NOT IN ('closed', 'rejected')"


def upgrade() -> None:
    # Composite keys so an account can only point at users of its own tenant.
    op.execute("CREATE UNIQUE INDEX uq_users_tenant_id_id ON users (tenant_id, id)")

    op.execute(
        """
        CREATE TABLE accounts (
            id                       uuid PRIMARY KEY,
            tenant_id                uuid NOT NULL REFERENCES tenants (id),
            unit_id                  uuid NOT NULL,
            platform                 text NOT NULL
                                     CHECK (platform IN ('x', 'facebook', 'instagram', 'youtube', 'line', 'tiktok', 'other')),
            handle                   text,
            platform_user_id         text,
            account_key              text NOT NULL,
            id_key                   text,
            canonical_url            text NOT NULL,
            display_name             text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
            purpose                  text NOT NULL DEFAULT '',
            operating_body           text NOT NULL
                                     CHECK (operating_body IN ('direct', 'outsourced', 'committee', 'designated_manager')),
            operations_manager_id    uuid,
            signup_mailbox           text,
            verified_badge           boolean NOT NULL DEFAULT false,
            profile_links_register   boolean NOT NULL DEFAULT false,
            status                   text NOT NULL DEFAULT 'draft'
                                     CHECK (status IN ('draft', 'pending_approval', 'active', 'suspended', 'closing',
                                                       'closed', 'rejected')),
            opened_on                date,
            closing_on               date,
            closed_on                date,
            last_post_at             timestamptz,
            last_password_change_at  timestamptz,
            last_monitored_at        timestamptz,
            needs_attention          boolean NOT NULL DEFAULT false,
            attention_reasons        text[] NOT NULL DEFAULT '{}',
            version                  integer NOT NULL DEFAULT 1,
            created_at               timestamptz NOT NULL,
            updated_at               timestamptz NOT NULL,
            CONSTRAINT uq_accounts_tenant_id_id UNIQUE (tenant_id, id),
            CONSTRAINT fk_accounts_unit FOREIGN KEY (tenant_id, unit_id) REFERENCES units (tenant_id, id),
            CONSTRAINT fk_accounts_manager FOREIGN KEY (tenant_id, operations_manager_id) REFERENCES users (tenant_id, id)
        )
        """
    )
    # One real account, one live record, in all tenants together: a unique index sees every row,
    # whatever row-level security lets a tenant read.
    op.execute(f"CREATE UNIQUE INDEX uq_accounts_live_key ON accounts (account_key) WHERE {LIVE}")
    op.execute(f"CREATE UNIQUE INDEX uq_accounts_live_id_key ON accounts (id_key) WHERE id_key IS NOT NULL AND {LIVE}")
    op.execute("CREATE INDEX ix_accounts_account_key ON accounts (account_key)")
    op.execute("CREATE INDEX ix_accounts_id_key ON accounts (id_key) WHERE id_key IS NOT NULL")
    op.execute("CREATE INDEX ix_accounts_tenant_id_id ON accounts (tenant_id, id)")
    tenant_rls("accounts", IN_DEFINER)
    grant("accounts")
    grant("accounts", "SELECT", DEFINER_ROLE)

    op.execute(
        """
        CREATE TABLE account_operators (
            tenant_id   uuid NOT NULL REFERENCES tenants (id),
            account_id  uuid NOT NULL,
            user_id     uuid NOT NULL,
            assigned_at timestamptz NOT NULL,
            PRIMARY KEY (account_id, user_id),
            CONSTRAINT fk_account_operators_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
                ON DELETE CASCADE,
            CONSTRAINT fk_account_operators_user FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_account_operators_user ON account_operators (tenant_id, user_id)")
    tenant_rls("account_operators")
    grant("account_operators")

    op.execute(
        """
        CREATE TABLE account_documents (
            id                    uuid PRIMARY KEY,
            tenant_id             uuid NOT NULL REFERENCES tenants (id),
            account_id            uuid NOT NULL,
            kind                  text NOT NULL CHECK (kind IN ('usage_policy', 'operations_manual', 'account_policy')),
            items                 jsonb NOT NULL,
            public_url            text,
            disclosed_on_account  boolean NOT NULL DEFAULT false,
            version               integer NOT NULL DEFAULT 1,
            created_at            timestamptz NOT NULL,
            updated_at            timestamptz NOT NULL,
            CONSTRAINT uq_account_documents_account_kind UNIQUE (account_id, kind),
            CONSTRAINT fk_account_documents_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    tenant_rls("account_documents")
    grant("account_documents", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE applications (
            id               uuid PRIMARY KEY,
            tenant_id        uuid NOT NULL REFERENCES tenants (id),
            account_id       uuid NOT NULL,
            kind             text NOT NULL CHECK (kind IN ('new', 'change', 'closure')),
            state            text NOT NULL CHECK (state IN ('draft', 'submitted', 'approved', 'rejected', 'withdrawn')),
            form             jsonb NOT NULL,
            created_by       uuid,
            created_by_label text NOT NULL,
            submitted_at     timestamptz,
            decided_by       uuid,
            decided_by_label text,
            decided_at       timestamptz,
            decision_reason  text,
            version          integer NOT NULL DEFAULT 1,
            created_at       timestamptz NOT NULL,
            updated_at       timestamptz NOT NULL,
            CONSTRAINT fk_applications_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_applications_tenant_id_id ON applications (tenant_id, id)")
    op.execute("CREATE INDEX ix_applications_account ON applications (tenant_id, account_id)")
    # At most one application of an account in progress at a time.
    op.execute(
        "CREATE UNIQUE INDEX uq_applications_open ON applications (account_id) WHERE state IN ('draft', 'submitted')"
    )
    tenant_rls("applications")
    grant("applications", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE posts (
            id           uuid PRIMARY KEY,
            tenant_id    uuid NOT NULL REFERENCES tenants (id),
            account_id   uuid NOT NULL,
            posted_at    timestamptz NOT NULL,
            url          text,
            approved_by  text,
            recorded_by  text NOT NULL,
            source       text NOT NULL CHECK (source IN ('operator', 'system')),
            created_at   timestamptz NOT NULL,
            CONSTRAINT fk_posts_account FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id)
        )
        """
    )
    op.execute("CREATE INDEX ix_posts_account ON posts (tenant_id, account_id, posted_at DESC)")
    tenant_rls("posts")
    grant("posts", "SELECT, INSERT")

    # Known fake accounts an agency warns about in its register.
    op.execute(
        """
        CREATE TABLE impersonation_warnings (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            platform      text NOT NULL,
            account_key   text NOT NULL,
            url           text NOT NULL,
            handle        text,
            note_ja       text NOT NULL DEFAULT '',
            note_en       text NOT NULL DEFAULT '',
            active        boolean NOT NULL DEFAULT true,
            reported_at   timestamptz NOT NULL,
            resolved_at   timestamptz,
            created_by    text NOT NULL,
            version       integer NOT NULL DEFAULT 1,
            created_at    timestamptz NOT NULL,
            updated_at    timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_impersonation_warnings_key ON impersonation_warnings (account_key) WHERE active")
    tenant_rls("impersonation_warnings", IN_DEFINER)
    grant("impersonation_warnings", "SELECT, INSERT, UPDATE")
    grant("impersonation_warnings", "SELECT", DEFINER_ROLE)
    grant("tenants", "SELECT", DEFINER_ROLE)
    op.execute(
        f"ALTER POLICY tenants_isolation ON tenants USING (id = {CURRENT_TENANT} OR "
        f"coalesce(current_setting('app.platform', true), '') = 'on' OR {IN_DEFINER}) "
        f"WITH CHECK (id = {CURRENT_TENANT} OR coalesce(current_setting('app.platform', true), '') = 'on')"
    )

    # Public doors, no tenant needed: the register's tenant by slug, verification by key, and the
    # holder of a key (to name it in a 409). They return only what the public register shows.
    op.execute(
        """
        CREATE FUNCTION koshiki_public_tenant(p_slug text)
        RETURNS TABLE (id uuid, slug text, name_ja text, name_en text, time_zone text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT t.id, t.slug, t.name_ja, t.name_en, t.time_zone FROM tenants t WHERE t.slug = p_slug
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION koshiki_verify_accounts(p_keys text[])
        RETURNS TABLE (kind text, status text, platform text, display_name text, canonical_url text,
                       closing_on date, closed_on date, slug text, name_ja text, name_en text, note_ja text, note_en text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT 'account', a.status, a.platform, a.display_name, a.canonical_url, a.closing_on, a.closed_on,
                 t.slug, t.name_ja, t.name_en, NULL, NULL
            FROM accounts a JOIN tenants t ON t.id = a.tenant_id
           WHERE (a.account_key = ANY (p_keys) OR a.id_key = ANY (p_keys))
             AND a.status IN ('active', 'suspended', 'closing', 'closed')
          UNION ALL
          SELECT 'warning', NULL, w.platform, NULL, w.url, NULL, NULL, t.slug, t.name_ja, t.name_en, w.note_ja, w.note_en
            FROM impersonation_warnings w JOIN tenants t ON t.id = w.tenant_id
           WHERE w.account_key = ANY (p_keys) AND w.active
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION koshiki_account_holder(p_keys text[], p_except uuid)
        RETURNS TABLE (slug text, name_ja text, name_en text, status text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT t.slug, t.name_ja, t.name_en, a.status FROM accounts a JOIN tenants t ON t.id = a.tenant_id
           WHERE (a.account_key = ANY (p_keys) OR a.id_key = ANY (p_keys)) AND a.{LIVE}
             AND a.id IS DISTINCT FROM p_except
           LIMIT 1
        $$
        """
    )
    for signature in (
        "koshiki_public_tenant(text)",
        "koshiki_verify_accounts(text[])",
        "koshiki_account_holder(text[], uuid)",
    ):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {DEFINER_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")

    # The hot read: a page of a tenant's accounts, with the tenant set in the same statement, so an
    # authenticated list costs one round trip. Row-level security applies inside (SECURITY INVOKER).
    op.execute(
        """
        CREATE FUNCTION koshiki_account_page(p_tenant uuid, p_after uuid, p_limit integer, p_unit uuid,
                                             p_platform text, p_status text, p_body text, p_attention boolean)
        RETURNS SETOF accounts LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
        BEGIN
          PERFORM set_config('app.tenant_id', p_tenant::text, true);
          RETURN QUERY
            SELECT * FROM accounts a
             WHERE a.tenant_id = p_tenant
               AND (p_after IS NULL OR a.id > p_after)
               AND (p_unit IS NULL OR a.unit_id = p_unit)
               AND (p_platform IS NULL OR a.platform = p_platform)
               AND (p_status IS NULL OR a.status = p_status)
               AND (p_body IS NULL OR a.operating_body = p_body)
               AND (p_attention IS NULL OR a.needs_attention = p_attention)
             ORDER BY a.id LIMIT p_limit;
        END $$
        """
    )
    op.execute(
        "GRANT EXECUTE ON FUNCTION koshiki_account_page(uuid, uuid, integer, uuid, text, text, text, boolean) TO koshiki_app"
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION koshiki_account_page(uuid, uuid, integer, uuid, text, text, text, boolean)")
    for signature in (
        "koshiki_account_holder(text[], uuid)",
        "koshiki_verify_accounts(text[])",
        "koshiki_public_tenant(text)",
    ):
        op.execute(f"DROP FUNCTION {signature}")
    for table in (
        "impersonation_warnings",
        "posts",
        "applications",
        "account_documents",
        "account_operators",
        "accounts",
    ):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP INDEX uq_users_tenant_id_id")
