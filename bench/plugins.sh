#!/usr/bin/env bash
# bench/plugins.sh — plugin platform figures on the demo federation (province, county, school on loopback,
# embedded Derby), in one run:
#   * publish → running: a plugin generated from the SDK archetype, certified at the province (SM2) and listed
#     as mandatory, until the school (two levels down) reports it running — VERSIONS successive versions, each
#     an upgrade of the one before (so each install also replaces and removes a running version);
#   * install time at the school: what its audit trail records for each install (verification, unpack, Karaf
#     feature install, wait until bundles active, components satisfied, health checks pass);
#   * certification time at the province (the certify call, as the client sees it);
#   * signature verification (kernel/…/VerifierBench): the node's full check (CMS, chain, validity,
#     revocations, SM3 digest) beside a plain SM3withSM2 verification of the same archive.
# Starts the demo (./edufed demo) unless one is running, stops it at the end if it started it. The plugin stays
# installed in the demo (throw-away). Needs a build with the archetype installed (./edufed test or mvn install),
# Maven, curl, python3. Usage: bench/plugins.sh   Sizes: VERSIONS (5), BENCH_N (2000 verifications).
# Last line: JSON.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib/demo.sh
. "$ROOT/bench/lib/demo.sh"
VERSIONS="${VERSIONS:-5}"
WORK="$ROOT/target/bench-plugins"
ensure_demo
trap stop_demo EXIT
P="$(url province)"; PP="$(pw province)"; S="$(url school)"; SP="$(pw school)"
VERSION="$(sed -n "s:.*<parent>.*<version>\(.*\)</version></parent>.*:\1:p" "$ROOT/plugins/pom.xml" | head -1)"
rm -rf "$WORK" && mkdir -p "$WORK"
# a fresh id per run, so that a demo that ran this before starts from nothing
ID="cn.bench.p$(date +%s)"
echo "generating and building $VERSIONS versions of $ID…" >&2
for ((v = 1; v <= VERSIONS; v++)); do
  (cd "$WORK" && mvn -B -q -ntp archetype:generate -DarchetypeGroupId=org.edufed -DarchetypeArtifactId=org.edufed.sdk.archetype \
      -DarchetypeVersion="$VERSION" -DgroupId=cn.bench -DartifactId="$ID" -Dversion="1.0.$v" -Ddomain=bench \
      -DinteractiveMode=false >&2 && mv "$ID" "v$v" && cd "v$v" && mvn -B -q -ntp package >&2)
done
python3 - "$P" "$PP" "$S" "$SP" "$ID" "$WORK" "$VERSIONS" > "$WORK/figures.json" <<'PY'
import base64, glob, json, sys, time, urllib.request, statistics
P, PP, S, SP, ID, WORK, N = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7])
def call(base, pw, method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(base + path, data=body, method=method)
    req.add_header("Authorization", "Basic " + base64.b64encode(("admin:" + pw).encode()).decode())
    if body is not None:
        req.add_header("Content-Type", ctype)
    for _ in range(50):
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            if e.code in (404, 503):  # the API is rebuilt for a moment while a plugin comes or goes
                time.sleep(0.2); continue
            raise
    raise SystemExit("no answer from " + path)
propagate, certify = [], []
for v in range(1, N + 1):
    kar = open(glob.glob(f"{WORK}/v{v}/target/*-plugin.kar")[0], "rb").read()
    t0 = time.monotonic()
    cert = call(P, PP, "POST", "/api/v1/plugins/certify", kar, "application/octet-stream")
    certify.append((time.monotonic() - t0) * 1000)
    body = json.dumps({"archive": base64.b64encode(kar).decode(), "signature": cert["signature"], "mode": "locked"}).encode()
    t0 = time.monotonic()
    call(P, PP, "POST", "/api/v1/plugins/packages", body)
    while True:
        try:
            p = call(S, SP, "GET", "/api/v1/plugins/" + ID)
            if p["version"] == f"1.0.{v}" and p["state"] in ("running", "failed", "refused"):
                break
        except SystemExit:
            pass
        time.sleep(0.05)
    if p["state"] != "running":
        raise SystemExit(f"1.0.{v} at the school: {p['state']} {p.get('reason')}")
    propagate.append((time.monotonic() - t0) * 1000)
installs = []
for e in call(S, SP, "GET", "/api/v1/audit?action=plugin.install&limit=1000"):
    if e["target"].startswith(ID + "@") and e["result"] == "success":
        installs.append(float(e["detail"].split(" ms")[0].split(", ")[-1]))
print(json.dumps({
    "publish_to_running_ms": round(statistics.median(propagate)), "publish_to_running_max_ms": round(max(propagate)),
    "install_ms": round(statistics.median(installs)), "install_max_ms": round(max(installs)),
    "certify_ms": round(statistics.median(certify), 1), "versions": N,
    "archive_bytes": len(kar)}))
PY
echo "publish → running: $(cat "$WORK/figures.json")" >&2
KAR="$(ls "$WORK"/v1/target/*-plugin.kar)"
VERIFY="$(cd "$ROOT" && BENCH_ARCHIVE="$KAR" mvn -B -q -ntp -pl kernel/org.edufed.kernel.plugins test \
    -Dtest=VerifierBench -Dsurefire.failIfNoSpecifiedTests=false 2>/dev/null | grep -o '{"archive_bytes".*}' | tail -1)"
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); b.pop("archive_bytes"); a.update(b); print(json.dumps(a))' \
  "$(cat "$WORK/figures.json")" "$VERIFY"
