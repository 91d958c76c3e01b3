"""Production refuses per-process rate limits when several processes serve the portal: told so
(KLANTPORTAL_PROCESSES) or seen in gunicorn's worker count (webapp/gunicorn_conf.py)."""

import subprocess
import sys
import time

import pytest
import requests

from tests.deploy.test_production_config import production_env  # noqa: F401 (fixture)
from tests.harness.devidp import free_port
from webapp import create_app
from webapp.config import ROOT


def test_refuses_memory_storage_when_told_of_several_processes(production_env):  # noqa: F811
    production_env.setenv("KLANTPORTAL_PROCESSES", "2")
    with pytest.raises(RuntimeError, match="KLANTPORTAL_RATELIMIT_STORAGE_URI"):
        create_app()


def test_starts_with_a_shared_store_and_several_processes(production_env):  # noqa: F811
    production_env.setenv("KLANTPORTAL_PROCESSES", "4")
    production_env.setenv("KLANTPORTAL_RATELIMIT_STORAGE_URI", "redis://valkey:6379/0")
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "redis://valkey:6379/0"


def test_one_process_may_count_in_memory(production_env):  # noqa: F811
    assert create_app().config["RATELIMIT_STORAGE_URI"] == "memory://"


def gunicorn(workers: int, port: int) -> subprocess.Popen:
    """gunicorn as the image runs it (webapp/gunicorn_conf.py), on loopback."""
    command = [sys.executable, "-m", "gunicorn", "-c", "python:webapp.gunicorn_conf", "-w", str(workers),
               "-b", f"127.0.0.1:{port}", "webapp:create_app()"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_gunicorn_with_two_workers_refuses_memory_storage_in_production(production_env):  # noqa: F811
    output, _ = gunicorn(workers=2, port=free_port()).communicate(timeout=60)
    assert "refusing to start in production: rate limits are kept in memory while 2 processes" in output
    assert "Booting worker" not in output  # refused before any worker started


def test_gunicorn_starts_without_a_control_socket_in_a_read_only_home(production_env, tmp_path):  # noqa: F811
    """gunicorn >= 25.1 would create $HOME/.gunicorn; in the image HOME (/app) is not writable."""
    home = tmp_path / "home"
    home.mkdir(mode=0o555)
    production_env.setenv("HOME", str(home))
    production_env.delenv("XDG_RUNTIME_DIR", raising=False)
    port = free_port()
    server = gunicorn(workers=1, port=port)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Booting worker" in output, output
    assert "Control server" not in output and "control socket" not in output.lower(), output
    assert not (home / ".gunicorn").exists()
