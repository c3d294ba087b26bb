"""What the audit trail hands to every process: the flush hook that records each row change."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.audit.service import record_row_changes
from service.kit.registry import Registry


def register(registry: Registry) -> None:
    registry.listen(Session, "before_flush", record_row_changes)
