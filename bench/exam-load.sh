#!/usr/bin/env bash
# bench/exam-load.sh — exam registration (中考报名) under load at a school node, and nothing acknowledged lost when
# the node is killed with kill -9 in the middle of a run; side by side in the same run with the baseline.
#
#   Every load run: CONNECTIONS (32) concurrent clients (wrk with bench/exam-load/load.lua; autocannon with
#                 bench/exam-load/load.mjs where wrk is not installed, or LOAD_TOOL=autocannon) POST registrations
#                 to the demo school's /api/v1/exam/registrations, each a new student (valid GB 11643 ID number,
#                 Chinese name, preferences checked against the county's plans), stored with its ID number and
#                 phone SM4-encrypted, its blind index, and its upward record in one transaction; rps counts 201
#                 answers (acknowledged registrations) per second.
#   The school runs with EDUFED_JIT=c2 (both JIT compilers, as a school taking its students' registrations at its
#                 own node is set up; the default for a school is C1 only, see bin/setenv); EDUFED_JIT=c1 measures
#                 that instead (when this script starts the demo).
#   warm-up       WARMUP (150) s of that load first, not counted: a node on registration day has been running, and
#                 its JIT (C2) compiles the hot paths in its first minutes (the warm-up's own figures are printed).
#   steady        then the school alone (parents paused), 20-s runs until one's rate is within STEADY (10) % of the
#                 one before, at most 160 s: the JIT compiles what the warm-up left (on a slow day, much); printed.
#   rps, p50_ms, p99_ms   DURATION (60) s at the school node itself: the county and province nodes, which the demo
#                 runs on the same two cores (a school's parents run elsewhere), are paused (SIGSTOP) meanwhile, so
#                 the school takes its registrations with its link up the tree down, as it must on a weak link;
#                 then they are resumed and the time until every registration of the run has reached the province
#                 is printed (the relay: school -> county -> province, signed batches).
#   (also printed, not in the JSON: the same load with the whole federation running on these two cores, each
#                 node's CPU time per acknowledged registration, and the load tool's)
#   baseline_rps  single-row durable inserts of a row the same size into embedded Derby 10.14.2.0 (its default
#                 settings) through plain JDBC, from CONNECTIONS threads for DURATION seconds
#                 (bench/exam-load/Baseline.java), on the same disk right after, each rate after BASELINE_WARMUP (20) s
#                 of the same inserts in the same JVM, not counted (Derby's JIT: a cold JVM's first 20 s ran at 0.6-0.7
#                 of the rate of the next 60, and the node is measured warm); also printed, not in the JSON: the
#                 same with the Derby settings the school's storage gives its own database (its page cache,
#                 checkpoints every 64 MB of log in 16 MB files: StorageComponent.derbyTuning), and the node's rate
#                 as a share of that; ratio = rps / baseline_rps (goals: >= 1,000 registrations/s, p99 < 250 ms,
#                 ratio >= 0.25). Printed beside it, not in the JSON: the rate of transactions writing the two
#                 rows a registration writes at a school (registration, outbox row naming it) in plain JDBC
#                 (the school's Derby settings), and the node's rate as a share of it.
#   floor         (printed, not in the JSON) right after the node run, its parents still paused: the same clients
#                 asking the school for GET /api/v1/account (authenticated, answered from memory, no database) for
#                 FLOOR_DURATION (20) s after 5 s of the same not counted (its code paths are cold until then), and
#                 that rate as a share of baseline_rps: what HTTP, CXF's JAX-RS and the login check allow a request
#                 that writes nothing (registrations take the REST fast lane, ahead of JAX-RS).
#   acknowledged, lost, doubled   a run of KILL_DURATION (20) seconds, the whole federation running, during which
#                 the school's JVM is killed with kill -9 after KILL_AT (8) seconds, then started again: every
#                 registration answered 201 in the runs after the warm-up is looked for at the school (by its id, in the
#                 school's export of the year); lost = acknowledged and missing, doubled = an id or a student's
#                 (unique) name present more than once (goal: 0 and 0). Also printed: whether
#                 the province then holds exactly the school's registration records (nothing lost or doubled up
#                 the tree).
# Starts the demo (./edufed demo) unless one runs, and stops it at the end if it started it. The registrations stay
# in the demo (throw-away). Needs a build, Java, and wrk (Debian: apt-get install wrk) or Node.js and npm (installs
# autocannon into bench/exam-load). The load tool runs on the same two cores: wrk spends ~0.05 ms of CPU a request,
# autocannon ~0.12 ms (both printed per run), which the node does not get.
# Last line: {"rps":…,"p50_ms":…,"p99_ms":…,"baseline_rps":…,"ratio":…,"acknowledged":…,"lost":…,"doubled":…}
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib/demo.sh
. "$ROOT/bench/lib/demo.sh"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-60}"
KILL_DURATION="${KILL_DURATION:-20}"
KILL_AT="${KILL_AT:-8}"
WARMUP="${WARMUP:-150}"
FLOOR_DURATION="${FLOOR_DURATION:-20}"
BASELINE_WARMUP="${BASELINE_WARMUP:-20}"
STEADY="${STEADY:-10}"
STEADY_RUN=20 # s
STEADY_MAX=160 # s: eight runs at most
WORK="$ROOT/target/bench-exam"
LOAD="$ROOT/bench/exam-load"
DERBY="$HOME/.m2/repository/org/apache/derby/derby/10.14.2.0/derby-10.14.2.0.jar"
say() { printf '%s\n' "$*" >&2; }
die() { say "exam-load.sh: $*"; exit 1; }

# the school as set up for a registration day at its own node: both JIT compilers (bin/setenv)
export EDUFED_JIT="${EDUFED_JIT:-c2}"
ensure_demo
trap stop_demo EXIT
S="$(url school)"; SP="$(pw school)"
LOAD_TOOL="${LOAD_TOOL:-$(command -v wrk >/dev/null && echo wrk || echo autocannon)}"
if [ "$LOAD_TOOL" = autocannon ]; then
  [ -d "$LOAD/node_modules/autocannon" ] || (cd "$LOAD" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
# drive <seconds> <first index> <acked file> <result file>: one run of the load tool (the ids it got 201 for in the
# acked file, one a line; its figures as JSON in the result file)
drive() {
  if [ "$LOAD_TOOL" = wrk ]; then
    rm -f "$3".* "$4".refused.*
    wrk -t2 -c"$CONNECTIONS" -d"$1"s --timeout 10s -s "$LOAD/load.lua" "$S/api/v1/exam/registrations" \
      -- "$SP" "$2" "$3" "$4" 2 > /dev/null
    cat "$3".* > "$3"
  else
    (cd "$LOAD" && node load.mjs "$S" "$SP" "$CONNECTIONS" "$1" "$2" "$3" "$4")
  fi
}
[ -f "$DERBY" ] || mvn -B -q -ntp dependency:get -Dartifact=org.apache.derby:derby:10.14.2.0 >&2
rm -rf "$WORK" && mkdir -p "$WORK"
# the exam year and the plans reach the school with the demo; wait until its exam API answers
for ((i = 0; i < 240; i++)); do
  curl -sf -o /dev/null -u "admin:$SP" "$S/api/v1/exam/plans?year=2027" && break
  sleep 0.5
done

# CPU time (user + system, clock ticks) each node's JVM has used so far
if tr '\0' ' ' < "/proc/$(pid_of school)/cmdline" | grep -q -- "-XX:TieredStopAtLevel=1"; then
  say "the school runs C1 only (a demo started without EDUFED_JIT=c2)"
else
  say "the school runs C1 and C2 (EDUFED_JIT=c2)"
fi
ticks() { awk '{print $14 + $15}' "/proc/$(pid_of "$1")/stat"; }
hz="$(getconf CLK_TCK)"
CP="$(pw county)"; PP="$(pw province)"
# the registration records a node holds (its own and its subtree's), from its sync status
records() { curl -sf -u "admin:$2" "$1/api/v1/federation/status" | python3 -c '
import json, sys
print(next((t["records"] for t in json.load(sys.stdin)["topics"] if t["name"] == "exam.registrations"), 0))'; }
pending() { curl -sf -u "admin:$2" "$1/api/v1/federation/status" | python3 -c '
import json, sys; print(json.load(sys.stdin)["outbox"]["pending"])'; }
# waits until the province holds every registration record the school holds; prints the seconds it took
caught_up() {
  local t0 want i; t0=$(date +%s.%N); want="$(records "$S" "$SP")"
  for ((i = 0; i < 1200; i++)); do
    [ "$(records http://127.0.0.1:18181 "$PP")" -ge "$want" ] && break
    sleep 0.5
  done
  python3 -c "import time; print(round(time.time() - $t0, 1))"
}
# the students of a run: each run takes the indexes after the last one's (the first index no run used is kept in
# target/bench-exam.next, so that a demo that ran this before does not refuse them as duplicates). This script
# takes ~3,000,000 at 7,000 registrations/s, and ~1,000,000 more the kill run's client spends on refused connections
# while the school is down; the 21,900,000 ID numbers come round again after three runs on one demo (a demo is
# started afresh unless one runs)
next_file="$ROOT/target/bench-exam.next"
next="$(cat "$next_file" 2>/dev/null || echo 0)"
[ "$next" -le 14900000 ] || next=0
took() { # took <result file>: the next run starts after the indexes this one used
  next="$(python3 -c "import json; print(json.load(open('$1'))['next'])")"
  echo "$next" > "$next_file"
}
# one load run: load <name> <seconds>; writes $WORK/<name>.json (and acked-<name>.txt, cpu-<name>.json)
load() {
  local name="$1" seconds="$2" before after lb la
  before=("$(ticks school)" "$(ticks county)" "$(ticks province)")
  lb="$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)"
  drive "$seconds" "$next" "$WORK/acked-$name.txt" "$WORK/$name.json"
  took "$WORK/$name.json"
  after=("$(ticks school)" "$(ticks county)" "$(ticks province)")
  la="$(awk '{print $14 + $15 + $16 + $17}' /proc/$$/stat)"
  printf '{"school":%s,"county":%s,"province":%s,"load":%s,"hz":%s}\n' "$(( after[0] - before[0] ))" \
    "$(( after[1] - before[1] ))" "$(( after[2] - before[2] ))" "$(( la - lb ))" "$hz" > "$WORK/cpu-$name.json"
  python3 - "$WORK/$name.json" "$WORK/cpu-$name.json" >&2 <<'PY'
import json, sys
r, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
per = lambda k: f"{1000 * c[k] / c['hz'] / max(1, r['acked']):.2f}"
print(f"  {r['rps']:.1f} registrations/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms ({r['acked']} acknowledged, "
      f"{r['non2xx']} refused, {r['errors']} errors); CPU ms per registration: school {per('school')}, "
      f"county {per('county')}, province {per('province')}, load tool {per('load')}")
if r["non2xx"]:
    import glob
    first = [l.strip() for f in sorted(glob.glob(sys.argv[1] + ".refused.*")) for l in open(f, encoding="utf-8")]
    print("  the first answers other than 201: " + " | ".join(first[:3])[:600])
PY
}

# floor: requests/s of GET /api/v1/account at the school from CONNECTIONS clients for FLOOR_DURATION seconds (the
# password in a file of this user's only, removed after)
floor() {
  local auth code
  auth="Basic $(printf 'admin:%s' "$SP" | base64 -w0)"
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $auth" "$S/api/v1/account")"
  [ "$code" = 200 ] || die "GET /api/v1/account answered $code, not 200"
  if [ "$LOAD_TOOL" = wrk ]; then
    auth_lua "$WORK/floor.lua" "$SP"
    wrk -t2 -c"$CONNECTIONS" -d5s -s "$WORK/floor.lua" "$S/api/v1/account" > /dev/null
    wrk -t2 -c"$CONNECTIONS" -d"$FLOOR_DURATION"s -s "$WORK/floor.lua" "$S/api/v1/account" > "$WORK/floor.txt"
    rm -f "$WORK/floor.lua"
    ! grep -q 'Non-2xx' "$WORK/floor.txt" || die "the floor run got answers other than 200: $(cat "$WORK/floor.txt")"
    awk '/Requests\/sec/ {print $2}' "$WORK/floor.txt"
  else
    "$LOAD/node_modules/.bin/autocannon" -j -c "$CONNECTIONS" -d 5 -H "Authorization=$auth" "$S/api/v1/account" \
      > /dev/null 2>&1
    "$LOAD/node_modules/.bin/autocannon" -j -c "$CONNECTIONS" -d "$FLOOR_DURATION" -H "Authorization=$auth" \
      "$S/api/v1/account" 2> /dev/null | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r["non2xx"]: sys.exit("the floor run got answers other than 200")
print(round(r["requests"]["total"] / r["duration"], 1))'
  fi
}

parents=("$(pid_of county)" "$(pid_of province)")
resume() { kill -CONT "${parents[@]}" 2>/dev/null || true; }
trap 'resume; stop_demo' EXIT

say "warm-up: $CONNECTIONS connections for $WARMUP s, the whole federation running (not counted)…"
load warmup "$WARMUP"
say "  the province has all of them $(caught_up) s later"

# the school's JIT (C2) compiles its hot paths while it takes registrations, with what CPU the other two nodes leave
# it: on a slow day the warm-up's 150 s did not finish it (the school's rate rose ~40 % over the next two minutes).
# So, its parents paused, STEADY_RUN-s runs until one is within STEADY % of the one before (at most STEADY_MAX s);
# not counted, each printed.
say "steadying: the school alone, $CONNECTIONS connections, $STEADY_RUN-s runs until its rate holds within $STEADY % (not counted)…"
kill -STOP "${parents[@]}"
prev=0 spent=0 i=0
while :; do
  load "steady$i" "$STEADY_RUN"
  rate="$(python3 -c "import json; print(json.load(open('$WORK/steady$i.json'))['rps'])")"
  spent=$(( spent + STEADY_RUN ))
  python3 -c "import sys; sys.exit(0 if $prev > 0 and abs($rate - $prev) <= $STEADY / 100 * $prev else 1)" && break
  if [ "$spent" -ge "$STEADY_MAX" ]; then say "  not steady after $spent s: measuring anyway"; break; fi
  prev="$rate" i=$(( i + 1 ))
done
resume
say "  steady after $spent s at $rate registrations/s; the province has all of them $(caught_up) s later"

say "the school node: $CONNECTIONS connections for $DURATION s, its county and province paused…"
kill -STOP "${parents[@]}"
load node "$DURATION"
say "beside that rate, the floor: the same connections asking the school for the caller's own account for $FLOOR_DURATION s"
say "  (GET /api/v1/account: authenticated, answered from memory, no database; what Jetty, CXF and the login check allow)…"
floor_rps="$(floor)"
say "  $floor_rps requests/s"
resume
say "  parents resumed: the province has every registration of the run $(caught_up) s later"

say "the whole federation on these two cores: $CONNECTIONS connections for $DURATION s…"
load federation "$DURATION"
say "  the province has all of them $(caught_up) s later"

share_of() { python3 -c "print(round(float('$1') / float('$2'), 2))"; }
share() { python3 -c "
import json; r = json.load(open('$WORK/node.json'))['rps']; print(round(r / float('$1'), 2))"; }
say "baseline: plain JDBC single-row durable inserts into embedded Derby (its defaults), $CONNECTIONS threads for $DURATION s…"
java -cp "$DERBY" "$LOAD/Baseline.java" "$WORK/baseline-db" "$CONNECTIONS" "$DURATION" "$BASELINE_WARMUP" single \
  > "$WORK/baseline.txt"
say "  $(head -1 "$WORK/baseline.txt")"
say "  the floor ($floor_rps requests/s) is $(share_of "$floor_rps" "$(head -1 "$WORK/baseline.txt" | awk '{print $2}')") of it: a request through JAX-RS that writes nothing (registrations take the fast lane ahead of it)"
# the settings the school's storage gave its Derby (StorageComponent.derbyTuning), as its JVM has them
derby_props="$(jcmd "$(pid_of school)" VM.system_properties 2>/dev/null | grep '^derby\.storage\.' | sed 's/^/-D/' | tr '\n' ' ')"
say "  the same with the school's Derby settings (${derby_props:-none found}), then what a registration writes at the"
say "  school (2 rows, one durable transaction) in plain JDBC, $CONNECTIONS threads for $DURATION s each…"
# shellcheck disable=SC2086 # one -D argument a property
java $derby_props -cp "$DERBY" "$LOAD/Baseline.java" "$WORK/baseline-tuned-db" "$CONNECTIONS" "$DURATION" \
  "$BASELINE_WARMUP" > "$WORK/baseline-tuned.txt"
tuned="$(sed -n 1p "$WORK/baseline-tuned.txt" | awk '{print $2}')"
tx="$(sed -n 2p "$WORK/baseline-tuned.txt" | awk '{print $2}')"
say "  baseline_rps with the school's settings $tuned — the node's rate is $(share "$tuned") of it"
say "  baseline_tx_rps $tx transactions/s — the node's rate is $(share "$tx") of it"

say "kill -9: $CONNECTIONS connections for $KILL_DURATION s, the school killed after $KILL_AT s, then started again…"
drive "$KILL_DURATION" "$next" "$WORK/acked-kill.txt" "$WORK/kill.json" &
loader=$!
sleep "$KILL_AT"
pid="$(pid_of school)"
[ -n "$pid" ] || die "no school node process"
kill -9 "$pid"
say "  killed the school (pid $pid)"
wait "$loader"
took "$WORK/kill.json"
say "  $(cat "$WORK/kill.json")"
t0=$(date +%s.%N)
(cd "$ROOT/target/demo/school" && bin/start >/dev/null 2>&1)
for ((i = 0; i < 480; i++)); do
  code="$(curl -s -o /dev/null -w '%{http_code}' -u "admin:$SP" "$S/api/v1/exam/years" || true)"
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || die "the school's exam API did not come back after the restart"
say "  the school is back, its exam API answering $(python3 -c "import time; print(round(time.time() - $t0, 1))") s after its start (Derby's recovery included); counting what it holds…"
# the school's whole year, through its export (streamed; the list API gives at most 100,000)
curl -sf -u "admin:$SP" "$S/api/v1/exam/export/registrations?year=2027" > "$WORK/held.csv"
say "  the province holds $(records http://127.0.0.1:18181 "$PP") registration records after $(caught_up) s; the school $(records "$S" "$SP")"

python3 - "$WORK" <<'PY'
import csv, json, sys, collections
work = sys.argv[1]
run = json.load(open(f"{work}/node.json"))
baseline = float(open(f"{work}/baseline.txt").read().split()[1])
acked = set()
for f in ("node", "federation", "kill"):  # the ids answered 201
    acked.update(l.strip() for l in open(f"{work}/acked-{f}.txt") if l.strip())
rows = list(csv.reader(open(f"{work}/held.csv", encoding="utf-8-sig")))[1:]
held = collections.Counter(r[1].split(":", 1)[1] for r in rows)  # global id: school code, registration id
names = collections.Counter(r[2] for r in rows if r[2].startswith("考生"))  # each request had a name of its own
lost = sum(1 for i in acked if held[i] == 0)
doubled = sum(1 for c in held.values() if c > 1) + sum(1 for c in names.values() if c > 1)
print(json.dumps({"rps": round(run["rps"], 1), "p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"],
                  "baseline_rps": round(baseline, 1), "ratio": round(run["rps"] / baseline, 2),
                  "acknowledged": len(acked), "lost": lost, "doubled": doubled}))
PY
