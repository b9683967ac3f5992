#!/usr/bin/env bash
# bench/sync.sh — how fast records travel between two real EduFed nodes, side by side with a baseline in the
# same run, and how one province serves its feed to many children at once.
#
#   down_rps      N settings posted in bulk at a province (POST /api/v1/settings/batch, 1,000 per call, one call
#                 at a time) over the time from the first call until the county enrolled under it has applied
#                 them all (its feed watermark reaches the province's feed head read after the last call)
#   up_rps        N reports posted the same way at the county (POST /api/v1/reports/batch) over the time until
#                 the province holds them all (GET /api/v1/federation/status: topic reports, records)
#   baseline_rps  the same bodies posted the same way to a JDK HTTP server that inserts each one with a JDBC
#                 batch in one transaction into embedded Derby 10.14.2.0 (durable defaults): the better of its
#                 settings and reports rates, so the ratios below are the stricter ones
#   down_ratio, up_ratio   down_rps and up_rps over baseline_rps (goals: >= 0.5, and >= 5,000 records/s)
#   fanout_s      FANOUT_NODES simulated counties (own SM2 keys, signed pulls, signed answers verified) enrolled
#                 at the province and polling it every second; 1,000 settings published: seconds until every
#                 one has pulled them (goal <= 60), with the province's CPU time and peak RSS meanwhile
#   retried_calls bulk calls answered with a server error (one transaction each: nothing written) and sent again
# The fan-out runs first, on a short feed: a new child pulls the feed from its start, and 1,000 children
# catching up on the 10^5 items of the downward run would be another benchmark. Everything runs in
# target/bench-sync; after a successful run only the nodes' logs stay there (target/bench-sync/logs).
# Usage: bench/sync.sh      Sizes from the environment: N (100000), FANOUT_NODES (1000), FANOUT_CONCURRENCY (64).
# Needs: a build (./edufed build), Maven (builds bench/sync-client), curl. Last line: one line of JSON.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-100000}"
FANOUT_NODES="${FANOUT_NODES:-1000}"
FANOUT_CONCURRENCY="${FANOUT_CONCURRENCY:-64}"
VERSION="0.1.0-SNAPSHOT"
WORK="$ROOT/target/bench-sync"
CLIENT="$ROOT/bench/sync-client"
BASELINE_PORT=18490
declare -A HTTP_PORT=([province]=18481 [county]=18482) SSH_PORT=([province]=18401 [county]=18402)
declare -A CODE=([province]=510000 [county]=510104)

for l in province county; do
  [ -f "$ROOT/distributions/$l/target/edufed-$l-$VERSION.tar.gz" ] || { echo "build first: ./edufed build" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

say() { printf '%s\n' "$*" >&2; }
die() { say "sync.sh: $*"; exit 1; }
now() { date +%s.%N; }
set_prop() { sed -i -E "s|^[[:space:]]*$2[[:space:]]*=.*|$2 = $3|" "$1"; grep -qE "^$2 = " "$1" || echo "$2 = $3" >> "$1"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
node_pid() { pgrep -f -- "-Dkaraf.home=$WORK/$1 " | head -1 || true; }
url() { echo "http://127.0.0.1:${HTTP_PORT[$1]}"; }

# --- processes: everything started here is ended on exit ------------------------------------------
BASELINE_PID="" JAVA_PID=""
stop_node() { # level
  local pid i; pid="$(node_pid "$1")"
  [ -n "$pid" ] || return 0
  (cd "$WORK/$1" && bin/stop >/dev/null 2>&1) || true
  for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  [ -z "$JAVA_PID" ] || kill "$JAVA_PID" 2>/dev/null || true
  [ -z "$BASELINE_PID" ] || kill "$BASELINE_PID" 2>/dev/null || true
  stop_node county
  stop_node province
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# runs a main class of bench/sync-client in the background (so that a signal reaches the trap) and waits for it
java_main() { # class args…
  local class="$1"; shift
  java -cp "$CP" "org.edufed.bench.sync.$class" "$@" &
  JAVA_PID=$!
  wait "$JAVA_PID"
  JAVA_PID=""
}

declare -A R # results: name -> value, from the "name value" lines the Java mains print
read_results() { local k v; while read -r k v; do R[$k]="$v"; done < "$1"; }

# --- nodes ----------------------------------------------------------------------------------------
configure_node() { # level
  local l="$1" d="$WORK/$1"
  mkdir -p "$d"
  tar xzf "$ROOT/distributions/$l/target/edufed-$l-$VERSION.tar.gz" --strip-components=1 -C "$d"
  set_prop "$d/etc/org.ops4j.pax.web.cfg" org.osgi.service.http.port "${HTTP_PORT[$l]}"
  set_prop "$d/etc/org.apache.karaf.shell.cfg" sshPort "${SSH_PORT[$l]}"
  set_prop "$d/etc/org.apache.karaf.shell.cfg" sshHost 127.0.0.1
  printf 'pull.interval.ms = 500\npush.interval.ms = 500\nheartbeat.interval.ms = 3000\n' > "$d/etc/org.edufed.exchange.cfg"
  case "$l" in
    province) printf 'level = province\ncode = %s\nname = 基准测试省\n' "${CODE[province]}" ;;
    county) printf 'level = county\ncode = %s\nname = 基准测试县\nparent.url = %s\nparent.code = %s\n' \
      "${CODE[county]}" "$(url province)" "${CODE[province]}" ;;
  esac > "$d/etc/org.edufed.node.cfg"
}

wait_ready() { # level
  local i
  for ((i = 0; i < 720; i++)); do
    curl -sf -o /dev/null "$(url "$1")/api/v1/health" && return 0
    if [ "$i" -gt 40 ] && [ -z "$(node_pid "$1")" ]; then
      tail -n 5 "$WORK/$1/data/log/karaf.log" >&2 || true
      die "the $1 node stopped while starting"
    fi
    sleep 0.25
  done
  die "the $1 node is not ready after 180 s (see $WORK/$1/data/log/karaf.log)"
}

declare -A PASSWORD
# replaces the one-time admin password from the node's log with one of ours, through the API, as the demo does
set_password() { # level
  local onetime pw
  onetime="$(grep -o 'one-time admin password / [^:]*: admin / [A-Za-z0-9]*' "$WORK/$1/data/log/karaf.log" \
    | head -1 | awk '{print $NF}' || true)"
  [ -n "$onetime" ] || die "no one-time admin password in $WORK/$1/data/log/karaf.log"
  pw="Bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  curl -sf -o /dev/null -u "admin:$onetime" -H 'Content-Type: application/json' \
    -d "{\"current\":\"$onetime\",\"replacement\":\"$pw\"}" "$(url "$1")/api/v1/account/password" \
    || die "could not set the admin password of the $1 node"
  PASSWORD[$1]="$pw"
}

api() { # level method path json
  curl -sf -u "admin:${PASSWORD[$1]}" -X "$2" -H 'Content-Type: application/json' -d "$4" "$(url "$1")/api/v1$3"
}

# ---------------------------------------------------------------------------------------------------
T0=$(now)
say "Building bench/sync-client…"
mvn -B -q -ntp -f "$CLIENT/pom.xml" package >&2 # (Maven writes colour codes even with -B)
CP="$CLIENT/target/sync-client.jar:$(cat "$CLIENT/target/classpath.txt")"
rm -rf "$WORK"
mkdir -p "$WORK/baseline"

say "Baseline: $N settings, then $N reports, into Derby over HTTP (nothing else running)…"
java -cp "$CP" org.edufed.bench.sync.BaselineServer "$BASELINE_PORT" "$WORK/baseline" 2> "$WORK/baseline/server.log" &
BASELINE_PID=$!
for ((i = 0; i < 200; i++)); do port_open "$BASELINE_PORT" && break; sleep 0.1; done
java_main BaselineClient "http://127.0.0.1:$BASELINE_PORT" "$N" > "$WORK/baseline.out"
kill "$BASELINE_PID"; wait "$BASELINE_PID" 2>/dev/null || true
BASELINE_PID=""
rm -rf "$WORK/baseline/baseline" # its database
read_results "$WORK/baseline.out"

say "Starting a province (${CODE[province]}) and a county (${CODE[county]}) on ports ${HTTP_PORT[province]} and ${HTTP_PORT[county]}…"
for l in province county; do configure_node "$l"; (cd "$WORK/$l" && bin/start >/dev/null 2>&1); done
for l in province county; do wait_ready "$l"; set_password "$l"; done
export EDUFED_PROVINCE_PASSWORD="${PASSWORD[province]}" EDUFED_COUNTY_PASSWORD="${PASSWORD[county]}"

say "Fan-out: $FANOUT_NODES simulated children of the province, at most $FANOUT_CONCURRENCY requests at a time…"
java_main FanOut "$(url province)" "$FANOUT_NODES" "$FANOUT_CONCURRENCY" "$(node_pid province)" "$(getconf CLK_TCK)" \
  > "$WORK/fanout.out"
read_results "$WORK/fanout.out"

say "Enrolling the county under the province…"
token="$(api province POST /federation/tokens '{}' | sed 's/.*"token":"\([^"]*\)".*/\1/')" || die "no enrollment token"
api county POST /federation/enroll "{\"parentUrl\":\"$(url province)\",\"token\":\"$token\"}" >/dev/null \
  || die "could not enroll the county"

say "Down and up: $N records each way between the two nodes…"
java_main NodeDriver "$(url province)" "$(url county)" "$N" > "$WORK/nodes.out"
read_results "$WORK/nodes.out"

for l in province county; do
  log="$WORK/$l/data/log/karaf.log"
  say "  $l log: $(grep -c '| ERROR ' "$log" || true) errors, $(grep -c '| WARN ' "$log" || true) warnings"
done
stop_node county
stop_node province
# keep the nodes' logs, drop the rest (after a failure everything stays, for a look)
for l in province county; do mkdir -p "$WORK/logs"; mv "$WORK/$l/data/log" "$WORK/logs/$l"; rm -rf "${WORK:?}/$l"; done

BASELINE_RPS=$(awk -v a="${R[baseline_down_rps]}" -v b="${R[baseline_up_rps]}" 'BEGIN { printf "%.2f", (a > b ? a : b) }')
DOWN_RATIO=$(awk -v a="${R[down_rps]}" -v b="$BASELINE_RPS" 'BEGIN { printf "%.2f", a / b }')
UP_RATIO=$(awk -v a="${R[up_rps]}" -v b="$BASELINE_RPS" 'BEGIN { printf "%.2f", a / b }')
{
  printf '\n'
  printf 'down      %9.0f records/s  %d settings from the province until applied at the county (%.2f s)\n' \
    "${R[down_rps]}" "$N" "${R[down_s]}"
  printf 'up        %9.0f records/s  %d reports from the county until held at the province (%.2f s)\n' \
    "${R[up_rps]}" "$N" "${R[up_s]}"
  printf 'baseline  %9.0f records/s  the same bodies into Derby over HTTP: the better of settings %.0f and reports %.0f\n' \
    "$BASELINE_RPS" "${R[baseline_down_rps]}" "${R[baseline_up_rps]}"
  printf 'ratios    down %s, up %s of the baseline (goals: >= 0.5, and >= 5000 records/s)\n' "$DOWN_RATIO" "$UP_RATIO"
  [ "${R[retried_calls]}" = 0 ] || printf 'errors    %d bulk calls answered 500 and were sent again (see above and the nodes\47 logs)\n' "${R[retried_calls]}"
  printf 'fan-out   %9.2f s          until all %d children had the 1,000 published settings (goal <= 60 s)\n' \
    "${R[fanout_s]}" "$FANOUT_NODES"
  printf '          province meanwhile: CPU %.1f s = %.0f %% of %d cores, peak RSS %.0f MB; while they only poll: %.0f %%\n' \
    "${R[fanout_cpu_s]}" "${R[fanout_cpu_pct]}" "$(nproc)" "${R[fanout_rss_mb]}" "${R[fanout_idle_cpu_pct]}"
  awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "took %.0f s; the nodes\47 logs are in target/bench-sync/logs until the next run\n", b - a }'
} >&2
printf '{"down_rps":%.2f,"up_rps":%.2f,"baseline_rps":%.2f,"down_ratio":%.2f,"up_ratio":%.2f,"fanout_nodes":%d,"fanout_s":%.2f,"fanout_cpu_s":%.2f,"fanout_cpu_pct":%.1f,"fanout_rss_mb":%d,"fanout_idle_cpu_pct":%.1f,"baseline_down_rps":%.2f,"baseline_up_rps":%.2f,"n":%d,"retried_calls":%d}\n' \
  "${R[down_rps]}" "${R[up_rps]}" "$BASELINE_RPS" "$DOWN_RATIO" "$UP_RATIO" "$FANOUT_NODES" "${R[fanout_s]}" \
  "${R[fanout_cpu_s]}" "${R[fanout_cpu_pct]}" "${R[fanout_rss_mb]}" "${R[fanout_idle_cpu_pct]}" \
  "${R[baseline_down_rps]}" "${R[baseline_up_rps]}" "$N" "${R[retried_calls]}"
