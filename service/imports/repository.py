"""Every query of import runs."""

from __future__ import annotations

from service.imports.models import ImportRun
from service.kit.repository import TenantRepository


class ImportsRepository(TenantRepository[ImportRun]):
    model = ImportRun
    resource = "import"
