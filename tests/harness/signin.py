"""Sign in through the provider's login form over HTTP, as a browser would (requests, no JavaScript)."""

import html
import re
from urllib.parse import urljoin

import requests


def follow(session: requests.Session, response: requests.Response, stop_prefix: str):
    """Follow redirects to a page (the response) or up to one that leads to ``stop_prefix`` (the URL)."""
    for _ in range(10):
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(stop_prefix):
            return location
        response = session.get(location, allow_redirects=False)
    raise AssertionError("too many redirects")


def log_in_at_provider(browser: requests.Session, login_url: str, username: str, portal_url: str) -> str:
    """Open the portal's ``login_url``, fill in the provider's form; the callback URL it leads back to."""
    page = follow(browser, browser.get(login_url, allow_redirects=False), portal_url)
    assert not isinstance(page, str) and page.status_code == 200, page
    action = re.search(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', page.text)
    assert action, page.text[:2000]
    answer = browser.post(urljoin(page.url, html.unescape(action[1])),
                          data={"username": username, "password": "demo"}, allow_redirects=False)
    callback = follow(browser, answer, portal_url)
    assert isinstance(callback, str) and "/auth/callback?" in callback, callback
    return callback
