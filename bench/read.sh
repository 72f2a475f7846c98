#!/usr/bin/env bash
# Section 1, the read path: GET /api/v1/patients/{id} (authentication, access check, audited
# read answered once its audit event is durable) on 20,000 demo patients, against a bare axum
# handler serving the same bytes (examples/bare_read.rs). wrk, 2 threads, 64 connections.
# Budget: 5 minutes after the dataset exists (its first generation adds about 2).
# Usage: bench/read.sh [seconds-per-case]
source "$(dirname "$0")/lib.sh"
secs=${1:-10}
need wrk wrk
build bare_read
read -r sqlite_url postgres_url <<<"$(dataset p20000 20000 12)"
key="$data/p20000.key"
{
  echo "### 1. Read path: GET /api/v1/patients/{id}, 20,000 patients (target >= 0.3 of the bare handler, p99 <= 10 ms)"
  echo
  echo "| server | req/s | p50 ms | p99 ms | vs bare handler | resident MiB after |"
  echo "|---|---:|---:|---:|---:|---:|"
} >"$work/table.md"
bare_rps=""
for backend in sqlite postgres; do
  url=$sqlite_url; [ "$backend" = postgres ] && url=$postgres_url
  serve "$url" "$key"
  token=$(login bench Bench-Password-1)
  ids=$(curl -fsS "$base/api/v1/patients?limit=200" -H "authorization: Bearer $token" |
    python3 -c 'import sys,json;print(",".join(chr(34)+p["id"]+chr(34) for p in json.load(sys.stdin)["items"]))')
  first=$(cut -d, -f1 <<<"$ids" | tr -d '"')
  cat >"$work/read.lua" <<LUA
local ids = {$ids}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/patients/" .. ids[(n % #ids) + 1], {["authorization"] = "Bearer $token"})
end
LUA
  if [ -z "$bare_rps" ]; then
    # The reference serves the bytes OpenIOP answered for the first patient.
    curl -fsS "$base/api/v1/patients/$first" -H "authorization: Bearer $token" >"$work/body.json"
    bare_port=$(free_port)
    "$examples/bare_read" "127.0.0.1:$bare_port" "$work/body.json" & bare_pid=$!; pids+=("$bare_pid")
    until curl -fsS "http://127.0.0.1:$bare_port/api/v1/patients/$first" >/dev/null 2>&1; do sleep 0.02; done
    read -r bare_rps p50 p99 <<<"$(load "http://127.0.0.1:$bare_port/api/v1/patients/$first" -s "$work/read.lua")"
    echo "| bare axum handler, same bytes ($(wc -c <"$work/body.json") bytes) | $bare_rps | $p50 | $p99 | 1.00 | $(rss_mib "$bare_pid") |" >>"$work/table.md"
    kill "$bare_pid"
  fi
  read -r r p50 p99 <<<"$(load "$base/api/v1/patients/$first" -s "$work/read.lua")"
  echo "| OpenIOP on $backend | $r | $p50 | $p99 | $(ratio "$r" "$bare_rps") | $(rss_mib "$server_pid") |" >>"$work/table.md"
  stop_server
done
cp "$work/table.md" "$results/read.md"
cat "$results/read.md"
