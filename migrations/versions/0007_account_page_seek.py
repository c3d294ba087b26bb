"""The account page seeks to its cursor instead of filtering up to it.

With its plan pinned generic (0006), `p_after IS NULL OR a.id > p_after` stayed a filter: page N
read every index entry of the tenant before it. Starting from the smallest uuid when there is no
cursor leaves a plain `a.id > p_after`, which row-level security lets into the index condition on
(tenant_id, id) (a COALESCE there would not be), so every page costs the same.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SIGNATURE = "koshiki_account_page(uuid, uuid, integer, uuid, text, text, text, boolean)"
BODY = """
        CREATE OR REPLACE FUNCTION koshiki_account_page(p_tenant uuid, p_after uuid, p_limit integer, p_unit uuid,
                                                        p_platform text, p_status text, p_body text, p_attention boolean)
        RETURNS SETOF accounts LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
        BEGIN
          {start}
          PERFORM set_config('app.tenant_id', p_tenant::text, true);
          RETURN QUERY
            SELECT * FROM accounts a
             WHERE a.tenant_id = p_tenant
               AND {after}
               AND (p_unit IS NULL OR a.unit_id = p_unit)
               AND (p_platform IS NULL OR a.platform = p_platform)
               AND (p_status IS NULL OR a.status = p_status)
               AND (p_body IS NULL OR a.operating_body = p_body)
               AND (p_attention IS NULL OR a.needs_attention = p_attention)
             ORDER BY a.id LIMIT p_limit;
        END $$
"""


def upgrade() -> None:
    start = "p_after := coalesce(p_after, '00000000-0000-0000-0000-000000000000'::uuid);"
    op.execute(BODY.format(start=start, after="a.id > p_after"))
    op.execute(f"ALTER FUNCTION {SIGNATURE} SET plan_cache_mode = force_generic_plan")


def downgrade() -> None:
    op.execute(BODY.format(start="", after="(p_after IS NULL OR a.id > p_after)"))
    op.execute(f"ALTER FUNCTION {SIGNATURE} SET plan_cache_mode = force_generic_plan")
