#!/usr/bin/env bash
# Storage enforcement overhead: statements per second through a plugin's checked connection vs the raw
# connection, embedded Derby, same run (kernel/org.edufed.kernel.core/src/test/.../PluginStorageBench).
# Env: BENCH_READS (200000), BENCH_INSERTS (3000), BENCH_ROUNDS (5); MAVEN_ARGS for e.g. -Dmaven.repo.local=….
# Last line: JSON {"read_raw_per_s":…,"read_checked_per_s":…,"read_ratio":…,"insert_raw_per_s":…,…}.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mvn -B -q -ntp ${MAVEN_ARGS:-} -pl kernel/org.edufed.kernel.core test -Dtest=PluginStorageBench \
    -Dsurefire.failIfNoSpecifiedTests=false 2>/dev/null | grep -o '{"read_raw_per_s".*}' | tail -1
