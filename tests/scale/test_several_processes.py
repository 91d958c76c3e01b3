"""Two portal processes on one PostgreSQL and one Redis (issue 19): sessions, rate limits and
role changes hold across them, and two schedulers run the night once."""

import time

import pytest
import requests

from tests.scale.conftest import csrf_token, klantportal, query, sign_in

SIGN_IN_LIMIT = 30  # webapp/auth.py: the OIDC callback, per minute and address

pytestmark = pytest.mark.scale


def test_a_session_made_on_one_process_is_valid_on_the_other(pair):
    started = time.monotonic()
    # /login (state and PKCE verifier kept in the session) on the first, the callback on the second.
    browser = sign_in(pair, "anna.admin", start=0, finish=1)
    for index in (0, 1):
        page = browser.get(pair.on(index, pair.base_url + "/contacts"))
        assert page.status_code == 200, page.text[:500]
        assert "Anna de Vries" in page.text and "Mijn contactpersonen" in page.text
    print(f"\nsign-in across two processes and a page on each: {time.monotonic() - started:.2f}s")


def test_the_sign_in_limit_is_counted_once_across_both_processes(pair, redis_server):
    redis_server.command("FLUSHALL")
    statuses, started = [], time.monotonic()
    for number in range(1, SIGN_IN_LIMIT + 2):
        # Alternating, as a round-robin load balancer would; a forged callback is refused (400)
        # but counted like any other.
        url = pair.portals[number % 2].url + "/auth/callback?code=forged&state=forged"
        statuses.append(requests.get(url, allow_redirects=False, timeout=10).status_code)
    elapsed = time.monotonic() - started
    print(f"\n{len(statuses)} callbacks alternating over 2 processes in {elapsed:.2f}s; "
          f"first 429 at number {statuses.index(429) + 1 if 429 in statuses else None}")
    assert statuses[:SIGN_IN_LIMIT] == [400] * SIGN_IN_LIMIT
    assert statuses[SIGN_IN_LIMIT] == 429
    assert redis_server.keys() >= 1  # counted in the shared store, not in either process


def test_a_role_revoked_through_one_is_refused_on_the_others_next_request(pair, redis_server):
    redis_server.command("FLUSHALL")  # the sign-in limit of the test before
    bram = sign_in(pair, "bram.legacy", start=1, finish=1)
    assert bram.get(pair.on(1, pair.base_url + "/incidents/new")).status_code == 200
    anna = sign_in(pair, "anna.admin", start=0, finish=0)
    contacts = anna.get(pair.on(0, pair.base_url + "/contacts"))
    ((bram_id,),) = query(pair.database_url, "SELECT id FROM contact WHERE email LIKE 'bram.legacy@%%'")
    revoked = anna.post(pair.on(0, f"{pair.base_url}/contacts/{bram_id}/roles/submitter"),
                        data={"csrf_token": csrf_token(contacts.text)}, allow_redirects=False)
    assert revoked.status_code == 303, revoked.text[:500]
    started = time.monotonic()
    refused = bram.get(pair.on(1, pair.base_url + "/incidents/new"))
    print(f"\nrevoked on process 1, refused on process 2 in {time.monotonic() - started:.3f}s")
    assert refused.status_code == 403
    assert "Niet geautoriseerd" in refused.text
    assert "Incidenten insturen" in refused.text


def test_two_schedulers_started_at_once_run_the_night_once(scale_database):
    runs_before = query(scale_database, "SELECT count(*) FROM quota_run")[0][0]
    query(scale_database, "DELETE FROM job_lock")  # the latest 02:00 not yet run by anybody
    started = time.monotonic()
    schedulers = [
        klantportal(scale_database, "scheduler", "--run-now", "--once") for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in schedulers]
    print(f"\ntwo schedulers at once: {time.monotonic() - started:.2f}s; "
          f"exit codes {[process.returncode for process in schedulers]}")
    assert [process.returncode for process in schedulers] == [0, 0], outputs
    log = "\n".join(outputs)
    assert log.count("started by") == 1, log
    assert log.count("claimed by another process, skipped") == 1, log
    assert query(scale_database, "SELECT count(*) FROM quota_run")[0][0] == runs_before + 1
    ((owner,),) = query(scale_database, "SELECT owner FROM job_lock")
    assert f"started by {owner}" in log
