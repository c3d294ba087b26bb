"""An embedded PostgreSQL for development and tests: a real server the project starts and stops itself.

Binaries come from, in order: `PG_BIN_DIR`; `pg_ctl` on PATH; `pg_config --bindir`; the usual
install locations (Debian/Ubuntu, Homebrew, Postgres.app); the `pgserver` wheel when installed.
Data lives under `.data/` and survives restarts. When run as root (containers), the server runs
as the unprivileged `nobody` user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from service.config import ConfigError

INSTALL_HINT = (
    "No PostgreSQL server binaries found (initdb, pg_ctl). Install one of:\n"
    "  - Debian/Ubuntu: sudo apt install postgresql\n"
    "  - macOS (Homebrew): brew install postgresql@16\n"
    "  - any platform with wheels: .venv/bin/pip install pgserver\n"
    "or set PG_BIN_DIR to the directory holding pg_ctl, or set DATABASE_URL to use an existing server."
)


def _candidates() -> Iterator[Path]:
    if env := os.environ.get("PG_BIN_DIR"):
        yield Path(env)
    if found := shutil.which("pg_ctl"):
        yield Path(found).resolve().parent
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10)  # noqa: S603
            yield Path(out.stdout.strip())
    patterns = [
        "/usr/lib/postgresql/*/bin",
        "/usr/pgsql-*/bin",
        "/opt/homebrew/opt/postgresql@*/bin",
        "/usr/local/opt/postgresql@*/bin",
        "/opt/homebrew/opt/postgresql/bin",
        "/usr/local/opt/postgresql/bin",
        "/Applications/Postgres.app/Contents/Versions/latest/bin",
    ]
    for pattern in patterns:
        yield from (Path(p) for p in sorted(glob.glob(pattern), reverse=True))
    with contextlib.suppress(Exception):
        from pgserver._commands import POSTGRES_BIN_PATH

        yield Path(POSTGRES_BIN_PATH)


def find_bin_dir() -> Path:
    for candidate in _candidates():
        if (candidate / "pg_ctl").is_file() and (candidate / "initdb").is_file():
            return candidate
    raise ConfigError(INSTALL_HINT)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedPostgres:
    """One server with its data directory. `start()` is a no-op when it already runs."""

    SUPERUSER = "postgres"

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.pgdata = root / "pgdata"
        self.logfile = root / "postgres.log"
        self.port = port
        self.started_here = False
        self._bin: Path | None = None

    @property
    def bin_dir(self) -> Path:
        if self._bin is None:
            self._bin = find_bin_dir()
        return self._bin

    @property
    def _run_as(self) -> str | None:
        return "nobody" if hasattr(os, "geteuid") and os.geteuid() == 0 else None

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed binaries, arguments built here
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=check,
            user=self._run_as,
            cwd=self.root,
            timeout=120,
        )

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root.parent / f".{self.root.name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _chown_for_server(self, path: Path) -> None:
        if self._run_as:
            import pwd

            entry = pwd.getpwnam(self._run_as)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialized():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode == 0

    def _init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self._chown_for_server(self.root)
        result = self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            self.SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            check=False,
        )
        if result.returncode != 0:
            raise ConfigError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# written by koshiki: local TCP only, no unix socket under a shared directory\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "timezone = 'UTC'\n"
            )

    def start(self) -> None:
        with self._lock():
            if not self.initialized():
                self._init()
            if self.running():
                return
            if not port_is_free(self.port):
                raise ConfigError(
                    f"Port {self.port} is in use, so the embedded PostgreSQL cannot start. "
                    "Set EMBEDDED_PG_PORT to a free port (or DATABASE_URL to use another server)."
                )
            if self.logfile.exists() is False:
                self.logfile.touch()
            self._chown_for_server(self.logfile)
            result = self._run(
                "pg_ctl",
                "start",
                "-D",
                str(self.pgdata),
                "-l",
                str(self.logfile),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port}",
                check=False,
            )
            if result.returncode != 0:
                tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
                raise ConfigError(f"The embedded PostgreSQL did not start:\n{result.stderr}\n{tail}")
            self.started_here = True

    def stop(self) -> None:
        if self.initialized() and self.running():
            self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root.parent / f".{self.root.name}.lock").unlink(missing_ok=True)

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.SUPERUSER}@127.0.0.1:{self.port}/{database}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)  # noqa: T201 - CLI feedback before logging is set up
