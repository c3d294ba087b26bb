"""A permission of its own for the accounts' records: `records:read`.

Reading closures, continuation declarations, password changes, monitoring, reviews, incidents and
impersonation warnings needed `accounts:read` before. Contractors hold `accounts:read` (their
agreement's accounts) but were kept from those records by a list of operations; the matrix says it
now: staff and agency systems hold `records:read`, contractors do not. Tokens that could read the
records keep that power.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-28
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _each_token(statement: str) -> None:
    # The owner is bound by the forced row-level security too: lifted for this one statement.
    op.execute("ALTER TABLE api_tokens NO FORCE ROW LEVEL SECURITY")
    op.execute(statement)
    op.execute("ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    _each_token(
        "UPDATE api_tokens SET scopes = array_append(scopes, 'records:read') "
        "WHERE 'accounts:read' = ANY (scopes) AND NOT 'records:read' = ANY (scopes)"
    )


def downgrade() -> None:
    _each_token("UPDATE api_tokens SET scopes = array_remove(scopes, 'records:read')")
