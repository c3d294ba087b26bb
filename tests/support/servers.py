"""Brokers a fault test starts for itself on free ports, never the machine's shared ones, and
stops or restarts at will. Each keeps its files in a directory of the test's own."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from service.kit.embedded_pg import free_port


def _wait_for_port(port: int, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the throwaway {what} did not start within {seconds:.0f} s")


class ThrowawayRedis:
    """Redis without persistence (`aof=False`: a restart loses everything it held), or with an
    append-only file synced on every write (`aof=True`: what the README asks of production)."""

    def __init__(self, directory: Path, *, aof: bool = False) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.directory = directory
        self.aof = aof
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.binary is not None
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", *persistence,
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port).ping():
                    return
            except (redis.ConnectionError, redis.BusyLoadingError):
                time.sleep(0.05)
        raise AssertionError("the throwaway redis did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class ThrowawayRabbitMQ:
    """A RabbitMQ node of its own (name, ports, database, cookie), no plugins. Started from the
    server's own script rather than the packaged wrapper, which would switch to the `rabbitmq`
    user; a restart keeps its database, so durable queues and persistent messages survive it."""

    BINARY = "/usr/lib/rabbitmq/bin/rabbitmq-server"

    def __init__(self, directory: Path) -> None:
        if not os.access(self.BINARY, os.X_OK):
            pytest.skip("rabbitmq-server is not installed")
        self.directory = directory
        self.port = free_port()
        self.dist_port = free_port()
        self.node = f"koshiki-{secrets.token_hex(3)}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None
        (directory / "enabled_plugins").write_text("[].\n")
        (directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )

    def start(self) -> None:
        d = self.directory
        env = {
            **os.environ,
            "HOME": str(d),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(d / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(d / "rabbitmq.pid"),
        }
        output = open(d / "server.log", "ab")  # noqa: SIM115 - handed to the process
        self.process = subprocess.Popen(
            [self.BINARY], env=env, cwd=d, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        _wait_for_port(self.port, 60, "rabbitmq")

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), as an operator's restart would do."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            self.process = None
