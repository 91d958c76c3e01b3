"""A throw-away PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user.
``KLANTPORTAL_TEST_DATABASE_URL`` points the tests at an existing server instead.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bindir() -> Path | None:
    for pg_ctl in sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True):
        return Path(pg_ctl).parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


class PostgresUnavailable(RuntimeError):
    pass


class PostgresServer:
    def __init__(self):
        self.bindir = _bindir()
        if self.bindir is None:
            raise PostgresUnavailable("no PostgreSQL server binaries (pg_ctl) found")
        self.root = Path(tempfile.mkdtemp(prefix="klantportal-pg-"))
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/klantportal_test"

    def _run(self, *args):
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def start(self) -> "PostgresServer":
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w",
                  "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "klantportal_test")
        return self

    def stop(self):
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
