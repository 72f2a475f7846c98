#!/usr/bin/env bash
# Section 2, the write path: recording attendance (POST /api/v1/sessions/{id}/attendance:
# mark, history and audit event, answered once durable) over the demo patients enrolled in
# one session, against a raw insert loop on the same SQLite settings with as many writers
# (examples/raw_inserts.rs) and against pgbench simple-update at the same client count.
# Budget: 3 minutes. Usage: bench/write.sh [seconds-per-case]
source "$(dirname "$0")/lib.sh"
secs=${1:-10}
need wrk wrk
command -v pgbench >/dev/null || { echo "pgbench (PostgreSQL client tools) is needed" >&2; exit 1; }
build raw_inserts
{
  echo "### 2. Write path: recording attendance (target >= 0.6 of the reference)"
  echo
  echo "| database | attendance req/s | p50 ms | p99 ms | reference | reference ops/s | ratio |"
  echo "|---|---:|---:|---:|---|---:|---:|"
} >"$work/table.md"
for backend in sqlite postgres; do
  if [ "$backend" = sqlite ]; then url="sqlite://$work/write.db"; else pg_fresh openiop_bench_write; url="postgres://postgres@127.0.0.1:5432/openiop_bench_write"; fi
  serve "$url" "$work/write.key"
  token=$(login bench Bench-Password-1)
  auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
  # A program with one track and 40 admitted patients, all enrolled in one session.
  site=$(curl -fsS -X POST "$base/api/v1/sites" "${auth[@]}" -d '{"name":"Bench","time_zone":"America/Chicago"}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
  track=$(curl -fsS -X POST "$base/api/v1/tracks" "${auth[@]}" -d "{\"site_id\":\"$site\",\"name\":\"Evening IOP\",\"level\":\"iop\",\"target_hours\":9,\"min_days\":3,\"age_group\":\"adult\"}" | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
  session=$(curl -fsS -X POST "$base/api/v1/sessions" "${auth[@]}" \
    -d "{\"track_id\":\"$track\",\"kind\":\"group_therapy\",\"title\":\"Bench group\",\"starts_at\":\"2026-11-23T18:00:00-06:00\",\"ends_at\":\"2026-11-23T21:00:00-06:00\",\"capacity\":100}" \
    | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
  ids=""
  for n in $(seq 40); do
    p=$(curl -fsS -X POST "$base/api/v1/patients" "${auth[@]}" -d "{\"given_name\":\"Bench\",\"family_name\":\"Writer $n\",\"birth_date\":\"1990-01-01\"}" | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
    curl -fsS -o /dev/null -X POST "$base/api/v1/patients/$p/episodes" "${auth[@]}" -d "{\"track_id\":\"$track\",\"admitted_on\":\"2026-11-02\"}"
    curl -fsS -o /dev/null -X POST "$base/api/v1/sessions/$session/enrollments" "${auth[@]}" -d "{\"patient_id\":\"$p\"}"
    ids="$ids\"$p\","
  done
  cat >"$work/attendance.lua" <<LUA
local ids = {${ids}}
local statuses = {"present", "late", "present", "absent_excused"}
local n = 0
request = function()
  n = n + 1
  local body = '{"patient_id":"' .. ids[(n % #ids) + 1] .. '","status":"' .. statuses[(n % #statuses) + 1] .. '"}'
  return wrk.format("POST", "/api/v1/sessions/$session/attendance",
    {["content-type"] = "application/json", ["authorization"] = "Bearer $token"}, body)
end
LUA
  read -r r p50 p99 <<<"$(load "$base/api/v1/sessions/$session/attendance" -s "$work/attendance.lua")"
  stop_server
  if [ "$backend" = sqlite ]; then
    ref=$("$examples/raw_inserts" "sqlite://$work/raw.db" 64 "$secs")
    name="raw insert loop, 64 writers, same settings"
  else
    pg_fresh openiop_bench_pgbench
    pgbench -q -i -s 10 "${pg[@]}" openiop_bench_pgbench >/dev/null 2>&1
    ref=$(pgbench "${pg[@]}" -c 64 -j 2 -T "$secs" -b simple-update openiop_bench_pgbench 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')
    name="pgbench simple-update, 64 clients"
    pg_drop openiop_bench_pgbench; pg_drop openiop_bench_write
  fi
  echo "| $backend | $r | $p50 | $p99 | $name | $ref | $(ratio "$r" "$ref") |" >>"$work/table.md"
done
cp "$work/table.md" "$results/write.md"
cat "$results/write.md"
