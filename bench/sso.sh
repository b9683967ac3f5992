#!/usr/bin/env bash
# bench/sso.sh — single sign-on and login figures on the demo federation (province, county, school on loopback,
# embedded Derby), in one run, with a local login at the school as the baseline. See itests/browser/sso-bench.mjs
# for what each figure measures. Starts the demo (./edufed demo) unless one is running, stops it at the end if it
# started it. The accounts it creates at the school (bench-*) stay there: the demo is throw-away.
# Usage: bench/sso.sh      Sizes from the environment: N (20 journeys), USERS (40), CONCURRENCY (4).
# Needs: a build, Debian's chromium, and npm ci in itests/browser (./edufed test does both). Last line: JSON.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib/demo.sh
. "$ROOT/bench/lib/demo.sh"
ensure_demo
trap stop_demo EXIT
[ -d "$ROOT/itests/browser/node_modules/playwright-core" ] || (cd "$ROOT/itests/browser" && npm ci --no-audit --no-fund --loglevel=error >&2)
# the school must trust the province first (its metadata travels down, the school's up)
for ((i = 0; i < 120; i++)); do
  curl -s "$(url school)/console/login" | grep -q sso-login && break
  sleep 0.5
done
cd "$ROOT/itests/browser"
PROVINCE="$(url province)" SCHOOL="$(url school)" PROVINCE_PASSWORD="$(pw province)" SCHOOL_PASSWORD="$(pw school)" \
  node sso-bench.mjs
