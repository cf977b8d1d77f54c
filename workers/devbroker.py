"""A single-node Apache Kafka broker in KRaft mode, for development, tests and the demo.

The broker runs from the Maven Central jars (``tools/kafka/pom.xml``), resolved once into a
cache outside the work tree. Every start uses a fresh log dir, so runs never see old data.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import AdminClient

from workers.settings import REPO_ROOT

KAFKA_VERSION = "3.9.1"
POM = REPO_ROOT / "tools" / "kafka" / "pom.xml"


@dataclass(frozen=True, slots=True)
class BrokerPaths:
    """Where the jars, the config, the data and the PID file live."""

    cache: Path

    @property
    def libs(self) -> Path:
        return self.cache / f"kafka-{KAFKA_VERSION}" / "libs"

    @property
    def run(self) -> Path:
        return self.cache / "dev-broker"

    @property
    def pid_file(self) -> Path:
        return self.run / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.run / "broker.log"


def default_paths() -> BrokerPaths:
    base = os.environ.get("COPYFLOW_CACHE") or os.path.join(Path.home(), ".cache", "copyflow")
    return BrokerPaths(Path(base))


def ensure_jars(paths: BrokerPaths) -> Path:
    """Resolve the Kafka jars with Maven into the cache, once."""
    marker = paths.libs / f"kafka_2.13-{KAFKA_VERSION}.jar"
    if marker.exists():
        return paths.libs
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed once to fetch the Kafka jars; install it")
    paths.libs.mkdir(parents=True, exist_ok=True)
    # Maven's output goes to stderr: callers capture stdout for the bootstrap address, and
    # even a quiet Maven writes colour codes there.
    subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-Dstyle.color=never",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={paths.libs}",
            "-DincludeScope=runtime",
        ],
        check=True,
        stdout=sys.stderr,
    )
    if not marker.exists():
        raise RuntimeError(f"Maven finished but {marker} is missing")
    return paths.libs


def _server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={data_dir}",
            "num.partitions=3",
            "auto.create.topics.enable=true",
            # One node: every internal topic must live with replication factor 1.
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "transaction.state.log.num.partitions=10",
            "share.coordinator.state.topic.replication.factor=1",
            # Tests create fresh groups all the time; do not wait 3 s for each.
            "group.initial.rebalance.delay.ms=0",
            "log.segment.bytes=16777216",
            "",
        ]
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_pid(paths: BrokerPaths) -> int | None:
    """The running broker's PID, or None when none runs."""
    try:
        pid = int(paths.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def wait_until_ready(bootstrap: str, timeout_s: float) -> None:
    """Block until the broker answers a metadata request."""
    deadline = time.monotonic() + timeout_s
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            md = admin.list_topics(timeout=2)
            if md.brokers:
                return
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            last = exc
        time.sleep(0.5)
    raise TimeoutError(f"broker at {bootstrap} did not answer within {timeout_s}s: {last}")


def start(
    paths: BrokerPaths | None = None,
    port: int = 9092,
    controller_port: int = 9093,
    timeout_s: float = 90.0,
    heap: str = "768m",
) -> str:
    """Start the broker with a fresh log dir; return its bootstrap address."""
    paths = paths or default_paths()
    bootstrap = f"127.0.0.1:{port}"
    if read_pid(paths) is not None:
        wait_until_ready(bootstrap, timeout_s)
        return bootstrap
    libs = ensure_jars(paths)
    if paths.run.exists():
        shutil.rmtree(paths.run)
    data_dir = paths.run / "data"
    data_dir.mkdir(parents=True)
    props = paths.run / "server.properties"
    props.write_text(_server_properties(data_dir, port, controller_port))
    log4j = paths.run / "log4j.properties"
    log4j.write_text(
        "log4j.rootLogger=WARN, stdout\n"
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        "log4j.logger.kafka.server.KafkaServer=INFO\n"
        "log4j.logger.kafka.server.KafkaRaftServer=INFO\n"
    )
    java = shutil.which("java") or "java"
    base = [
        java,
        f"-Xmx{heap}",
        f"-Xms{heap}",
        "-cp",
        f"{libs}/*",
        f"-Dlog4j.configuration=file:{log4j}",
    ]
    cluster_id = uuid.uuid4().hex[:22]
    subprocess.run(
        [*base, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with paths.log_file.open("ab") as log:
        proc = subprocess.Popen(
            [*base, "kafka.Kafka", str(props)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the shell that started it; stopped by PID
        )
    paths.pid_file.write_text(str(proc.pid))
    try:
        wait_until_ready(bootstrap, timeout_s)
    except TimeoutError:
        stop(paths)
        raise
    return bootstrap


def stop(paths: BrokerPaths | None = None, timeout_s: float = 30.0) -> bool:
    """Stop the broker by PID; True when one was running."""
    paths = paths or default_paths()
    pid = read_pid(paths)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.2)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
    paths.pid_file.unlink(missing_ok=True)
    return True


def status(paths: BrokerPaths | None = None) -> int | None:
    """The PID of the running dev broker, if any."""
    return read_pid(paths or default_paths())
