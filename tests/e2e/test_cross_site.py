"""A page on another site auto-posts to the portal while the person is signed in (issue 16, 2).

The attacker's page is served by a second HTTP server on 127.0.0.1, the portal runs at
localhost: another origin and another site for the browser.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.e2e.conftest import sign_in
from tests.harness.devidp import free_port
from webapp.models import WebSession

PLANTED_SUBJECT = "Geplant door een andere site"
PLANTED_DESCRIPTION = "Bel meteen 0900-OPLICHTER, dit is een officiele melding."


@pytest.fixture
def attacker(stack):
    """A tiny site whose page posts a form to the portal as soon as it loads."""
    page = f"""<!doctype html><html><body>
<form id="f" method="post" action="{stack.url('/incidents/new')}">
<input name="subject" value="{PLANTED_SUBJECT}">
<input name="description" value="{PLANTED_DESCRIPTION}">
<input name="priority" value="hoog">
</form><script>document.getElementById("f").submit()</script></body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_another_sites_auto_post_leaves_session_cookie_and_form_untouched(stack, new_context, attacker):
    context = new_context()
    context.set_default_timeout(120_000)
    page = context.new_page()
    sign_in(page, stack, "carla.cursus", next_path="/incidents/new")
    cookie = next(c for c in context.cookies() if c["name"] == "klantportal_session")
    with stack.app.app_context():
        rows = [(r.key_hash, r.data, r.expires_at) for r in WebSession.select()]
    assert len(rows) == 1

    answer = page.goto(attacker)
    page.wait_for_url(stack.url("/incidents/new"))
    assert page.url == stack.url("/incidents/new")
    assert answer is not None
    refused = page.wait_for_selector("h1").inner_text()
    assert refused == "Verzoek van een andere website"

    after = next(c for c in context.cookies() if c["name"] == "klantportal_session")
    assert after["value"] == cookie["value"]
    with stack.app.app_context():
        assert [(r.key_hash, r.data, r.expires_at) for r in WebSession.select()] == rows

    page.goto(stack.url("/incidents/new"))
    assert "Carla Smit" in page.inner_text("header")
    assert page.input_value("#subject") == "" and page.input_value("#description") == ""
    assert page.locator("[data-testid=draft-restored]").count() == 0
    assert PLANTED_SUBJECT not in page.content()
