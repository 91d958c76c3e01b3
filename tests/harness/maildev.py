"""Start the mail catcher (``tools/maildev``, node) on free loopback ports and read its REST API."""

import shutil
import subprocess
import time
from pathlib import Path

import requests

from tests.harness.devidp import free_port

MAILDEV_DIR = Path(__file__).resolve().parents[2] / "tools" / "maildev"
MAILDEV_BIN = MAILDEV_DIR / "node_modules" / "maildev" / "bin" / "maildev"


class MaildevError(RuntimeError):
    """maildev is not installed or did not start."""


class Maildev:
    def __init__(self):
        self.smtp_port, self.web_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self._process = None

    def start(self, timeout: float = 30) -> "Maildev":
        node = shutil.which("node")
        if node is None or not MAILDEV_BIN.exists():
            raise MaildevError(f"{MAILDEV_BIN} or node missing; run make install")
        self._process = subprocess.Popen(
            [node, str(MAILDEV_BIN), "--ip", "127.0.0.1", "--smtp", str(self.smtp_port),
             "--web-ip", "127.0.0.1", "--web", str(self.web_port), "--silent"],
            cwd=MAILDEV_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.url}/email", timeout=1).raise_for_status()
                return self
            except requests.RequestException:
                if self._process.poll() is not None:
                    raise MaildevError(self._process.stderr.read().decode()) from None
                time.sleep(0.2)
        self.stop()
        raise MaildevError("maildev did not answer in time")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def emails(self) -> list[dict]:
        return requests.get(f"{self.url}/email", timeout=5).json()

    def clear(self) -> None:
        requests.delete(f"{self.url}/email/all", timeout=5).raise_for_status()

    def wait_for(self, to: str, subject_part: str, timeout: float = 20) -> dict:
        """The first mail to ``to`` whose subject contains ``subject_part``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mail in self.emails():
                if any(r["address"] == to for r in mail["to"]) and subject_part in mail["subject"]:
                    return mail
            time.sleep(0.2)
        subjects = [m["subject"] for m in self.emails()]
        raise AssertionError(f"no mail to {to} about {subject_part!r}: {subjects}")
