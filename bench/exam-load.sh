#!/usr/bin/env bash
# bench/exam-load.sh — exam registration (中考报名) under load at a school node, and nothing acknowledged lost when
# the node is killed with kill -9 in the middle of a run; side by side in the same run with the baseline.
#
#   rps, p50_ms, p99_ms  CONNECTIONS (32) concurrent clients (autocannon, bench/exam-load/load.mjs) POST
#                 registrations for DURATION (20) seconds to the demo school's /api/v1/exam/registrations: each a
#                 new student (valid GB 11643 ID number, Chinese name, preferences checked against the county's
#                 plans), stored with its ID number and phone SM4-encrypted, its blind index, and its upward record
#                 in one transaction; rps counts 201 answers (acknowledged registrations) per second
#   (also printed, not in the JSON: the CPU time each node used per acknowledged registration during that run)
#   baseline_rps  single-row durable inserts of a row the same size into embedded Derby 10.14.2.0 through plain
#                 JDBC, from CONNECTIONS threads for DURATION seconds (bench/exam-load/Baseline.java), on the same
#                 disk right after; ratio = rps / baseline_rps (goals: >= 1,000 registrations/s, p99 < 250 ms,
#                 ratio >= 0.25)
#   acknowledged, lost, doubled   a second run of KILL_DURATION (20) seconds during which the school's JVM is
#                 killed with kill -9 after KILL_AT (8) seconds, then started again: every registration answered 201
#                 in both runs is looked for at the school (by its unique name); lost = acknowledged and missing,
#                 doubled = present more than once (goal: 0 and 0)
# Starts the demo (./edufed demo) unless one runs, and stops it at the end if it started it. The registrations stay
# in the demo (throw-away). Needs a build, Node.js and npm (installs autocannon into bench/exam-load), Java.
# Last line: {"rps":…,"p50_ms":…,"p99_ms":…,"baseline_rps":…,"ratio":…,"acknowledged":…,"lost":…,"doubled":…}
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODES="$ROOT/target/demo/nodes.json"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-20}"
KILL_DURATION="${KILL_DURATION:-20}"
KILL_AT="${KILL_AT:-8}"
WORK="$ROOT/target/bench-exam"
LOAD="$ROOT/bench/exam-load"
DERBY="$HOME/.m2/repository/org/apache/derby/derby/10.14.2.0/derby-10.14.2.0.jar"
say() { printf '%s\n' "$*" >&2; }
die() { say "exam-load.sh: $*"; exit 1; }

started=""
if ! curl -sf -o /dev/null http://127.0.0.1:18183/api/v1/health 2>/dev/null; then
  "$ROOT/edufed" demo >&2
  started=1
fi
cleanup() { [ -z "$started" ] || "$ROOT/edufed" stop >&2 || true; }
trap cleanup EXIT
pw() { grep "\"level\": \"$1\"" "$NODES" | sed 's/.*"admin_password": "\([^"]*\)".*/\1/'; }
S="http://127.0.0.1:18183"; SP="$(pw school)"
[ -d "$LOAD/node_modules/autocannon" ] || (cd "$LOAD" && npm install --no-audit --no-fund --loglevel=error >&2)
[ -f "$DERBY" ] || mvn -B -q -ntp dependency:get -Dartifact=org.apache.derby:derby:10.14.2.0 >&2
rm -rf "$WORK" && mkdir -p "$WORK"
# the exam year and the plans reach the school with the demo; wait until its exam API answers
for ((i = 0; i < 240; i++)); do
  curl -sf -o /dev/null -u "admin:$SP" "$S/api/v1/exam/plans?year=2027" && break
  sleep 0.5
done

# CPU time (user + system, clock ticks) each node's JVM has used so far
ticks() { local pid; pid="$(pgrep -f -- "-Dkaraf.home=$ROOT/target/demo/$1 " | head -1)"; awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz="$(getconf CLK_TCK)"

say "load: $CONNECTIONS connections for $DURATION s…"
# a fresh range of students per run, so that a demo that ran this before is not refused as duplicates
base=$(( $(date +%s) % 1000 * 1000000 ))
before=("$(ticks school)" "$(ticks county)" "$(ticks province)")
(cd "$LOAD" && node load.mjs "$S" "$SP" "$CONNECTIONS" "$DURATION" "$base" "$WORK/acked-1.txt" "$WORK/run-1.json")
after=("$(ticks school)" "$(ticks county)" "$(ticks province)")
printf '{"school":%s,"county":%s,"province":%s,"hz":%s}\n' "$(( after[0] - before[0] ))" "$(( after[1] - before[1] ))" \
  "$(( after[2] - before[2] ))" "$hz" > "$WORK/cpu-1.json"
say "  $(cat "$WORK/run-1.json")"
say "  CPU ticks used meanwhile: $(cat "$WORK/cpu-1.json") (the county and province relay the registrations up as they come)"

say "baseline: plain JDBC single-row durable inserts into embedded Derby, $CONNECTIONS threads for $DURATION s…"
java -cp "$DERBY" "$LOAD/Baseline.java" "$WORK/baseline-db" "$CONNECTIONS" "$DURATION" > "$WORK/baseline.txt"
say "  $(cat "$WORK/baseline.txt")"

say "kill -9: $CONNECTIONS connections for $KILL_DURATION s, the school killed after $KILL_AT s, then started again…"
(cd "$LOAD" && node load.mjs "$S" "$SP" "$CONNECTIONS" "$KILL_DURATION" "$(( base + 500000 ))" "$WORK/acked-2.txt" "$WORK/run-2.json") &
loader=$!
sleep "$KILL_AT"
pid="$(pgrep -f -- "-Dkaraf.home=$ROOT/target/demo/school " | head -1)"
[ -n "$pid" ] || die "no school node process"
kill -9 "$pid"
say "  killed the school (pid $pid)"
wait "$loader"
say "  $(cat "$WORK/run-2.json")"
(cd "$ROOT/target/demo/school" && bin/start >/dev/null 2>&1)
for ((i = 0; i < 480; i++)); do
  code="$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$SP" "$S/api/v1/exam/years" || true)"
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || die "the school's exam API did not come back after the restart"
say "  the school is back; counting what it holds…"
curl -sf -u "admin:$SP" "$S/api/v1/exam/registrations?year=2027&limit=100000" > "$WORK/held.json"

python3 - "$WORK" <<'PY'
import json, sys, collections
work = sys.argv[1]
run = json.load(open(f"{work}/run-1.json"))
baseline = float(open(f"{work}/baseline.txt").read().split()[1])
acked = set()
for f in ("acked-1.txt", "acked-2.txt"):
    acked.update(l.strip() for l in open(f"{work}/{f}") if l.strip())
held = collections.Counter(r["name"] for r in json.load(open(f"{work}/held.json")))
lost = sum(1 for n in acked if held[n] == 0)
doubled = sum(1 for n, c in held.items() if c > 1)
cpu = json.load(open(f"{work}/cpu-1.json"))
for level in ("school", "county", "province"):
    print(f"  CPU per acknowledged registration at the {level}: "
          f"{1000 * cpu[level] / cpu['hz'] / max(1, run['acked']):.2f} ms", file=sys.stderr)
print(json.dumps({"rps": round(run["rps"], 1), "p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"],
                  "baseline_rps": round(baseline, 1), "ratio": round(run["rps"] / baseline, 2),
                  "acknowledged": len(acked), "lost": lost, "doubled": doubled}))
PY
