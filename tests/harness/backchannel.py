"""A stand-in for the portal's back-channel logout endpoint: what a provider posts there."""

import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class BackchannelReceiver:
    """A tiny HTTP server on 127.0.0.1 standing in for the portal's back-channel endpoint."""

    def __init__(self) -> None:
        self.received: queue.Queue[dict] = queue.Queue()
        self.delay = 0.0  # seconds before answering, to play a slow portal
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                time.sleep(receiver.delay)
                receiver.received.put(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "form": parse_qs(body),
                    }
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/auth/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def drain(self) -> list[dict]:
        items = []
        while True:
            try:
                items.append(self.received.get_nowait())
            except queue.Empty:
                return items

    def logout_token(self, timeout: float = 10) -> str:
        """The next logout token posted here."""
        return self.received.get(timeout=timeout)["form"]["logout_token"][0]
