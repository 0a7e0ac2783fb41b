"""A real, throw-away PostgreSQL server for the tests that store data.

The server is Debian's (``scripts/install-system-deps`` installs it): ``initdb``
and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin`` make a cluster in a temporary
directory. It listens on a Unix socket in that directory and on no TCP port,
so it needs no free port. PostgreSQL refuses to run as root, so under root
(CI) the cluster belongs to the ``postgres`` system user the package creates,
and its commands run through ``runuser``.

If the server cannot be started the tests that need it fail (they do not
skip): a skipped storage test in CI would hide a missing install step.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

__all__ = ["PG_USER", "PostgresServer"]

PG_USER = "postgres"


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL is not installed (no initdb): run scripts/install-system-deps "
        "(Debian's postgresql package)"
    )


class PostgresServer:
    """A throw-away PostgreSQL cluster; ``stop()``/``start()`` simulate an outage."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="ctid-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        #: Names the socket file only: the server listens on no TCP port.
        self.port = 5432
        self._names = itertools.count(1)
        if self.as_root:
            # The cluster's files must belong to the user the server runs as.
            subprocess.run(["chown", PG_USER, str(self.base)], check=True)

    def _cmd(self, *args: str) -> list[str]:
        if self.as_root:
            return ["runuser", "-u", PG_USER, "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        result = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}\n{log[-2000:]}"
            )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            PG_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        """Start the server (on the same socket after a stop, so clients can come back)."""
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -c listen_addresses='' "
            f"-c unix_socket_directories={self.base} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@/{database}?host={self.base}&port={self.port}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=str(self.base), port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        )

    def create_database(self, template: str = "template0") -> str:
        name = f"t{os.getpid()}_{next(self._names)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                # Immediate: the data is thrown away, and a fast stop's checkpoint
                # writes every test database's pages first (minutes for a few
                # hundred databases on a slow disk, past pytest's timeout).
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
                )
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
