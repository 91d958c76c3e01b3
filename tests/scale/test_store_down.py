"""The shared rate-limit store out of reach: the portal keeps serving, says so in its log, and
keeps counting in its own memory until the store answers again."""

import time

import pytest
import requests

from tests.harness.devidp import free_port
from tests.harness.redis import RedisServer
from tests.scale.conftest import Portal, portal_environment, running

FALLBACK_WARNING = "Rate limit storage unreachable - falling back to in-memory storage"

pytestmark = pytest.mark.scale


def portal_on(store_url: str, database_url: str) -> Portal:
    return Portal(portal_environment(
        DATABASE_URL=database_url,
        KLANTPORTAL_OIDC_ISSUER="http://127.0.0.1:9/realms/klantportal",  # no provider needed
        KLANTPORTAL_OIDC_CLIENT_SECRET="scale-test-client-secret",
        KLANTPORTAL_RATELIMIT_STORAGE_URI=store_url,
    ))


def callbacks(portal: Portal, count: int) -> list[int]:
    url = portal.url + "/auth/callback?code=forged&state=forged"
    return [requests.get(url, allow_redirects=False, timeout=10).status_code for _ in range(count)]


@pytest.mark.parametrize("store", ["stopped while serving", "never there"])
def test_requests_are_served_and_a_warning_logged_when_the_store_is_down(store, scale_database):
    redis = RedisServer().start() if store == "stopped while serving" else None
    store_url = redis.url if redis else f"redis://127.0.0.1:{free_port()}/0"
    try:
        with running(portal_on(store_url, scale_database)) as (portal,):
            if redis:
                assert callbacks(portal, 5) == [400] * 5
                assert redis.keys() >= 1
                redis.stop()
            started = time.monotonic()
            statuses = callbacks(portal, 32)
            elapsed = time.monotonic() - started
            health = requests.get(portal.url + "/healthz", timeout=10)
            home = requests.get(portal.url + "/", timeout=10)
            log = portal.output()
    finally:
        if redis:
            redis.stop()
    print(f"\nstore {store}: 32 callbacks in {elapsed:.2f}s, statuses {sorted(set(statuses))}, "
          f"first 429 at {statuses.index(429) + 1 if 429 in statuses else None}")
    assert 500 not in statuses and health.status_code == 200 and home.status_code == 200
    # Counted in memory meanwhile: the limit still holds, per process.
    assert statuses[:30] == [400] * 30 and statuses[30:] == [429, 429]
    assert f"WARNING flask-limiter: {FALLBACK_WARNING}" in log
    assert "Traceback" not in log
