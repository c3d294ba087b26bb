"""Every query of the compliance report.

The report is a read model: it reads other domains' tables (accounts, units, documents, posts,
monitoring records, password changes, incidents, agreements) directly, in set-based SQL, one
statement per table family, with the grouping done by PostgreSQL (GROUP BY, window functions) and
never a Python loop over posts or records. Python only classifies the per-account aggregates these
statements return. Each statement filters by tenant (row-level security would hide other tenants'
rows anyway) and reads through an index: posts through `ix_posts_published` and
`ix_posts_not_approved` (migration 0026),
monitoring records and password changes through their (tenant, account, date) indexes.

Its own table, the saved snapshots, has an ordinary tenant repository.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from service.compliance.models import ComplianceSnapshot
from service.kit.repository import TenantRepository

# The statements, by name (bench/compliance.py explains each one's plan).
UNITS = """
SELECT id, code, name_ja, name_en, parent_id FROM units WHERE tenant_id = :tenant ORDER BY code, id
"""

# Accounts counted on as_of: opened on or before it, not closed by then (drafts and refusals never
# opened); with each document's required items left unwritten (comma-separated, item names being
# identifiers): NULL when nothing is written (or no document), '' when none is missing; and whether
# the account policy is published. JSON path tests keep the common case (complete) off any subquery.
ACCOUNTS = """
SELECT a.id, a.unit_id, a.platform, a.operating_body, a.opened_on, a.origin, a.display_name, a.canonical_url,
       d.usage_policy, d.operations_manual, d.account_policy, coalesce(d.disclosed, false) AS disclosed
  FROM accounts a
  LEFT JOIN (
        SELECT account_id,
               max(lacking) FILTER (WHERE kind = 'usage_policy') AS usage_policy,
               max(lacking) FILTER (WHERE kind = 'operations_manual') AS operations_manual,
               max(lacking) FILTER (WHERE kind = 'account_policy') AS account_policy,
               bool_or(public_url IS NOT NULL OR disclosed_on_account) FILTER (WHERE kind = 'account_policy')
                 AS disclosed
          FROM (SELECT account_id, kind, public_url, disclosed_on_account,
                       CASE WHEN NOT items @? '$.* ? (@ != "")' THEN NULL
                            WHEN items ?& req AND NOT items @? '$.* ? (@ == "")' THEN ''
                            ELSE coalesce((SELECT string_agg(r, ',') FROM unnest(req) AS r
                                            WHERE coalesce(items ->> r, '') = ''), '') END AS lacking
                  FROM (SELECT account_id, kind, public_url, disclosed_on_account, items,
                               CASE kind WHEN 'usage_policy' THEN CAST(:usage_policy AS text[])
                                         WHEN 'operations_manual' THEN CAST(:operations_manual AS text[])
                                         ELSE CAST(:account_policy AS text[]) END AS req
                          FROM account_documents WHERE tenant_id = :tenant) r) x
         GROUP BY account_id) d ON d.account_id = a.id
 WHERE a.tenant_id = :tenant AND a.opened_on <= CAST(:as_of AS date)
   AND (a.closed_on IS NULL OR a.closed_on > CAST(:as_of AS date))
   AND a.status NOT IN ('draft', 'pending_approval', 'rejected')
"""

# Posting frequency: per account, the posts of the window and the days counted back from as_of
# (day 0 = as_of) that had one, as bit masks of 63 days each (MASKS of them cover the longest
# window). Grouping by account only keeps the aggregate small; Python reads the blocks of 7 and 30
# days from the masks. Where the tenant's zone keeps one UTC offset over the window (Japan always
# does), the local day is plain arithmetic on the epoch; otherwise PostgreSQL converts each time.
MASK_DAYS = 63
MASKS = 6
_POSTS = """
SELECT account_id, count(*) AS posts,
{masks}
  FROM (SELECT account_id, {back} AS back
          FROM posts
         WHERE tenant_id = :tenant AND state = 'published' AND published_at >= :since AND published_at < :until) p
 GROUP BY account_id
"""
POSTS_FIXED_OFFSET = _POSTS.format(
    masks="""       bit_or(CAST(1 AS bigint) << (back - 0)) FILTER (WHERE back >= 0 AND back < 63) AS m0,
       bit_or(CAST(1 AS bigint) << (back - 63)) FILTER (WHERE back >= 63 AND back < 126) AS m1,
       bit_or(CAST(1 AS bigint) << (back - 126)) FILTER (WHERE back >= 126 AND back < 189) AS m2,
       bit_or(CAST(1 AS bigint) << (back - 189)) FILTER (WHERE back >= 189 AND back < 252) AS m3,
       bit_or(CAST(1 AS bigint) << (back - 252)) FILTER (WHERE back >= 252 AND back < 315) AS m4,
       bit_or(CAST(1 AS bigint) << (back - 315)) FILTER (WHERE back >= 315 AND back < 378) AS m5""",
    back="CAST(floor((CAST(:until_epoch AS double precision) - extract(epoch FROM published_at)) / 86400) AS integer)",
)
POSTS_ZONED = _POSTS.format(
    masks="""       bit_or(CAST(1 AS bigint) << (back - 0)) FILTER (WHERE back >= 0 AND back < 63) AS m0,
       bit_or(CAST(1 AS bigint) << (back - 63)) FILTER (WHERE back >= 63 AND back < 126) AS m1,
       bit_or(CAST(1 AS bigint) << (back - 126)) FILTER (WHERE back >= 126 AND back < 189) AS m2,
       bit_or(CAST(1 AS bigint) << (back - 189)) FILTER (WHERE back >= 189 AND back < 252) AS m3,
       bit_or(CAST(1 AS bigint) << (back - 252)) FILTER (WHERE back >= 252 AND back < 315) AS m4,
       bit_or(CAST(1 AS bigint) << (back - 315)) FILTER (WHERE back >= 315 AND back < 378) AS m5""",
    back="CAST(:as_of AS date) - (published_at AT TIME ZONE CAST(:tz AS text))::date",
)

# How the posts of the 365 days before as_of were decided: only the posts decided otherwise than by
# approval matter (none: no decision; within the pre-approved range), read through their own
# partial index (migration 0026); every other post was approved.
DECISIONS = """
SELECT account_id,
       count(*) FILTER (WHERE decision = 'none') AS undecided,
       count(*) FILTER (WHERE decision = 'pre_approved_range') AS in_range
  FROM posts
 WHERE tenant_id = :tenant AND state = 'published' AND decision <> 'approved'
   AND published_at >= :since AND published_at < :until
 GROUP BY account_id
"""

# Monitoring: the longest gap (window start to first record, between records, last record to as_of);
# two records of one day make a gap of 0. The order is the (tenant, account, day DESC) index's.
MONITORING = """
SELECT account_id, count(*) AS records,
       greatest(max(gap), min(monitored_on) - CAST(:start AS date), CAST(:as_of AS date) - max(monitored_on))
         AS longest_gap
  FROM (SELECT account_id, monitored_on,
               lag(monitored_on) OVER (PARTITION BY account_id ORDER BY monitored_on DESC) - monitored_on AS gap
          FROM monitoring_records
         WHERE tenant_id = :tenant AND monitored_on BETWEEN CAST(:start AS date) AND CAST(:as_of AS date)) g
 GROUP BY account_id
"""

# Passwords: the latest recorded change on or before as_of, and whether one lies in the year before it.
PASSWORDS = """
SELECT DISTINCT ON (account_id) account_id, meets_policy, changed_on AS last_changed_on
  FROM password_changes
 WHERE tenant_id = :tenant AND changed_on <= CAST(:as_of AS date)
 ORDER BY account_id, changed_on DESC, created_at DESC
"""

INCIDENTS = """
SELECT account_id, count(*) AS incidents
  FROM incidents
 WHERE tenant_id = :tenant AND account_id IS NOT NULL AND reported_at >= :since AND reported_at < :until
 GROUP BY account_id
"""

AGREEMENTS = """
SELECT id, unit_id, kind, reference, contractor_name, clauses
  FROM agreements
 WHERE tenant_id = :tenant AND starts_on <= CAST(:as_of AS date) AND ends_on >= CAST(:as_of AS date)
 ORDER BY unit_id, id
"""


class ReportReader:
    """The report's statements, for one tenant."""

    def __init__(self, session: AsyncSession, tenant_id: uuid.UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def _rows(self, statement: str, **params: Any) -> list[Row[Any]]:
        result = await self.session.execute(text(statement), {"tenant": self.tenant_id, **params})
        return list(result.all())

    async def units(self) -> list[Row[Any]]:
        return await self._rows(UNITS)

    async def accounts(self, as_of: dt.date, required_items: dict[str, list[str]]) -> list[Row[Any]]:
        """The accounts counted, with their documents against the items each kind requires."""
        items = {
            kind: list(required_items.get(kind, [])) for kind in ("usage_policy", "operations_manual", "account_policy")
        }
        return await self._rows(ACCOUNTS, as_of=as_of, **items)

    async def settle(self) -> None:
        """The report's transaction reads in bulk: no JIT compilation (it costs more than it saves on
        statements this short), and memory enough for its aggregates not to spill."""
        await self.session.execute(text("SET LOCAL jit = off"))
        await self.session.execute(text("SET LOCAL work_mem = '32MB'"))

    async def posts(
        self, as_of: dt.date, tz: str, since: dt.datetime, until: dt.datetime, *, fixed_offset: bool
    ) -> list[Row[Any]]:
        if fixed_offset:
            return await self._rows(POSTS_FIXED_OFFSET, since=since, until=until, until_epoch=until.timestamp())
        return await self._rows(POSTS_ZONED, as_of=as_of, tz=tz, since=since, until=until)

    async def decisions(self, since: dt.datetime, until: dt.datetime) -> list[Row[Any]]:
        return await self._rows(DECISIONS, since=since, until=until)

    async def monitoring(self, start: dt.date, as_of: dt.date) -> list[Row[Any]]:
        return await self._rows(MONITORING, start=start, as_of=as_of)

    async def passwords(self, as_of: dt.date) -> list[Row[Any]]:
        return await self._rows(PASSWORDS, as_of=as_of)

    async def incidents(self, since: dt.datetime, until: dt.datetime) -> list[Row[Any]]:
        return await self._rows(INCIDENTS, since=since, until=until)

    async def agreements(self, as_of: dt.date) -> list[Row[Any]]:
        return await self._rows(AGREEMENTS, as_of=as_of)


class SnapshotsRepository(TenantRepository[ComplianceSnapshot]):
    model = ComplianceSnapshot
    resource = "compliance-snapshot"

    async def newest_first(self, before: uuid.UUID | None, limit: int) -> tuple[list[ComplianceSnapshot], bool]:
        return await self.page(self.select(), before, limit, newest_first=True)
