#!/usr/bin/env bash
# Runs every test of the repository. Installs what the tests need when it is missing
# (redis-server, nginx, chromium; docker-compose to validate docker-compose.yml), so it works on a fresh Debian machine.
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
# The TypeScript client's end-to-end tests drive Debian's chromium through playwright-core.
command -v chromium >/dev/null 2>&1 || { echo "Installing chromium"; apt_install chromium; }
command -v npm >/dev/null 2>&1 || { echo "Installing nodejs and npm"; apt_install nodejs npm; }
# The result summaries (scripts/summarize-*.py) run on python3.
command -v python3 >/dev/null 2>&1 || { echo "Installing python3"; apt_install python3; }
# The packaged redis service is not needed: the tests start their own servers on free loopback ports.

# The load balancer test (Ops/NginxLoadBalancerTests) runs deploy/nginx/nginx.conf with Debian's nginx. Its packaged
# service is not needed (containers here have a policy-rc.d that keeps it from starting).
[ -x /usr/sbin/nginx ] || { echo "Installing nginx"; apt_install nginx; }

# The Kubernetes manifests test (Ops/KubernetesManifestTests) renders deploy/kubernetes with `kubectl kustomize`
# (Debian's kubernetes-client when no kubectl is on PATH) and validates it with deploy/kubernetes/validate's packages.
command -v kubectl >/dev/null 2>&1 || { echo "Installing kubernetes-client (kubectl kustomize)"; apt_install kubernetes-client; }

if [ -f docker-compose.yml ]; then
  command -v docker-compose >/dev/null 2>&1 || { echo "Installing docker-compose (to validate docker-compose.yml)"; apt_install docker-compose; }
  # The stack refuses to start without a signing key; the check sets a placeholder and also checks that refusal.
  NOTIFICATIONHUB_SIGNING_KEY=validation-only-not-a-key docker-compose -f docker-compose.yml config -q
  if env -u NOTIFICATIONHUB_SIGNING_KEY docker-compose -f docker-compose.yml config -q 2>/dev/null; then
    echo "docker-compose.yml accepts a missing NOTIFICATIONHUB_SIGNING_KEY"; exit 1
  fi
  echo "docker-compose.yml is valid"
fi

results="artifacts/test-results"
rm -rf "$results"
status=0

# Install the TypeScript client's packages first: the server's build then finds node_modules and only builds the demo
# page bundle (wwwroot/) that the server serves and the browser tests open.
ts_dir="clients/typescript"
(cd "$ts_dir" && npm ci --no-audit --no-fund --loglevel=error)
(cd deploy/kubernetes/validate && npm ci --no-audit --no-fund --loglevel=error)

dotnet test NotificationHub.sln -c Release --logger "trx" --results-directory "$results" || status=$?
dotnet_summary=$(python3 scripts/summarize-trx.py "$results" || echo "0 passed, 1 failed, 0 skipped")
echo ".NET: $dotnet_summary"

# TypeScript: type check, unit (jsdom), functional (against the built server dll) and e2e (chromium). Each part runs
# even when an earlier one failed; a part that fails without a report (the type check) counts as one failed test.
ts_results="$PWD/$results"
unreported_failures=0
(cd "$ts_dir" && npm run --silent typecheck) || { echo "TypeScript type check failed"; unreported_failures=$((unreported_failures + 1)); }
for project in unit functional e2e; do
  report="$ts_results/ts-$project.json"
  if ! (cd "$ts_dir" && npx vitest run --project "$project" --reporter=default --reporter=json --outputFile.json="$report"); then
    status=1
    [ -s "$report" ] || unreported_failures=$((unreported_failures + 1))
  fi
done
[ "$unreported_failures" -eq 0 ] || status=1
python3 scripts/summarize-vitest.py "$ts_results" "$unreported_failures" "$dotnet_summary"
exit $status
