#!/usr/bin/env bash
# The dev broker is Apache Kafka on the JVM, resolved by Maven. Install both if missing
# (Debian; we are root on these machines). Quiet when they are there.
set -euo pipefail
if command -v java >/dev/null && command -v mvn >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "copyflow needs Java 17+ and Maven for the dev broker; install them first" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
