"""Real `koshiki worker` and `koshiki scheduler` processes for tests, on a broker the test names."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from service.config import project_home

TEST_SECRET_KEY = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="


class ServiceProcesses:
    """Processes of the service started as an operator would, each in its own process group (a
    kill reaches a worker's children too), all stopped by `stop_all()`."""

    def __init__(
        self, database_url: str, broker_url: str, prefix: str, *, logs: Path | None = None, **env: str
    ) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "BROKER_URL": broker_url,
            "QUEUE_PREFIX": prefix,
            "REDIS_HEARTBEAT_MS": "2000",
            "QUEUE_MIN_BACKOFF_MS": "100",
            "QUEUE_MAX_BACKOFF_MS": "500",
            "SWEEP_INTERVAL_MS": "200",
            "KOSHIKI_SECRET_KEY": TEST_SECRET_KEY,
            "KOSHIKI_EXTRA_MODULES": "tests.support.actors",
            "PYTHONPATH": str(project_home()),
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *command: str) -> subprocess.Popen[bytes]:
        """`koshiki <command…>`, e.g. start("worker", "--processes", "1") or start("scheduler")."""
        output = open(self.logs / f"{command[0]}-{len(self.processes)}.log", "wb") if self.logs else subprocess.DEVNULL  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", *command],
            env=self.env,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT if self.logs else subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def worker(self, processes: int = 1, threads: int = 2) -> subprocess.Popen[bytes]:
        return self.start("worker", "--processes", str(processes), "--threads", str(threads))

    def scheduler(self) -> subprocess.Popen[bytes]:
        return self.start("scheduler")

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                # Graceful stop: SIGTERM to the main process, which stops its worker processes
                # (a second SIGTERM sent straight to those would make them kill themselves).
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
