"""Every message at least once, end to end; and the scheduler's leadership a lease.

An outbox row was done with once the broker had it (`sent_at`), so a broker that lost its
contents (Redis without persistence, restarted; a worker's in-process broker, with its process)
lost the message for good. Now a row is settled (`settled_at`) only when its actor has done its
deed, or when the message died (dead letters). Until then it carries a `resend_at`: the relay
sends it again once that has passed, whatever the broker kept. Each send doubles the wait before
the next (a long backlog is not flooded with copies of itself), and each retry of the message
moves `resend_at` past the retry's backoff. Actors are idempotent, so a second copy does nothing
twice. Rows sent before this migration are taken as settled.

The sweep's leader held a session-level advisory lock with no lease: a leader that hung, its
connection open, kept it for good and no deadline fell due. `scheduler_leases` holds a lease the
leader renews on each tick and a peer takes once it has lapsed, each in one short statement (no
transaction held open), in the database's own time.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-28
"""

from alembic import op

from migrations.rls import APP_ROLE, DEFINER_ROLE, grant

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_CLAIM = "koshiki_outbox_claim(timestamptz, integer)"
_SETTLE_OLD = "koshiki_outbox_settle(bigint[], bigint[], timestamptz, timestamptz, text)"
_SETTLE = "koshiki_outbox_settle(bigint[], bigint[], timestamptz, timestamptz, text, interval)"
_DONE = "koshiki_outbox_done(uuid[], timestamptz)"
_DEFER = "koshiki_outbox_defer(uuid, timestamptz)"
_PURGE = "koshiki_outbox_purge(timestamptz)"

_OLD_CLAIM_BODY = """
  SELECT o.seq, o.id, o.tenant_id, o.queue, o.actor, o.kwargs, o.options, o.created_at, o.attempts
    FROM outbox o WHERE o.sent_at IS NULL AND o.available_at <= p_now
   ORDER BY o.seq LIMIT p_limit FOR UPDATE SKIP LOCKED
"""


def _definer(signature: str) -> None:
    op.execute(f"ALTER FUNCTION {signature} OWNER TO {DEFINER_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def upgrade() -> None:
    op.execute(
        "ALTER TABLE outbox ADD COLUMN settled_at timestamptz, ADD COLUMN resend_at timestamptz, "
        "ADD COLUMN sends integer NOT NULL DEFAULT 0"
    )
    op.execute("ALTER TABLE outbox NO FORCE ROW LEVEL SECURITY")
    op.execute("UPDATE outbox SET settled_at = sent_at WHERE sent_at IS NOT NULL")
    op.execute("ALTER TABLE outbox FORCE ROW LEVEL SECURITY")
    op.execute("DROP INDEX ix_outbox_sent_at")
    op.execute("CREATE INDEX ix_outbox_resend ON outbox (resend_at) WHERE settled_at IS NULL")
    op.execute("CREATE INDEX ix_outbox_settled_at ON outbox (settled_at) WHERE settled_at IS NOT NULL")

    # Unsent rows first, in order (the hot path, as before); then rows sent but not settled in time.
    op.execute(f"DROP FUNCTION {_CLAIM}")
    op.execute(
        """
        CREATE FUNCTION koshiki_outbox_claim(p_now timestamptz, p_limit integer)
        RETURNS TABLE (seq bigint, id uuid, tenant_id uuid, queue text, actor text, kwargs jsonb, options jsonb,
                       created_at timestamptz, attempts integer, resent boolean)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        DECLARE
          n integer;
        BEGIN
          RETURN QUERY
            SELECT o.seq, o.id, o.tenant_id, o.queue, o.actor, o.kwargs, o.options, o.created_at, o.attempts, false
              FROM outbox o WHERE o.sent_at IS NULL AND o.available_at <= p_now
             ORDER BY o.seq LIMIT p_limit FOR UPDATE SKIP LOCKED;
          GET DIAGNOSTICS n = ROW_COUNT;
          IF n < p_limit THEN
            RETURN QUERY
              SELECT o.seq, o.id, o.tenant_id, o.queue, o.actor, o.kwargs, o.options, o.created_at, o.attempts, true
                FROM outbox o WHERE o.settled_at IS NULL AND o.resend_at <= p_now
               ORDER BY o.resend_at LIMIT p_limit - n FOR UPDATE SKIP LOCKED;
          END IF;
        END
        $$
        """
    )
    op.execute(f"DROP FUNCTION {_SETTLE_OLD}")
    op.execute(
        """
        CREATE FUNCTION koshiki_outbox_settle(p_sent bigint[], p_failed bigint[], p_now timestamptz,
                                              p_retry_at timestamptz, p_error text, p_resend_after interval)
        RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          UPDATE outbox SET sent_at = p_now, sends = sends + 1,
                            resend_at = p_now + p_resend_after * (1 << least(sends, 6))
           WHERE seq = ANY (p_sent) AND settled_at IS NULL;
          UPDATE outbox SET attempts = attempts + 1, last_error = p_error, available_at = p_retry_at,
                            resend_at = CASE WHEN sent_at IS NULL THEN NULL ELSE p_retry_at END
           WHERE seq = ANY (p_failed);
        $$
        """
    )
    # The actor did its deed (or the message died): nothing is sent again.
    op.execute(
        """
        CREATE FUNCTION koshiki_outbox_done(p_ids uuid[], p_now timestamptz) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH done AS (
            UPDATE outbox SET settled_at = p_now, resend_at = NULL
             WHERE id = ANY (p_ids) AND settled_at IS NULL RETURNING 1
          ) SELECT count(*)::integer FROM done
        $$
        """
    )
    # The message failed and the broker holds it for a retry: not resent before the retry is due.
    op.execute(
        """
        CREATE FUNCTION koshiki_outbox_defer(p_id uuid, p_resend_at timestamptz) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          UPDATE outbox SET resend_at = greatest(resend_at, p_resend_at) WHERE id = p_id AND settled_at IS NULL
        $$
        """
    )
    op.execute(
        """
        CREATE OR REPLACE FUNCTION koshiki_outbox_purge(p_sent_before timestamptz) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH gone AS (DELETE FROM outbox WHERE settled_at < p_sent_before RETURNING 1)
          SELECT count(*)::integer FROM gone
        $$
        """
    )
    for signature in (_CLAIM, _SETTLE, _DONE, _DEFER, _PURGE):
        _definer(signature)

    op.execute(
        """
        CREATE TABLE scheduler_leases (
            name        text PRIMARY KEY,
            holder      text NOT NULL,
            expires_at  timestamptz NOT NULL
        )
        """
    )
    grant("scheduler_leases", "SELECT, INSERT, UPDATE, DELETE")


def downgrade() -> None:
    op.execute("DROP TABLE scheduler_leases")
    op.execute(f"DROP FUNCTION {_DEFER}")
    op.execute(f"DROP FUNCTION {_DONE}")
    op.execute(f"DROP FUNCTION {_SETTLE}")
    op.execute(
        """
        CREATE FUNCTION koshiki_outbox_settle(p_sent bigint[], p_failed bigint[], p_now timestamptz,
                                              p_retry_at timestamptz, p_error text)
        RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          UPDATE outbox SET sent_at = p_now WHERE seq = ANY (p_sent);
          UPDATE outbox SET attempts = attempts + 1, last_error = p_error, available_at = p_retry_at
           WHERE seq = ANY (p_failed);
        $$
        """
    )
    op.execute(f"DROP FUNCTION {_CLAIM}")
    op.execute(
        f"""
        CREATE FUNCTION koshiki_outbox_claim(p_now timestamptz, p_limit integer)
        RETURNS TABLE (seq bigint, id uuid, tenant_id uuid, queue text, actor text, kwargs jsonb, options jsonb,
                       created_at timestamptz, attempts integer)
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $${_OLD_CLAIM_BODY}$$
        """
    )
    for signature in (_CLAIM, _SETTLE_OLD):
        _definer(signature)
    op.execute(
        """
        CREATE OR REPLACE FUNCTION koshiki_outbox_purge(p_sent_before timestamptz) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH gone AS (DELETE FROM outbox WHERE sent_at < p_sent_before RETURNING 1) SELECT count(*)::integer FROM gone
        $$
        """
    )
    op.execute("DROP INDEX ix_outbox_settled_at")
    op.execute("DROP INDEX ix_outbox_resend")
    op.execute("CREATE INDEX ix_outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL")
    op.execute("ALTER TABLE outbox DROP COLUMN sends, DROP COLUMN resend_at, DROP COLUMN settled_at")
