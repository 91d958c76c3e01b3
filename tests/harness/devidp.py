"""Start and drive the Keycloak-compatible development IdP (``keycloak/dev-idp``).

Usage::

    from tests.harness.devidp import DevIdp, DEMO_USER_IDS

    with DevIdp(env={"KLANTPORTAL_BASE_URL": "http://localhost:5123"}) as idp:
        idp.issuer          # http://localhost:<port>/realms/klantportal
        idp.disable_user(DEMO_USER_IDS["bram.legacy"])
        idp.logout_user(DEMO_USER_IDS["anna.admin"])   # back-channel logout sent
        idp.rotate_key()                                 # new kid, the old key gone
        idp.set_switches(refreshTokens="rotate")         # reuse detection; or "none"

The provider reads ``keycloak/realm-klantportal.json``; ``env`` sets the
placeholders it resolves (``KLANTPORTAL_BASE_URL``, ``KLANTPORTAL_CLIENT_SECRET``,
``KLANTPORTAL_BACKCHANNEL_LOGOUT_URL``) and ``ACCESS_TOKEN_TTL`` (seconds).
Only the standard library and ``requests`` are used.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV_IDP_DIR = REPO_ROOT / "keycloak" / "dev-idp"
REALM_FILE = REPO_ROOT / "keycloak" / "realm-klantportal.json"
REALM = "klantportal"
CLIENT_ID = "klantportal-web"
DEFAULT_CLIENT_SECRET = "klantportal-demo-secret"
DEMO_PASSWORD = "demo"

DEMO_USER_IDS: dict[str, str] = {
    "anna.admin": "0b6b1a4e-0001-4000-8000-000000000001",
    "bram.legacy": "0b6b1a4e-0002-4000-8000-000000000002",
    "carla.cursus": "0b6b1a4e-0003-4000-8000-000000000003",
    "daan.onvoldoende": "0b6b1a4e-0004-4000-8000-000000000004",
    "eva.bekijker": "0b6b1a4e-0005-4000-8000-000000000005",
    "femke.expert": "0b6b1a4e-0006-4000-8000-000000000006",
    "gijs.geen": "0b6b1a4e-0007-4000-8000-000000000007",
    "hugo.vandijk": "0b6b1a4e-0008-4000-8000-000000000008",
    "iris.onbekend": "0b6b1a4e-0009-4000-8000-000000000009",
}


class DevIdpError(RuntimeError):
    """The development IdP could not be installed or started."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_installed() -> None:
    """Run ``npm ci`` in keycloak/dev-idp when its node_modules is missing."""
    if (DEV_IDP_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise DevIdpError(
            f"{DEV_IDP_DIR}/node_modules is missing and npm is not installed; "
            "install Node.js (>= 20) and run `npm ci` in keycloak/dev-idp"
        )
    proc = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=DEV_IDP_DIR,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise DevIdpError(
            f"`npm ci` in {DEV_IDP_DIR} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )


class DevIdp:
    """A running dev IdP on 127.0.0.1; use as a context manager (or start()/stop())."""

    def __init__(
        self,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        startup_timeout: float | None = None,
    ) -> None:
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        # 20 s by default; DEVIDP_STARTUP_TIMEOUT raises it on slow, busy machines.
        self.startup_timeout = (
            startup_timeout
            if startup_timeout is not None
            else float(os.environ.get("DEVIDP_STARTUP_TIMEOUT", "20"))
        )
        self.base_url = f"http://localhost:{self.port}"
        self.issuer = self.extra_env.get("ISSUER") or f"{self.base_url}/realms/{REALM}"
        self.admin_url = f"http://127.0.0.1:{self.port}/admin/realms/{REALM}"
        self.dev_url = f"http://127.0.0.1:{self.port}/admin/dev"
        self.client_id = CLIENT_ID
        self.client_secret = self.extra_env.get("KLANTPORTAL_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
        self._proc: subprocess.Popen | None = None
        self._log = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> DevIdp:
        ensure_installed()
        node = shutil.which("node")
        if node is None:
            raise DevIdpError("node is not installed (Node.js >= 20 is needed for keycloak/dev-idp)")
        env = {**os.environ, **self.extra_env, "PORT": str(self.port)}
        env.setdefault("REALM_FILE", str(REALM_FILE))
        self._log = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (closed in stop())
        self._proc = subprocess.Popen(
            [node, "server.js"],
            cwd=DEV_IDP_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._proc.poll() is not None:
                out = self.output()
                self._cleanup()
                raise DevIdpError(f"dev IdP exited with {self._proc.returncode} during startup:\n{out}")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/health/ready", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                out = self.output()
                self.stop()
                raise DevIdpError(
                    f"dev IdP not ready on port {self.port} after {self.startup_timeout:.0f}s:\n{out}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def output(self) -> str:
        """Everything the provider printed so far (one line per request)."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        data = self._log.read().decode("utf-8", "replace")
        self._log.seek(0, os.SEEK_END)
        return data

    def __enter__(self) -> DevIdp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- URLs --------------------------------------------------------------

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def endpoint(self, name: str) -> str:
        """``auth``, ``token``, ``certs``, ``userinfo``, ``logout``, ``revoke``, ``token/introspect``."""
        return f"{self.issuer}/protocol/openid-connect/{name}"

    # -- admin (Keycloak admin REST shape) ---------------------------------

    def get_user(self, user_id: str) -> dict:
        r = requests.get(f"{self.admin_url}/users/{user_id}", timeout=10)
        r.raise_for_status()
        return r.json()

    def set_user_enabled(self, user_id: str, enabled: bool) -> None:
        r = requests.put(f"{self.admin_url}/users/{user_id}", json={"enabled": enabled}, timeout=10)
        r.raise_for_status()

    def disable_user(self, user_id: str) -> None:
        self.set_user_enabled(user_id, False)

    def enable_user(self, user_id: str) -> None:
        self.set_user_enabled(user_id, True)

    # -- dev switches (keycloak/dev-idp/README.md, "Test switches") ------------

    def set_switches(self, **switches) -> dict:
        """``refreshTokens`` (keycloak | rotate | none), ``claimsAtUserinfoOnly``, ``tokenDelayMs``."""
        r = requests.put(f"{self.dev_url}/switches", json=switches, timeout=10)
        r.raise_for_status()
        return r.json()

    def token_requests(self) -> dict:
        """Token-endpoint requests so far by grant type (``refresh_token``, ``authorization_code``)."""
        r = requests.get(f"{self.dev_url}/switches", timeout=10)
        r.raise_for_status()
        return r.json()["stats"]

    def rotate_key(self) -> str:
        """A new signing key (new kid); the old one leaves the key set. Returns the new kid."""
        r = requests.post(f"{self.dev_url}/rotate-key", timeout=30)
        r.raise_for_status()
        return r.json()["kid"]

    def logout_user(self, user_id: str) -> None:
        """End all provider sessions of the user; returns after back-channel calls were attempted."""
        r = requests.post(f"{self.admin_url}/users/{user_id}/logout", timeout=30)
        r.raise_for_status()
