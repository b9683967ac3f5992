# bench/lib/demo.sh — what the bench scripts that run against the demo federation (./edufed demo) share. Sourced
# by them after they set ROOT (the repository); defines functions and NODES, runs nothing.
# shellcheck shell=bash

NODES="$ROOT/target/demo/nodes.json"
demo_started=""

# ensure_demo: starts the demo unless its school answers its health; remembers whether it did (stop_demo)
ensure_demo() {
  if ! curl -sf -o /dev/null http://127.0.0.1:18183/api/v1/health 2>/dev/null; then
    "$ROOT/edufed" demo >&2
    demo_started=1
  fi
}

# stop_demo: stops the demo if ensure_demo started it (a demo that ran before the script is left running)
stop_demo() { [ -z "$demo_started" ] || "$ROOT/edufed" stop >&2 || true; }

# pw <level>: the demo admin's password at that level's node; url <level>: the node's base URL (from nodes.json,
# readable by this user only)
pw() { grep "\"level\": \"$1\"" "$NODES" | sed 's/.*"admin_password": "\([^"]*\)".*/\1/'; }
url() { grep "\"level\": \"$1\"" "$NODES" | sed 's/.*"url": "\([^"]*\)".*/\1/'; }

# pid_of <level>: the process id of that level's node JVM
pid_of() { pgrep -f -- "-Dkaraf.home=$ROOT/target/demo/$1 " | head -1; }

# auth_lua <file> <password>: a wrk script sending the admin's Basic header, in a file of this user's only (the
# caller removes it when done)
auth_lua() {
  (umask 077; printf 'wrk.headers["Authorization"] = "Basic %s"\n' "$(printf 'admin:%s' "$2" | base64 -w0)" > "$1")
}
