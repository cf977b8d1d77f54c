"""A private dev broker that can be restarted with its data, for chaos tests and drills.

``workers.devbroker.start`` always begins with a fresh log dir (tests must not see old data);
a broker restart drill needs the opposite: the same port, the same cluster id, the same log
dir, so that committed offsets, open transactions and records survive. ``PrivateBroker`` runs
one on its own ports and directory, so a drill never disturbs the shared dev broker.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from workers import devbroker


def _alive(pid: int) -> bool:
    """Alive and not a zombie: reap it first when it is our own child."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass  # not our child: kill(0) below tells
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class PrivateBroker:
    """One single-node KRaft broker under ``base``; jars are shared with the dev broker's cache."""

    def __init__(self, base: Path, port: int, controller_port: int, heap: str = "512m") -> None:
        self.paths = devbroker.BrokerPaths(base)
        self.port = port
        self.controller_port = controller_port
        self.heap = heap

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _link_jars(self) -> None:
        shared = devbroker.ensure_jars(devbroker.default_paths())
        if not self.paths.libs.exists():
            self.paths.libs.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(shared, self.paths.libs)

    def start_fresh(self, timeout_s: float = 90.0) -> str:
        """Format a new log dir and start (same as the dev broker, on our own ports)."""
        self._link_jars()
        return devbroker.start(
            self.paths,
            port=self.port,
            controller_port=self.controller_port,
            timeout_s=timeout_s,
            heap=self.heap,
        )

    def start_kept(self, timeout_s: float = 90.0) -> str:
        """Start again from the existing log dir and config: all data survives."""
        props = self.paths.run / "server.properties"
        if not props.exists():
            raise RuntimeError(f"no broker was ever started under {self.paths.run}")
        if devbroker.read_pid(self.paths) is not None:
            return self.bootstrap
        java = shutil.which("java") or "java"
        log4j = self.paths.run / "log4j.properties"
        cmd = [
            java,
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-cp",
            f"{self.paths.libs}/*",
            f"-Dlog4j.configuration=file:{log4j}",
            "kafka.Kafka",
            str(props),
        ]
        with self.paths.log_file.open("ab") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.paths.pid_file.write_text(str(proc.pid))
        devbroker.wait_until_ready(self.bootstrap, timeout_s)
        return self.bootstrap

    def stop(self, hard: bool = False, timeout_s: float = 30.0) -> bool:
        """SIGTERM (a clean shutdown) or, with ``hard``, SIGKILL (a crash); True if one ran."""
        pid = devbroker.read_pid(self.paths)
        if pid is None:
            return False
        os.kill(pid, signal.SIGKILL if hard else signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        self.paths.pid_file.unlink(missing_ok=True)
        return True

    def restart(self, down_s: float = 0.0, hard: bool = False) -> float:
        """Stop, stay down ``down_s``, start with the same data; return the seconds it was away."""
        began = time.monotonic()
        self.stop(hard=hard)
        time.sleep(down_s)
        self.start_kept()
        return time.monotonic() - began

    def destroy(self) -> None:
        """Stop and delete the log dir."""
        self.stop()
        shutil.rmtree(self.paths.run, ignore_errors=True)
