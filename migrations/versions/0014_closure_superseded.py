"""A planned closure overtaken by an immediate one is 'superseded', not a second completion.

Closing an account at once while its planned closure was announcing used to mark the planned one
completed too: two completed closures for one account, one without its completion event or purge.
Found by the lifecycle state machine (tests/test_lifecycle_machine.py).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-21
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE closures DROP CONSTRAINT closures_state_check")
    op.execute(
        "ALTER TABLE closures ADD CONSTRAINT closures_state_check "
        "CHECK (state IN ('announcing', 'awaiting_steps', 'completed', 'withdrawn', 'superseded'))"
    )


def downgrade() -> None:
    op.execute("UPDATE closures SET state = 'completed' WHERE state = 'superseded'")
    op.execute("ALTER TABLE closures DROP CONSTRAINT closures_state_check")
    op.execute(
        "ALTER TABLE closures ADD CONSTRAINT closures_state_check "
        "CHECK (state IN ('announcing', 'awaiting_steps', 'completed', 'withdrawn'))"
    )
