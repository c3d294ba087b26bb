"""Posts as a workflow: drafted, checked against the tenant's rules, signed off, approved, published.

The old `posts` table was a log of posts made elsewhere; its rows become published posts (their
content unknown). Sign-offs (checks, the agency's check of a contractor's post, approvals) are bound
to the hash of the content they saw, so an edit voids them. Reviews record a unit head's look at the
posts published without their approval (within the pre-approved range, or as emergencies).

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import grant, tenant_rls

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

STATES = "'draft', 'submitted', 'approved', 'published', 'rejected', 'withdrawn'"
AWAITING = "'check', 'agency_check', 'approval', 'publication', 'review'"


# The hot read of posts (a queue of 50 among 100,000): one statement on the driver, no transaction
# opened, the tenant set inside for row-level security, as koshiki_account_page does (0006, 0007).
# `p_head_unit` / `p_operator` confine a queue to what the caller acts on: the accounts of the unit
# they head and its children, the accounts they operate or manage. Two statements, each with its
# generic plan cached: a queue (`awaiting` given) walks its index, the rest the tenant's.
PAGE_SIGNATURE = "koshiki_post_page(uuid, uuid, integer, text, text, uuid, uuid, uuid, uuid, uuid)"
PAGE = """
    CREATE FUNCTION koshiki_post_page(p_tenant uuid, p_after uuid, p_limit integer, p_state text, p_awaiting text,
                                      p_account uuid, p_author uuid, p_unit uuid, p_head_unit uuid, p_operator uuid)
    RETURNS SETOF posts LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
    BEGIN
      p_after := coalesce(p_after, '00000000-0000-0000-0000-000000000000'::uuid);
      PERFORM set_config('app.tenant_id', p_tenant::text, true);
      IF p_awaiting IS NOT NULL THEN  -- a queue: the (tenant_id, awaiting, id) index, in id order
        RETURN QUERY
          SELECT * FROM posts p
           WHERE p.tenant_id = p_tenant AND p.awaiting = p_awaiting AND p.id > p_after
             AND (p_state IS NULL OR p.state = p_state)
             AND (p_account IS NULL OR p.account_id = p_account)
             AND (p_author IS NULL OR p.author_id = p_author)
             AND (p_unit IS NULL OR p.account_id IN (
                   SELECT a.id FROM accounts a WHERE a.tenant_id = p_tenant AND a.unit_id = p_unit))
             AND ((p_head_unit IS NULL AND p_operator IS NULL) OR p.account_id IN ({reach}))
           ORDER BY p.id LIMIT p_limit;
      ELSE
        RETURN QUERY
          SELECT * FROM posts p
           WHERE p.tenant_id = p_tenant AND p.id > p_after
             AND (p_state IS NULL OR p.state = p_state)
             AND (p_account IS NULL OR p.account_id = p_account)
             AND (p_author IS NULL OR p.author_id = p_author)
             AND (p_unit IS NULL OR p.account_id IN (
                   SELECT a.id FROM accounts a WHERE a.tenant_id = p_tenant AND a.unit_id = p_unit))
             AND ((p_head_unit IS NULL AND p_operator IS NULL) OR p.account_id IN ({reach}))
           ORDER BY p.id LIMIT p_limit;
      END IF;
    END $$
""".format(
    reach="""SELECT a.id FROM accounts a
                     WHERE a.tenant_id = p_tenant
                       AND (a.unit_id = p_head_unit
                            OR a.unit_id IN (SELECT u.id FROM units u WHERE u.tenant_id = p_tenant AND u.parent_id = p_head_unit)
                            OR a.operations_manager_id = p_operator
                            OR a.id IN (SELECT o.account_id FROM account_operators o
                                         WHERE o.tenant_id = p_tenant AND o.user_id = p_operator))"""
)
# What checking a draft needs, in one statement: the account (its platform, state, unit), whether the
# caller operates it or heads its unit, the tenant's time zone, and which configuration version is
# in force on `p_at`'s day there (its document is cached by version in the process).
CONTEXT_SIGNATURE = "koshiki_post_context(uuid, uuid, uuid, uuid, timestamptz)"
CONTEXT = """
    CREATE FUNCTION koshiki_post_context(p_tenant uuid, p_account uuid, p_operator uuid, p_head_unit uuid,
                                         p_at timestamptz)
    RETURNS TABLE (platform text, status text, unit_id uuid, operates boolean, heads boolean, time_zone text,
                   version integer)
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
    BEGIN
      PERFORM set_config('app.tenant_id', p_tenant::text, true);
      RETURN QUERY
        SELECT a.platform, a.status, a.unit_id,
               (p_operator IS NOT NULL AND (a.operations_manager_id = p_operator OR EXISTS (
                  SELECT 1 FROM account_operators o
                   WHERE o.tenant_id = p_tenant AND o.account_id = a.id AND o.user_id = p_operator))),
               (p_head_unit IS NOT NULL AND (a.unit_id = p_head_unit OR EXISTS (
                  SELECT 1 FROM units u WHERE u.tenant_id = p_tenant AND u.id = a.unit_id AND u.parent_id = p_head_unit))),
               t.time_zone,
               (SELECT g.version FROM guideline_versions g
                 WHERE g.tenant_id = p_tenant AND g.effective_from <= (p_at AT TIME ZONE t.time_zone)::date
                 ORDER BY g.effective_from DESC, g.version DESC LIMIT 1)
          FROM accounts a JOIN tenants t ON t.id = a.tenant_id
         WHERE a.tenant_id = p_tenant AND a.id = p_account;
    END $$
"""


# A configuration version's document, for the process's cache of them (versions never change).
DOCUMENT_SIGNATURE = "koshiki_guideline_document(uuid, integer)"
DOCUMENT = """
    CREATE FUNCTION koshiki_guideline_document(p_tenant uuid, p_version integer) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
    DECLARE found jsonb;
    BEGIN
      PERFORM set_config('app.tenant_id', p_tenant::text, true);
      SELECT g.document INTO found FROM guideline_versions g WHERE g.tenant_id = p_tenant AND g.version = p_version;
      RETURN found;
    END $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE posts RENAME COLUMN posted_at TO published_at")
    op.execute("ALTER TABLE posts ALTER COLUMN published_at DROP NOT NULL")
    op.execute("ALTER TABLE posts RENAME COLUMN url TO published_url")
    op.execute("ALTER TABLE posts RENAME COLUMN recorded_by TO author")
    op.execute(
        f"""
        ALTER TABLE posts
            ADD COLUMN author_id        uuid,
            ADD COLUMN by_contractor    boolean NOT NULL DEFAULT false,
            ADD COLUMN state            text NOT NULL DEFAULT 'published' CHECK (state IN ({STATES})),
            ADD COLUMN awaiting         text CHECK (awaiting IN ({AWAITING})),
            ADD COLUMN content          jsonb NOT NULL DEFAULT '{{}}',
            ADD COLUMN content_hash     text NOT NULL DEFAULT '',
            ADD COLUMN planned_at       timestamptz,
            ADD COLUMN emergency        boolean NOT NULL DEFAULT false,
            ADD COLUMN in_range         boolean NOT NULL DEFAULT false,
            ADD COLUMN findings         jsonb NOT NULL DEFAULT '[]',
            ADD COLUMN blocking         integer NOT NULL DEFAULT 0,
            ADD COLUMN checkers_required integer NOT NULL DEFAULT 1,
            ADD COLUMN approver_roles   text[] NOT NULL DEFAULT '{{}}',
            ADD COLUMN attested         text[] NOT NULL DEFAULT '{{}}',
            ADD COLUMN submitted_at     timestamptz,
            ADD COLUMN approved_at      timestamptz,
            ADD COLUMN published_by     text,
            ADD COLUMN reason           text,
            ADD COLUMN corrects_id      uuid,
            ADD COLUMN corrected_by_id  uuid,
            ADD COLUMN deleted_at       timestamptz,
            ADD COLUMN review_id        uuid,
            ADD COLUMN updated_at       timestamptz,
            ADD COLUMN version          integer NOT NULL DEFAULT 1
        """
    )
    op.execute("UPDATE posts SET updated_at = created_at")
    op.execute("ALTER TABLE posts ALTER COLUMN updated_at SET NOT NULL")
    op.execute("ALTER TABLE posts ALTER COLUMN state SET DEFAULT 'draft'")
    op.execute("ALTER TABLE posts DROP CONSTRAINT IF EXISTS posts_source_check")
    op.execute("ALTER TABLE posts ADD CONSTRAINT posts_source_check CHECK (source IN ('operator', 'system'))")
    op.execute(
        "ALTER TABLE posts ADD CONSTRAINT posts_published CHECK (state <> 'published' OR published_at IS NOT NULL)"
    )
    # The queues (to check, to approve, to publish, to review), newest last, by tenant.
    op.execute("CREATE INDEX ix_posts_awaiting ON posts (tenant_id, awaiting, id) WHERE awaiting IS NOT NULL")
    op.execute("CREATE INDEX ix_posts_tenant ON posts (tenant_id, id)")
    op.execute("GRANT UPDATE ON posts TO koshiki_app")
    op.execute(PAGE)
    op.execute(f"ALTER FUNCTION {PAGE_SIGNATURE} SET plan_cache_mode = force_generic_plan")
    op.execute(CONTEXT)
    op.execute(DOCUMENT)

    op.execute(
        """
        CREATE TABLE post_signoffs (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            post_id       uuid NOT NULL REFERENCES posts (id),
            kind          text NOT NULL CHECK (kind IN ('check', 'approval')),
            user_id       uuid,
            signed_by     text NOT NULL,
            agency        boolean NOT NULL,
            content_hash  text NOT NULL,
            attested      text[] NOT NULL DEFAULT '{}',
            note          text NOT NULL DEFAULT '',
            created_at    timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_post_signoffs_post ON post_signoffs (tenant_id, post_id, content_hash)")
    tenant_rls("post_signoffs")
    grant("post_signoffs", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE post_reviews (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            unit_id       uuid NOT NULL,
            reviewed_by   text NOT NULL,
            reviewer_id   uuid,
            note          text NOT NULL DEFAULT '',
            post_count    integer NOT NULL,
            created_at    timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_post_reviews_unit ON post_reviews (tenant_id, unit_id, created_at)")
    tenant_rls("post_reviews")
    grant("post_reviews", "SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {PAGE_SIGNATURE}")
    op.execute(f"DROP FUNCTION {CONTEXT_SIGNATURE}")
    op.execute(f"DROP FUNCTION {DOCUMENT_SIGNATURE}")
    op.execute("DROP TABLE post_reviews")
    op.execute("DROP TABLE post_signoffs")
    op.execute("REVOKE UPDATE ON posts FROM koshiki_app")
    op.execute("GRANT UPDATE (author, approved_by) ON posts TO koshiki_app")
    op.execute("DROP INDEX ix_posts_awaiting")
    op.execute("DROP INDEX ix_posts_tenant")
    op.execute("DELETE FROM posts WHERE state <> 'published'")
    op.execute("ALTER TABLE posts DROP CONSTRAINT posts_published")
    op.execute(
        """
        ALTER TABLE posts
            DROP COLUMN author_id, DROP COLUMN by_contractor, DROP COLUMN state, DROP COLUMN awaiting,
            DROP COLUMN content, DROP COLUMN content_hash, DROP COLUMN planned_at, DROP COLUMN emergency,
            DROP COLUMN in_range, DROP COLUMN findings, DROP COLUMN blocking, DROP COLUMN attested,
            DROP COLUMN checkers_required, DROP COLUMN approver_roles,
            DROP COLUMN submitted_at, DROP COLUMN approved_at, DROP COLUMN published_by, DROP COLUMN reason,
            DROP COLUMN corrects_id, DROP COLUMN corrected_by_id, DROP COLUMN deleted_at, DROP COLUMN review_id,
            DROP COLUMN updated_at, DROP COLUMN version
        """
    )
    op.execute("ALTER TABLE posts RENAME COLUMN author TO recorded_by")
    op.execute("ALTER TABLE posts RENAME COLUMN published_url TO url")
    op.execute("ALTER TABLE posts ALTER COLUMN published_at SET NOT NULL")
    op.execute("ALTER TABLE posts RENAME COLUMN published_at TO posted_at")
