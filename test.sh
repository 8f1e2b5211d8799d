#!/usr/bin/env bash
# Runs every test of the repository. Installs what the tests need when it is missing
# (redis-server; docker-compose to validate docker-compose.yml), so it works on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

command -v redis-server >/dev/null 2>&1 || { echo "Installing redis-server"; apt_install redis-server; }
# The packaged redis service is not needed: the tests start their own servers on free loopback ports.

if [ -f docker-compose.yml ]; then
  command -v docker-compose >/dev/null 2>&1 || { echo "Installing docker-compose (to validate docker-compose.yml)"; apt_install docker-compose; }
  docker-compose -f docker-compose.yml config -q
  echo "docker-compose.yml is valid"
fi

results="artifacts/test-results"
rm -rf "$results"
status=0
dotnet test NotificationHub.sln -c Release --logger "trx" --results-directory "$results" || status=$?

python3 scripts/summarize-trx.py "$results" || true
exit $status
