#!/usr/bin/env bash
# bench/health.sh — what GET /api/v1/health costs a node: it is public (no login), so anyone who reaches the port can
# ask it as often as they like. CONNECTIONS (32) clients ask the demo school's health for DURATION (20) s, then, side
# by side in the same run, the school's GET /api/v1/account (authenticated, answered from memory: the cheapest
# request the REST API serves) the same way; each with the school's CPU ms per request (/proc utime + stime).
# Its county and province are paused (SIGSTOP) meanwhile, as in exam-load.sh. Starts the demo unless one runs
# (EDUFED_JIT=c2 as exam-load.sh); ROUNDS (3) rounds, the two interleaved. Needs wrk.
# Last line: {"health_rps":…,"health_cpu_ms":…,"account_rps":…,"account_cpu_ms":…,"ratio":…} (medians; ratio =
# health_rps / account_rps).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib/demo.sh
. "$ROOT/bench/lib/demo.sh"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-20}"
ROUNDS="${ROUNDS:-3}"
WORK="$ROOT/target/bench-health"
command -v wrk >/dev/null || { echo "health.sh: needs wrk (Debian: apt-get install wrk)" >&2; exit 1; }
export EDUFED_JIT="${EDUFED_JIT:-c2}"
ensure_demo
S="$(url school)"
parents=("$(pid_of county)" "$(pid_of province)")
cleanup() {
  kill -CONT "${parents[@]}" 2>/dev/null || true
  rm -f "$WORK/account.lua"
  stop_demo
}
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK"
auth_lua "$WORK/account.lua" "$(pw school)"
school="$(pid_of school)"
ticks() { awk '{print $14 + $15}' "/proc/$school/stat"; }
hz="$(getconf CLK_TCK)"
# run <name> <path> [lua]: one wrk run; appends "rps cpu_ms" to $WORK/<name>
run() {
  local t0 t1 out
  t0="$(ticks)"
  out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION"s ${3:+-s "$3"} "$S$2")"
  t1="$(ticks)"
  if grep -q 'Non-2xx' <<< "$out"; then echo "health.sh: $2 answered other than 2xx: $out" >&2; exit 1; fi
  python3 -c "
rps = float('$(awk '/Requests\/sec/ {print $2}' <<< "$out")')
print(rps, round(1000 * ($t1 - $t0) / $hz / max(1, rps * $DURATION), 3))" >> "$WORK/$1"
  echo "  $1: $(tail -1 "$WORK/$1" | awk '{print $1 " requests/s, " $2 " ms of the school'"'"'s CPU each"}')" >&2
}
kill -STOP "${parents[@]}"
echo "warming the school's JIT on both requests (not counted)…" >&2
wrk -t2 -c"$CONNECTIONS" -d60s "$S/api/v1/health" > /dev/null
wrk -t2 -c"$CONNECTIONS" -d60s -s "$WORK/account.lua" "$S/api/v1/account" > /dev/null
for ((i = 1; i <= ROUNDS; i++)); do
  echo "round $i of $ROUNDS: $CONNECTIONS connections, $DURATION s each…" >&2
  run health /api/v1/health
  run account /api/v1/account "$WORK/account.lua"
done
python3 - "$WORK" <<'PY'
import json, statistics, sys
rows = {n: [tuple(map(float, l.split())) for l in open(f"{sys.argv[1]}/{n}")] for n in ("health", "account")}
med = lambda n, k: statistics.median(r[k] for r in rows[n])
print(json.dumps({"health_rps": round(med("health", 0), 1), "health_cpu_ms": med("health", 1),
                  "account_rps": round(med("account", 0), 1), "account_cpu_ms": med("account", 1),
                  "ratio": round(med("health", 0) / med("account", 0), 2)}))
PY
