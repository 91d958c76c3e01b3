"""The address the rate limits count per: the proxy's X-Forwarded-For only when KLANTPORTAL_TRUST_PROXY
says a proxy is there; otherwise a forged header buys no fresh limit."""

import pytest

LIMIT = 30
CALLBACK = "/auth/callback?code=forged&state=forged"


def statuses(client, forwarded_for) -> list[int]:
    return [
        client.get(CALLBACK, headers={"X-Forwarded-For": forwarded_for(number)}).status_code
        for number in range(LIMIT + 1)
    ]


@pytest.mark.parametrize("trusted", [False, True])
def test_forwarded_for_counts_only_behind_a_trusted_proxy(make_app, trusted):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", TRUST_PROXY_HEADERS=trusted)
    client = app.test_client()
    # Each request claims another client address.
    answered = statuses(client, lambda number: f"203.0.113.{number + 1}")
    if trusted:
        assert 429 not in answered  # 31 clients behind the proxy, one request each
        # ... while one client behind it is still limited.
        assert statuses(client, lambda number: "198.51.100.7")[-1] == 429
    else:
        assert answered[:LIMIT] == [400] * LIMIT and answered[LIMIT] == 429
