from __future__ import annotations

import msgspec


class Health(msgspec.Struct):
    status: str
    database_revision: str | None = None
