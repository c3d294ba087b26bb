"""What the public may read, as views instead of SQL functions.

0005 answered verification through a SECURITY DEFINER SQL function. PostgreSQL plans the body of
a SQL-language function again on every call and cannot inline a SECURITY DEFINER one: measured
here, 0.8 ms a call against 0.07 ms for the same lookup as a plain statement, most of a public
request's cost. Views owned by the definer role give the same boundary (published columns of
published rows, nothing else) and are planned, and their plans cached, like any statement.

Row-level security inside a view is checked for the view's owner, so the definer role gets
read-only policies of its own; the views select the published rows. The tenant policies lose
their `current_user = definer` alternative with it: an OR beside the tenant condition hid its
selectivity from the planner, which then read a whole tenant's accounts and sorted them to
return the first page (1.3 ms for 500 accounts, growing with the tenant) instead of walking the
(tenant_id, id) index and stopping after the page.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import APP_ROLE, CURRENT_TENANT, DEFINER_ROLE, IN_DEFINER, PLATFORM_MODE, grant

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PUBLISHED = "('active', 'suspended', 'closing', 'closed')"
PAGE = "koshiki_account_page(uuid, uuid, integer, uuid, text, text, text, boolean)"


def upgrade() -> None:
    # What the definer role (the views, and 0005's holder check) reads. It owns no table and runs
    # only the SQL of these migrations.
    for table, rows in (
        ("tenants", "true"),
        ("units", "true"),
        ("accounts", "true"),
        ("account_documents", "kind = 'account_policy'"),
        ("impersonation_warnings", "active"),
    ):
        op.execute(f"CREATE POLICY {table}_published ON {table} FOR SELECT TO {DEFINER_ROLE} USING ({rows})")
    tenant = f"tenant_id = {CURRENT_TENANT}"
    for table in ("accounts", "impersonation_warnings"):
        op.execute(f"ALTER POLICY {table}_isolation ON {table} USING ({tenant}) WITH CHECK ({tenant})")
    op.execute(
        f"ALTER POLICY tenants_isolation ON tenants USING (id = {CURRENT_TENANT} OR {PLATFORM_MODE}) "
        f"WITH CHECK (id = {CURRENT_TENANT} OR {PLATFORM_MODE})"
    )
    grant("units", "SELECT", DEFINER_ROLE)
    grant("account_documents", "SELECT", DEFINER_ROLE)

    # LEFT JOINs on unique keys: a query that reads no unit or document column (verification)
    # does not join them at all.
    op.execute(
        f"""
        CREATE VIEW published_accounts AS
        SELECT a.account_key, a.id_key, a.tenant_id, a.status, a.platform, a.handle, a.display_name,
               a.canonical_url, a.purpose, a.opened_on, a.closing_on, a.closed_on,
               t.slug, t.name_ja, t.name_en,
               u.code AS unit_code, u.name_ja AS unit_ja, u.name_en AS unit_en,
               d.public_url AS account_policy_url
          FROM accounts a
          JOIN tenants t ON t.id = a.tenant_id
          LEFT JOIN units u ON u.tenant_id = a.tenant_id AND u.id = a.unit_id
          LEFT JOIN account_documents d ON d.account_id = a.id AND d.kind = 'account_policy'
         WHERE a.status IN {PUBLISHED}
        """
    )
    op.execute(
        """
        CREATE VIEW published_warnings AS
        SELECT w.account_key, w.tenant_id, w.platform, w.url, w.handle, w.note_ja, w.note_en, w.reported_at,
               t.slug, t.name_ja, t.name_en
          FROM impersonation_warnings w
          JOIN tenants t ON t.id = w.tenant_id
         WHERE w.active
        """
    )
    op.execute("CREATE VIEW published_tenants AS SELECT id, slug, name_ja, name_en FROM tenants")
    for view in ("published_accounts", "published_warnings", "published_tenants"):
        op.execute(f"ALTER VIEW {view} OWNER TO {DEFINER_ROLE}")
        op.execute(f"GRANT SELECT ON {view} TO {APP_ROLE}")
    # Verification's one statement. A function only to pin its plan: with a fresh plan for every
    # call (PostgreSQL's default for this statement) planning costs four times the execution.
    op.execute(
        """
        CREATE FUNCTION koshiki_verify(p_keys text[])
        RETURNS TABLE (kind text, status text, platform text, display_name text, canonical_url text,
                       closing_on date, closed_on date, slug text, name_ja text, name_en text,
                       note_ja text, note_en text)
        LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan SET search_path = pg_catalog, public AS $$
        BEGIN
          RETURN QUERY
            SELECT 'account'::text, a.status, a.platform, a.display_name, a.canonical_url, a.closing_on,
                   a.closed_on, a.slug, a.name_ja, a.name_en, NULL::text, NULL::text
              FROM published_accounts a
             WHERE a.account_key = ANY (p_keys) OR a.id_key = ANY (p_keys)
            UNION ALL
            SELECT 'warning'::text, NULL::text, w.platform, NULL::text, w.url, NULL::date, NULL::date,
                   w.slug, w.name_ja, w.name_en, w.note_ja, w.note_en
              FROM published_warnings w
             WHERE w.account_key = ANY (p_keys);
        END $$
        """
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION koshiki_verify(text[]) TO {APP_ROLE}")
    op.execute("DROP FUNCTION koshiki_verify_accounts(text[])")
    op.execute(f"ALTER FUNCTION {PAGE} SET plan_cache_mode = force_generic_plan")
    op.execute("DROP FUNCTION koshiki_public_tenant(text)")


def downgrade() -> None:
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
        f"""
        CREATE FUNCTION koshiki_verify_accounts(p_keys text[])
        RETURNS TABLE (kind text, status text, platform text, display_name text, canonical_url text,
                       closing_on date, closed_on date, slug text, name_ja text, name_en text, note_ja text, note_en text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT 'account', a.status, a.platform, a.display_name, a.canonical_url, a.closing_on, a.closed_on,
                 t.slug, t.name_ja, t.name_en, NULL, NULL
            FROM accounts a JOIN tenants t ON t.id = a.tenant_id
           WHERE (a.account_key = ANY (p_keys) OR a.id_key = ANY (p_keys))
             AND a.status IN {PUBLISHED}
          UNION ALL
          SELECT 'warning', NULL, w.platform, NULL, w.url, NULL, NULL, t.slug, t.name_ja, t.name_en, w.note_ja, w.note_en
            FROM impersonation_warnings w JOIN tenants t ON t.id = w.tenant_id
           WHERE w.account_key = ANY (p_keys) AND w.active
        $$
        """
    )
    for signature in ("koshiki_public_tenant(text)", "koshiki_verify_accounts(text[])"):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {DEFINER_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")
    op.execute(f"ALTER FUNCTION {PAGE} RESET plan_cache_mode")
    op.execute("DROP FUNCTION koshiki_verify(text[])")
    for view in ("published_tenants", "published_warnings", "published_accounts"):
        op.execute(f"DROP VIEW {view}")
    op.execute(f"REVOKE SELECT ON units, account_documents FROM {DEFINER_ROLE}")
    for table in ("impersonation_warnings", "account_documents", "accounts", "units", "tenants"):
        op.execute(f"DROP POLICY {table}_published ON {table}")
    for table in ("accounts", "impersonation_warnings"):
        using = f"tenant_id = {CURRENT_TENANT} OR {IN_DEFINER}"
        op.execute(f"ALTER POLICY {table}_isolation ON {table} USING ({using}) WITH CHECK ({using})")
    op.execute(
        f"ALTER POLICY tenants_isolation ON tenants USING (id = {CURRENT_TENANT} OR {PLATFORM_MODE} OR {IN_DEFINER}) "
        f"WITH CHECK (id = {CURRENT_TENANT} OR {PLATFORM_MODE})"
    )
