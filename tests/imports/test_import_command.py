"""`koshiki import FILE --tenant SLUG`: the same import from the command line, with its progress bar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import DatabaseUnderTest, agency_from_preset, x_handle

KOSHIKI = [sys.executable, "-m", "service.cli"]


def env_for(test_database: DatabaseUnderTest) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MIGRATION_DATABASE_URL"}}
    env.update(DATABASE_URL=test_database.app_url, MIGRATION_DATABASE_URL=test_database.owner_url)
    return env


async def test_the_command_checks_imports_and_reports_rows(
    test_database: DatabaseUnderTest, client: httpx.AsyncClient, platform: dict[str, str], tmp_path: Path
) -> None:
    agency = await agency_from_preset(client, platform, "oyama-kosen")
    code = agency.unit()["code"]
    register = tmp_path / "register.csv"
    register.write_text(
        "所属コード,アカウント名,URL,開設日,運用主体\n"
        f"{code},学校公式,https://x.com/{x_handle()},2019-04-01,直営\n"
        f"{code},部活動,https://www.instagram.com/{x_handle()}/,2021-05-10,直営\n",
        encoding="utf-8",
    )
    command = [*KOSHIKI, "import", str(register), "--tenant", agency.slug]
    dry = subprocess.run([*command, "--dry-run"], env=env_for(test_database), capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["accounts"] == {"created": 2, "already_present": 0}
    listed = await client.get(agency.url("/accounts"), headers=agency.admin.headers)
    assert listed.json()["items"] == []
    real = subprocess.run(command, env=env_for(test_database), capture_output=True, text=True)
    assert real.returncode == 0, real.stderr
    assert json.loads(real.stdout)["dry_run"] is False
    listed = await client.get(agency.url("/accounts"), headers=agency.admin.headers)
    assert sorted(a["opened_on"] for a in listed.json()["items"]) == ["2019-04-01", "2021-05-10"]

    broken = tmp_path / "broken.csv"
    broken.write_text(
        f"所属コード,アカウント名,URL,開設日,運用主体\nnowhere,x,https://x.com/{x_handle()},2019-04-01,直営\n"
    )
    refused = subprocess.run([*KOSHIKI, "import", str(broken), "--tenant", agency.slug], env=env_for(test_database),
                             capture_output=True, text=True)  # fmt: skip
    assert refused.returncode != 0
    assert "row 2, 所属コード" in refused.stderr
