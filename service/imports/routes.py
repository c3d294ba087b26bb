"""/v1/tenants/{tenant_id}/imports: an agency's existing register and records brought in."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation
from litestar.params import FromQuery, QueryParameter

from service.imports import service
from service.imports.schemas import ImportFile, ImportSummary
from service.kit.access import requires
from service.kit.context import Ctx
from service.kit.http import problems
from service.kit.permissions import Permission

# The largest file one request takes (the benchmark's 10,000 accounts with 100 posts each fit).
MAX_IMPORT_BYTES = 256 * 1024 * 1024

CSV_DESCRIPTION = (
    "One row per account, the first row the headings (UTF-8, with or without a BOM, or Shift_JIS). "
    "Required: 所属コード (the unit's code), アカウント名, URL, 開設日 (YYYY-MM-DD, YYYY/MM/DD or YYYY年M月D日), "
    "運用主体 (直営, 業務委託, 実行委員会, 指定管理). Optional: プラットフォーム (X, Facebook, Instagram, YouTube, "
    "LINE, TikTok, その他; else from the URL), 利用目的, 運用管理者 and 運用担当者 (login IDs or e-mail addresses of "
    "the tenant's users; several separated by ';' or '、'), 開設時の協議 (あり, なし, ガイドライン制定前), 利用方針, "
    "運用マニュアル, アカウントポリシー (あり: complete, 一部: partial, なし: none), アカウントポリシーURL (where "
    "the policy is published on the account), 登録メールアドレス."
)


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inlined(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inlined(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inlined(v, defs) for v in node]
    return node


@cache
def _request_body() -> dict[str, Any]:
    schema = msgspec.json.schema(ImportFile)
    return {
        "required": True,
        "description": "The file: JSON (the schema below), or text/csv (the agency's register, one row per account).",
        "content": {
            "application/json": {"schema": _inlined(schema, schema.get("$defs", {}))},
            "text/csv": {"schema": {"type": "string", "description": CSV_DESCRIPTION}},
        },
    }


class ImportOperation(Operation):
    """The operation as documented, with its two kinds of body (the handler reads the body itself)."""

    def to_schema(self) -> dict[str, Any]:
        return {**super().to_schema(), "requestBody": _request_body()}


DryRun = Annotated[
    bool,
    QueryParameter(description="Check the whole file and answer what a real run would do, changing nothing."),
]


class ImportController(Controller):
    path = "/v1/tenants/{tenant_id:uuid}/imports"
    tags = ["Imports"]

    @post(
        "/",
        operation_id="importRegister",
        summary="Import an existing register: units, accounts already open, their documents and history",
        guards=[requires(Permission.IMPORTS_WRITE)],
        status_code=200,
        request_max_body_size=MAX_IMPORT_BYTES,
        operation_class=ImportOperation,
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def import_(
        self, ctx: NamedDependency[Ctx], request: Request[Any, Any, Any], dry_run: FromQuery[DryRun] = False
    ) -> ImportSummary:
        """JSON (`ImportFile`) or `text/csv` (the agency's register, one row per account, headings in
        Japanese: 所属コード, アカウント名, URL, 開設日, 運用主体 required; プラットフォーム, 利用目的, 運用管理者,
        運用担当者, 開設時の協議, 利用方針, 運用マニュアル, アカウントポリシー, アカウントポリシーURL,
        登録メールアドレス optional; see the README). Every error of the file is answered at once (422:
        `errors[]` with a JSON `pointer`, or the CSV's `row` and `column`), and nothing changes.
        A real run is all or nothing; the same file again changes nothing (accounts are matched by their
        normalised URL key, history by its natural key). Imported accounts are active from their real
        opening day, and their renewals, rotation, monitoring and reviews are scheduled as for opened ones."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        return await service.run(ctx, await request.body(), media_type, dry_run=dry_run)
