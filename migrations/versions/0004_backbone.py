"""The queue backbone: deadlines, the outbox, deeds, dead letters, events, mail, webhooks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from alembic import op

from migrations.rls import APP_ROLE, DEFINER_ROLE, IN_DEFINER, PLATFORM_MODE, enable_rls, grant, tenant_rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every timed obligation is a row. Only pending rows are in the due-date index, so the sweep's
    # cost follows the number of due rows, not the size of the table.
    op.execute(
        """
        CREATE TABLE deadlines (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            kind          text NOT NULL,
            subject_kind  text NOT NULL,
            subject_id    text NOT NULL,
            due_at        timestamptz NOT NULL,
            state         text NOT NULL DEFAULT 'pending'
                          CHECK (state IN ('pending', 'queued', 'done', 'cancelled', 'failed')),
            attempts      integer NOT NULL DEFAULT 0,
            last_error    text,
            payload       jsonb NOT NULL DEFAULT '{}',
            dedupe_key    text NOT NULL,
            created_at    timestamptz NOT NULL,
            updated_at    timestamptz NOT NULL,
            queued_at     timestamptz,
            done_at       timestamptz,
            -- One index serves both idempotent scheduling and "every deadline of this subject":
            -- each index is one more entry to write when the sweep claims a row.
            CONSTRAINT uq_deadlines_subject_dedupe_key UNIQUE (tenant_id, subject_kind, subject_id, dedupe_key)
        )
        """
    )
    op.execute("CREATE INDEX ix_deadlines_pending_due ON deadlines (due_at) WHERE state = 'pending'")
    op.execute("CREATE INDEX ix_deadlines_queued ON deadlines (queued_at) WHERE state = 'queued'")
    tenant_rls("deadlines", IN_DEFINER)
    grant("deadlines")
    grant("deadlines", "SELECT, UPDATE", DEFINER_ROLE)

    # Messages for the queue, written in the same transaction as the change that causes them.
    op.execute(
        """
        CREATE TABLE outbox (
            seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id            uuid NOT NULL UNIQUE,
            tenant_id     uuid REFERENCES tenants (id),
            queue         text NOT NULL,
            actor         text NOT NULL,
            kwargs        jsonb NOT NULL,
            options       jsonb NOT NULL DEFAULT '{}',
            created_at    timestamptz NOT NULL,
            available_at  timestamptz NOT NULL,
            sent_at       timestamptz,
            attempts      integer NOT NULL DEFAULT 0,
            last_error    text
        )
        """
    )
    op.execute("CREATE INDEX ix_outbox_unsent ON outbox (seq) WHERE sent_at IS NULL")
    op.execute("CREATE INDEX ix_outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL")
    tenant_rls("outbox", f"(tenant_id IS NULL AND {PLATFORM_MODE})", IN_DEFINER)
    grant("outbox", "SELECT, INSERT")
    grant("outbox", "SELECT, INSERT, UPDATE, DELETE", DEFINER_ROLE)

    # A deed done once: its key is recorded in the transaction that does it.
    op.execute(
        """
        CREATE TABLE deeds (
            key         text PRIMARY KEY,
            tenant_id   uuid REFERENCES tenants (id),
            message_id  text,
            done_at     timestamptz NOT NULL
        )
        """
    )
    tenant_rls("deeds", f"(tenant_id IS NULL AND {PLATFORM_MODE})")
    grant("deeds", "SELECT, INSERT")

    # Messages that exhausted their retries, for platform operators.
    op.execute(
        """
        CREATE TABLE dead_letters (
            id          uuid PRIMARY KEY,
            tenant_id   uuid REFERENCES tenants (id),
            message_id  text NOT NULL,
            queue       text NOT NULL,
            actor       text NOT NULL,
            kwargs      jsonb NOT NULL,
            options     jsonb NOT NULL,
            error       text NOT NULL,
            failed_at   timestamptz NOT NULL,
            retried_at  timestamptz
        )
        """
    )
    op.execute("CREATE INDEX ix_dead_letters_failed_at ON dead_letters (failed_at DESC)")
    enable_rls("dead_letters", PLATFORM_MODE)
    grant("dead_letters", "SELECT, INSERT, UPDATE")

    # What happened, for webhooks, mail and agency systems that poll.
    op.execute(
        """
        CREATE TABLE events (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            type          text NOT NULL,
            subject_kind  text NOT NULL,
            subject_id    text,
            data          jsonb NOT NULL,
            occurred_at   timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_events_tenant_id_id ON events (tenant_id, id DESC)")
    tenant_rls("events")
    grant("events", "SELECT, INSERT")

    op.execute(
        """
        CREATE TABLE mail_messages (
            id                 uuid PRIMARY KEY,
            tenant_id          uuid REFERENCES tenants (id),
            event_id           uuid,
            recipient_user_id  uuid,
            to_address         text NOT NULL,
            locale             text NOT NULL,
            subject            text NOT NULL,
            body               text NOT NULL,
            state              text NOT NULL CHECK (state IN ('queued', 'sent', 'kept', 'failed')),
            transport          text,
            error              text,
            dedupe_key         text NOT NULL,
            created_at         timestamptz NOT NULL,
            sent_at            timestamptz,
            CONSTRAINT uq_mail_messages_dedupe_key UNIQUE (dedupe_key)
        )
        """
    )
    op.execute("CREATE INDEX ix_mail_messages_tenant_id_id ON mail_messages (tenant_id, id DESC)")
    tenant_rls("mail_messages", f"(tenant_id IS NULL AND {PLATFORM_MODE})")
    grant("mail_messages", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE webhook_endpoints (
            id                          uuid PRIMARY KEY,
            tenant_id                   uuid NOT NULL REFERENCES tenants (id),
            url                         text NOT NULL,
            event_types                 text[] NOT NULL,
            description                 text NOT NULL DEFAULT '',
            active                      boolean NOT NULL DEFAULT true,
            secret_encrypted            bytea NOT NULL,
            previous_secret_encrypted   bytea,
            previous_secret_expires_at  timestamptz,
            created_by                  text NOT NULL,
            version                     integer NOT NULL DEFAULT 1,
            created_at                  timestamptz NOT NULL,
            updated_at                  timestamptz NOT NULL,
            deleted_at                  timestamptz
        )
        """
    )
    op.execute("CREATE INDEX ix_webhook_endpoints_tenant_id_id ON webhook_endpoints (tenant_id, id)")
    tenant_rls("webhook_endpoints")
    grant("webhook_endpoints", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE webhook_deliveries (
            id                uuid PRIMARY KEY,
            tenant_id         uuid NOT NULL REFERENCES tenants (id),
            endpoint_id       uuid NOT NULL REFERENCES webhook_endpoints (id),
            event_id          uuid NOT NULL,
            event_type        text NOT NULL,
            payload           jsonb NOT NULL,
            state             text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'dead')),
            attempts          integer NOT NULL DEFAULT 0,
            last_status       integer,
            last_duration_ms  integer,
            last_error        text,
            replay_of         uuid,
            created_at        timestamptz NOT NULL,
            last_attempt_at   timestamptz,
            delivered_at      timestamptz
        )
        """
    )
    op.execute("CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id DESC)")
    tenant_rls("webhook_deliveries")
    grant("webhook_deliveries", "SELECT, INSERT, UPDATE")

    op.execute(
        """
        CREATE TABLE webhook_attempts (
            id            uuid PRIMARY KEY,
            tenant_id     uuid NOT NULL REFERENCES tenants (id),
            delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id),
            attempted_at  timestamptz NOT NULL,
            status        integer,
            duration_ms   integer NOT NULL,
            error         text
        )
        """
    )
    op.execute("CREATE INDEX ix_webhook_attempts_delivery ON webhook_attempts (tenant_id, delivery_id)")
    tenant_rls("webhook_attempts")
    grant("webhook_attempts", "SELECT, INSERT")

    # The sweep: claim due deadlines (and ones queued too long ago, whose message may be lost with
    # a broker) across all tenants, and queue them in one statement: one message per tenant and
    # up to 50 deadlines, so a flood of due deadlines costs the broker little. Each deadline is
    # still carried out in a transaction of its own.
    op.execute(
        """
        CREATE FUNCTION koshiki_sweep_deadlines(p_now timestamptz, p_limit integer, p_stale_before timestamptz)
        RETURNS integer LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH due AS (
            SELECT id FROM deadlines WHERE state = 'pending' AND due_at <= p_now
             ORDER BY due_at LIMIT p_limit FOR UPDATE SKIP LOCKED
          ), stale AS (
            SELECT id FROM deadlines WHERE state = 'queued' AND queued_at < p_stale_before
             ORDER BY queued_at LIMIT p_limit FOR UPDATE SKIP LOCKED
          ), claimed AS (
            UPDATE deadlines d SET state = 'queued', queued_at = p_now, updated_at = p_now
             WHERE d.id IN (SELECT id FROM due UNION ALL SELECT id FROM stale)
            RETURNING d.id, d.tenant_id, d.due_at
          ), numbered AS (
            SELECT id, tenant_id, due_at,
                   (row_number() OVER (PARTITION BY tenant_id ORDER BY due_at, id) - 1) / 50 AS chunk
              FROM claimed
          ), queued AS (
            INSERT INTO outbox (id, tenant_id, queue, actor, kwargs, options, created_at, available_at)
            SELECT gen_random_uuid(), n.tenant_id, 'deadlines', 'run_deadlines',
                   jsonb_build_object('deadline_ids', jsonb_agg(n.id ORDER BY n.due_at, n.id), 'tenant_id', n.tenant_id),
                   '{}'::jsonb, p_now, p_now
              FROM numbered n GROUP BY n.tenant_id, n.chunk
            RETURNING 1
          )
          SELECT count(*)::integer FROM claimed
        $$
        """
    )
    # The relay: unsent messages, locked until the relaying transaction ends.
    op.execute(
        """
        CREATE FUNCTION koshiki_outbox_claim(p_now timestamptz, p_limit integer)
        RETURNS TABLE (seq bigint, id uuid, tenant_id uuid, queue text, actor text, kwargs jsonb, options jsonb,
                       created_at timestamptz, attempts integer)
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          SELECT o.seq, o.id, o.tenant_id, o.queue, o.actor, o.kwargs, o.options, o.created_at, o.attempts
            FROM outbox o WHERE o.sent_at IS NULL AND o.available_at <= p_now
           ORDER BY o.seq LIMIT p_limit FOR UPDATE SKIP LOCKED
        $$
        """
    )
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
    op.execute(
        """
        CREATE FUNCTION koshiki_outbox_purge(p_sent_before timestamptz) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
          WITH gone AS (DELETE FROM outbox WHERE sent_at < p_sent_before RETURNING 1) SELECT count(*)::integer FROM gone
        $$
        """
    )
    for signature in (
        "koshiki_sweep_deadlines(timestamptz, integer, timestamptz)",
        "koshiki_outbox_claim(timestamptz, integer)",
        "koshiki_outbox_settle(bigint[], bigint[], timestamptz, timestamptz, text)",
        "koshiki_outbox_purge(timestamptz)",
    ):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {DEFINER_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_ROLE}")


def downgrade() -> None:
    for signature in (
        "koshiki_outbox_purge(timestamptz)",
        "koshiki_outbox_settle(bigint[], bigint[], timestamptz, timestamptz, text)",
        "koshiki_outbox_claim(timestamptz, integer)",
        "koshiki_sweep_deadlines(timestamptz, integer, timestamptz)",
    ):
        op.execute(f"DROP FUNCTION {signature}")
    for table in (
        "webhook_attempts", "webhook_deliveries", "webhook_endpoints", "mail_messages",
        "events", "dead_letters", "deeds", "outbox", "deadlines",
    ):  # fmt: skip
        op.execute(f"DROP TABLE {table}")
