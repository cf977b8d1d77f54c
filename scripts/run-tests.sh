#!/usr/bin/env bash
# Runs the whole suite against a real broker: KAFKA_BOOTSTRAP when set, else the dev broker,
# started here and stopped on exit whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
started=0
if [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
  # The last line is the address (anything before it is progress output).
  KAFKA_BOOTSTRAP=$($BIN/copyflow dev-broker start | tail -n 1)
  export KAFKA_BOOTSTRAP
  started=1
  trap '$BIN/copyflow dev-broker stop >/dev/null || true' EXIT
fi
echo "tests use the broker at $KAFKA_BOOTSTRAP"
$BIN/python -m pytest "$@"
