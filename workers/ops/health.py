"""A tiny HTTP health endpoint (stdlib, one daemon thread) and the client that probes it.

``GET /health`` answers 200 with a JSON body while the worker is healthy, 503 otherwise.
``GET /metrics`` answers the same facts in the Prometheus text format. Opt-in: the worker
serves it only when ``COPYFLOW_OPS_HEALTH_PORT`` is set.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

log = structlog.get_logger("copyflow.health")


@dataclass(frozen=True, slots=True)
class HealthReport:
    """One answer to "are you alive?": a verdict, the reasons and the facts behind it."""

    healthy: bool
    reasons: tuple[str, ...]
    facts: Mapping[str, Any]

    def body(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "reasons": list(self.reasons),
            **self.facts,
        }


def prometheus_text(report: HealthReport, prefix: str = "copyflow") -> str:
    """Numeric facts as Prometheus gauges; per-partition lag as a labelled gauge."""
    lines = [f"{prefix}_healthy {int(report.healthy)}"]
    for key, value in sorted(report.facts.items()):
        if isinstance(value, bool):
            lines.append(f"{prefix}_{key} {int(value)}")
        elif isinstance(value, int | float):
            lines.append(f"{prefix}_{key} {value}")
    for name, part in sorted((report.facts.get("partitions") or {}).items()):
        topic, _, rest = name.partition("[")
        labels = f'topic="{topic}",partition="{rest.rstrip("]")}"'
        if part.get("lag") is not None:
            lines.append(f"{prefix}_partition_lag{{{labels}}} {part['lag']}")
        lines.append(f"{prefix}_partition_stalled{{{labels}}} {int(bool(part.get('stalled')))}")
    return "\n".join(lines) + "\n"


def _handler(report: Callable[[], HealthReport]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path not in ("/health", "/healthz", "/metrics"):
                self._send(404, "text/plain", b"not found\n")
                return
            try:
                current = report()
            except Exception as exc:  # noqa: BLE001 - a probe must answer, not hang
                self._send(503, "text/plain", f"health check failed: {exc}\n".encode())
                return
            if path == "/metrics":
                self._send(200, "text/plain; version=0.0.4", prometheus_text(current).encode())
                return
            code = 200 if current.healthy else 503
            self._send(code, "application/json", json.dumps(current.body(), default=str).encode())

        def _send(self, code: int, ctype: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # probes every few seconds would drown the worker's own log

    return Handler


class HealthServer:
    """Serve ``/health`` and ``/metrics`` from a daemon thread until ``stop()``."""

    def __init__(
        self, report: Callable[[], HealthReport], port: int, host: str = "127.0.0.1"
    ) -> None:
        self._server = ThreadingHTTPServer((host, port), _handler(report))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> HealthServer:
        self._thread.start()
        log.info("health_serving", port=self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What ``copyflow health`` saw: exit code 0 healthy, 1 unhealthy, 2 unreachable."""

    exit_code: int
    status: int | None
    body: dict[str, Any] | None
    error: str | None = None


def probe(url: str, timeout_s: float = 3.0) -> ProbeResult:
    """GET a health URL; never raises."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return ProbeResult(0, resp.status, json.loads(resp.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = None
        return ProbeResult(1 if exc.code == 503 else 2, exc.code, body, str(exc))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return ProbeResult(2, None, None, str(exc))
