"""How an account came into the register, and how each published post was decided.

The compliance report (004 表7, 表13) counts accounts consulted at opening (an application approved,
or imported: with a consultation on record, without one, or from before the guideline) and posts
by their decision (the approval the rules asked for, within the pre-approved range, none recorded).
Accounts so far all came in through applications; posts already published keep what is known.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ORIGINS = "'application', 'import', 'import_without_consultation', 'import_before_guideline'"
DECISIONS = "'approved', 'pre_approved_range', 'none'"


def upgrade() -> None:
    op.execute(
        f"ALTER TABLE accounts ADD COLUMN origin text NOT NULL DEFAULT 'application' CHECK (origin IN ({ORIGINS}))"
    )
    op.execute(f"ALTER TABLE posts ADD COLUMN decision text CHECK (decision IN ({DECISIONS}))")
    op.execute(
        """
        UPDATE posts SET decision = CASE WHEN in_range THEN 'pre_approved_range'
                                         WHEN approved_by IS NOT NULL THEN 'approved' ELSE 'none' END
         WHERE state = 'published'
        """
    )
    op.execute("ALTER TABLE posts ADD CONSTRAINT posts_decided CHECK (state <> 'published' OR decision IS NOT NULL)")


def downgrade() -> None:
    op.execute("ALTER TABLE posts DROP CONSTRAINT posts_decided")
    op.execute("ALTER TABLE posts DROP COLUMN decision")
    op.execute("ALTER TABLE accounts DROP COLUMN origin")
