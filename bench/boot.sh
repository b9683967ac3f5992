#!/usr/bin/env bash
# bench/boot.sh — boot time and idle memory of the three EduFed distributions, side by side with a stock
# Apache Karaf 4.4.10 minimal started the same way (bin/start, default settings of each distribution).
#
#   ready_s   from bin/start until ready: EduFed = GET /api/v1/health answers 200 (storage up, every bundle
#             active); stock Karaf (no HTTP) = its SSH port accepts connections, the last thing it starts.
#             EduFed's SSH-ready time is shown too, measured the same way as stock's.
#   rss_mb    resident memory of the JVM 10 s after it is ready (idle)
# Median of RUNS runs (default 5), each on a fresh copy. Last line: one line of JSON.
# Usage: bench/boot.sh [runs]      Needs: a build (./edufed build) and curl.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-5}"
VERSION="0.1.0-SNAPSHOT"
WORK="$ROOT/target/bench-boot"
HTTP_PORT=18281
SSH_PORT=18201
IDLE_S=10

for l in school county province; do
  [ -f "$ROOT/distributions/$l/target/edufed-$l-$VERSION.tar.gz" ] || { echo "build first: ./edufed build" >&2; exit 1; }
done
STOCK_TGZ="$ROOT/bench/stock-minimal/target/stock-karaf-minimal-4.4.10.tar.gz"
if [ ! -f "$STOCK_TGZ" ]; then
  echo "Assembling stock Karaf 4.4.10 minimal (once)…" >&2
  (cd "$ROOT/bench/stock-minimal" && mvn -B -q -ntp package)
fi

now() { date +%s.%N; }
set_prop() { sed -i -E "s|^[[:space:]]*$2[[:space:]]*=.*|$2 = $3|" "$1"; grep -qE "^$2 = " "$1" || echo "$2 = $3" >> "$1"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# one run: prints "ready_s ssh_ready_s rss_mb"
run_once() { # kind tgz
  local kind="$1" tgz="$2" d="$WORK/$1"
  rm -rf "$d"; mkdir -p "$d"
  tar xzf "$tgz" --strip-components=1 -C "$d"
  set_prop "$d/etc/org.apache.karaf.shell.cfg" sshPort "$SSH_PORT"
  set_prop "$d/etc/org.apache.karaf.shell.cfg" sshHost 127.0.0.1
  if [ "$kind" != stock ]; then
    set_prop "$d/etc/org.ops4j.pax.web.cfg" org.osgi.service.http.port "$HTTP_PORT"
    case "$kind" in
      province) printf 'level = province\ncode = 510000\nname = 基准测试\n' ;;
      county) printf 'level = county\ncode = 510104\nname = 基准测试\n' ;;
      school) printf 'level = school\ncode = 2151010001\nname = 基准测试\n' ;;
    esac > "$d/etc/org.edufed.node.cfg"
  fi
  local t0 t_ssh="" t_ready="" pid="" i
  t0=$(now)
  (cd "$d" && bin/start >/dev/null 2>&1)
  for ((i = 0; i < 1200; i++)); do
    [ -n "$t_ssh" ] || { port_open "$SSH_PORT" && t_ssh=$(now); } || true
    if [ "$kind" = stock ]; then
      [ -n "$t_ssh" ] && t_ready="$t_ssh"
    elif curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/v1/health"; then
      t_ready=$(now)
    fi
    if [ -n "$t_ready" ] && [ -n "$t_ssh" ]; then break; fi
    sleep 0.05
  done
  [ -n "$t_ready" ] || { echo "$kind did not become ready" >&2; tail -5 "$d/data/log/karaf.log" >&2; exit 1; }
  sleep "$IDLE_S"
  pid=$(pgrep -f -- "-Dkaraf.home=$d " | head -1)
  local rss_kb; rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  (cd "$d" && bin/stop >/dev/null 2>&1) || true
  for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  awk -v r="$t_ready" -v s="$t_ssh" -v z="$t0" -v m="$rss_kb" 'BEGIN { printf "%.3f %.3f %d\n", r - z, s - z, m / 1024 }'
}

declare -A READY SSH RSS
for kind in stock school county province; do
  tgz="$STOCK_TGZ"; [ "$kind" = stock ] || tgz="$ROOT/distributions/$kind/target/edufed-$kind-$VERSION.tar.gz"
  r=(); s=(); m=()
  for ((n = 1; n <= RUNS; n++)); do
    read -r a b c < <(run_once "$kind" "$tgz")
    r+=("$a"); s+=("$b"); m+=("$c")
    printf '  %-9s run %d: ready %6.2f s  ssh %6.2f s  rss %4d MB\n' "$kind" "$n" "$a" "$b" "$c" >&2
  done
  READY[$kind]=$(printf '%s\n' "${r[@]}" | median)
  SSH[$kind]=$(printf '%s\n' "${s[@]}" | median)
  RSS[$kind]=$(printf '%s\n' "${m[@]}" | median)
done
rm -rf "$WORK"

printf '\n%-10s %10s %10s %8s\n' distro ready_s ssh_s rss_mb
for kind in stock school county province; do
  printf '%-10s %10.2f %10.2f %8d\n' "$kind" "${READY[$kind]}" "${SSH[$kind]}" "${RSS[$kind]}"
done
ratio=$(awk -v a="${READY[school]}" -v b="${READY[stock]}" 'BEGIN { printf "%.3f", a / b }')
printf '\nschool ready / stock ready = %s (goal <= 1.5); school RSS %s MB (goal <= 320); province RSS %s MB (goal <= 640)\n' \
  "$ratio" "${RSS[school]}" "${RSS[province]}"
printf '{"stock_ready_s":%.2f,"school_ready_s":%.2f,"school_ready_ratio":%.2f,"school_rss_mb":%d,"county_rss_mb":%d,"province_rss_mb":%d}\n' \
  "${READY[stock]}" "${READY[school]}" "$ratio" "${RSS[school]}" "${RSS[county]}" "${RSS[province]}"
