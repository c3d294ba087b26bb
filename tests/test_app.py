"""The application's start-up, on a server as fresh as a new installation."""

from __future__ import annotations

import dataclasses

import httpx

from service.app import create_app
from service.config import Settings
from service.kit.clock import FrozenClock
from service.kit.db import Database
from tests.support import serving


async def test_the_jwks_publishes_a_key_before_anyone_logs_in(
    settings: Settings, own_database: tuple[str, str], clock: FrozenClock
) -> None:
    """Clients that cache the JWKS at start-up (gateways, other services) must find a key at once."""
    app_url, owner_url = own_database
    fresh = dataclasses.replace(settings, database_url=app_url, migration_database_url=owner_url)
    db = Database(app_url, pool_size=2, clock=clock)
    try:
        async with serving(create_app(fresh, db=db, clock=clock)) as client:
            response: httpx.Response = await client.get("/.well-known/jwks.json")
        assert response.status_code == 200
        keys = response.json()["keys"]
        assert len(keys) == 1
        assert (keys[0]["kty"], keys[0]["crv"]) == ("OKP", "Ed25519")
    finally:
        await db.dispose()
