#!/usr/bin/env bash
# Section 3, a real peer: GNU Health 5.0 (PyPI `gnuhealth` on Tryton 7.0, served by gunicorn,
# the production-style WSGI server; its own PostgreSQL database on the same server) and
# OpenIOP on PostgreSQL, doing the same four operations with the same client (wrk, 2 threads,
# 64 connections): create a patient, read a patient, create an appointment, list one day's
# appointments. Also resident memory and cold start of both. Budget: 6 minutes (the first run
# also installs GNU Health and activates its modules, about 2 more).
# Usage: bench/peer.sh [seconds-per-case]
source "$(dirname "$0")/lib.sh"
secs=${1:-10}
need wrk wrk
build
venv="$data/gnuhealth-venv"
if [ ! -x "$venv/bin/gunicorn" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q gnuhealth==5.0.6 gunicorn psycopg2-binary
fi
gh_version=$("$venv/bin/pip" show gnuhealth 2>/dev/null | awk '/^Version/ {print $2}')
tryton_version=$("$venv/bin/pip" show trytond 2>/dev/null | awk '/^Version/ {print $2}')
ghdb=gnuhealth_bench
gh_password=Bench-GNU-Health-1
cat >"$work/trytond.conf" <<CONF
[database]
uri = postgresql://postgres@127.0.0.1:5432/
[session]
timeout = 36000
max_attempt = 1000000
CONF
if [ ! -e "$data/gnuhealth.done" ] || ! pg_exists "$ghdb"; then
  pg_fresh "$ghdb"
  echo "$gh_password" >"$work/gh.pass"
  TRYTONPASSFILE="$work/gh.pass" "$venv/bin/trytond-admin" -c "$work/trytond.conf" -d "$ghdb" --all \
    --email admin@example.org -u health --activate-dependencies >"$work/gh-admin.log" 2>&1
  touch "$data/gnuhealth.done"
fi
# Each run starts from the activated modules: earlier runs' patients are removed.
psql -q "${pg[@]}" -d "$ghdb" -c "TRUNCATE gnuhealth_appointment, gnuhealth_patient CASCADE" \
  -c "DELETE FROM party_party WHERE id NOT IN (SELECT party FROM company_company) AND id NOT IN (SELECT party FROM company_employee)" >/dev/null 2>&1 || true
day=2026-12-01
workers=$(( $(nproc) * 2 ))

# load_ops NAME BASE-URL LUA -> "ops/s p50 p99" (checks the answers: wrk prints ERRORS n)
lua_common='
local threads = {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
errors = 0
function count(status, body)
  if status >= 300 or body:find("\"error\"", 1, true) then
    if errors == 0 then io.write("first failed answer: " .. status .. " " .. body:sub(1, 300) .. "\n") end
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write("ERRORS " .. e .. "\n")
end
-- Every answer is checked; a script that reads answers defines its own response().
response = function(status, headers, body) count(status, body) end
function slot_time(n)
  -- A unique half-hour slot per thread and request, from 2027-01-04 on.
  return 1799020800 + (tid * 1000000 + n) * 1800
end
'
check_errors() { if grep -q "ERRORS [1-9]" "$work/wrk.log"; then echo "errors in answers:" >&2; tail -20 "$work/wrk.log" >&2; exit 1; fi; }

declare -A result
# ---- GNU Health ----
port=$(free_port)
start_ns=$(date +%s%N)
TRYTOND_CONFIG="$work/trytond.conf" "$venv/bin/gunicorn" -w "$workers" -b "127.0.0.1:$port" \
  trytond.application:app >"$work/gunicorn.log" 2>&1 &
gh_pid=$!; pids+=("$gh_pid")
gh="http://127.0.0.1:$port/$ghdb/"
until curl -fsS -X POST "$gh" -H 'content-type: application/json' \
  -d "{\"id\":0,\"method\":\"common.db.login\",\"params\":[\"admin\",{\"password\":\"$gh_password\"},\"en\"]}" 2>/dev/null | grep -q result; do sleep 0.05; done
result[gh,cold]=$(( ($(date +%s%N) - start_ns) / 1000000 ))
gh_rss() { ps -o rss= --ppid "$gh_pid" | awk -v m="$(ps -o rss= -p "$gh_pid")" '{s+=$1} END {printf "%.0f", (s+m)/1024}'; }
setup=$(python3 bench/peer.py gnuhealth "$gh" "$gh_password" 200 "$day")
result[gh,idle]=$(gh_rss)
auth=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["auth"])' "$setup")
ctx=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["context"])' "$setup")
ids=$(python3 -c 'import json,sys;print(",".join(map(str,json.loads(sys.argv[1])["patients"])))' "$setup")
headers="{[\"content-type\"] = \"application/json\", [\"authorization\"] = \"$auth\"}"
cat >"$work/gh-create.lua" <<LUA
$lua_common
local parties, n = {}, 0
request = function()
  local party = table.remove(parties)
  if party then
    return wrk.format("POST", nil, $headers, '{"id":2,"method":"model.gnuhealth.patient.create","params":[[{"party":' .. party .. '}],' .. [[$ctx]] .. ']}')
  end
  n = n + 1
  return wrk.format("POST", nil, $headers, '{"id":1,"method":"model.party.party.create","params":[[{"name":"Bench","lastname":"Peer ' .. tid .. '-' .. n .. '","is_person":true,"is_patient":true,"gender":"f","fed_country":null,"dob":{"__class__":"date","year":1990,"month":1,"day":1}}],' .. [[$ctx]] .. ']}')
end
response = function(status, headers, body)
  count(status, body)
  if body:find('"id": 1,', 1, true) or body:find('"id":1,', 1, true) then
    local party = body:match('"result": ?%[(%d+)%]')
    if party then table.insert(parties, party) end
  end
end
LUA
cat >"$work/gh-read.lua" <<LUA
$lua_common
local ids, n = {$ids}, 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, $headers, '{"id":3,"method":"model.gnuhealth.patient.read","params":[[' .. ids[(n % #ids) + 1] .. '],["party","puid","lastname","dob","gender","biological_sex"],' .. [[$ctx]] .. ']}')
end
LUA
cat >"$work/gh-book.lua" <<LUA
$lua_common
local ids, n = {$ids}, 0
request = function()
  n = n + 1
  local t = os.date("!*t", slot_time(n))
  local at = string.format('{"__class__":"datetime","year":%d,"month":%d,"day":%d,"hour":%d,"minute":%d,"second":0,"microsecond":0}', t.year, t.month, t.day, t.hour, t.min)
  return wrk.format("POST", nil, $headers, '{"id":4,"method":"model.gnuhealth.appointment.create","params":[[{"patient":' .. ids[(n % #ids) + 1] .. ',"appointment_date":' .. at .. ',"state":"confirmed"}],' .. [[$ctx]] .. ']}')
end
LUA
y=${day:0:4}; m=$((10#${day:5:2})); d=$((10#${day:8:2}))
cat >"$work/gh-day.lua" <<LUA
$lua_common
local from = '{"__class__":"datetime","year":$y,"month":$m,"day":$d,"hour":0,"minute":0,"second":0,"microsecond":0}'
local to = '{"__class__":"datetime","year":$y,"month":$m,"day":$d,"hour":23,"minute":59,"second":59,"microsecond":0}'
request = function()
  return wrk.format("POST", nil, $headers, '{"id":5,"method":"model.gnuhealth.appointment.search_read","params":[[["appointment_date",">=",' .. from .. '],["appointment_date","<=",' .. to .. ']],0,null,[["appointment_date","ASC"]],["patient","appointment_date","state"],' .. [[$ctx]] .. ']}')
end
LUA
for op in read day book create; do
  result[gh,$op]=$(load "$gh" -s "$work/gh-$op.lua"); check_errors
done
result[gh,busy]=$(gh_rss)
kill "$gh_pid"; wait "$gh_pid" 2>/dev/null || true

# ---- OpenIOP on PostgreSQL ----
pg_fresh openiop_bench_peer
url="postgres://postgres@127.0.0.1:5432/openiop_bench_peer"
start_ns=$(date +%s%N)
serve "$url" "$work/peer.key"
result[openiop,cold]=$(( ($(date +%s%N) - start_ns) / 1000000 ))
token=$(login bench Bench-Password-1)
setup=$(python3 bench/peer.py openiop "$base" "$token" 200 "$day")
result[openiop,idle]=$(rss_mib "$server_pid")
ids=$(python3 -c 'import json,sys;print(",".join(chr(34)+p+chr(34) for p in json.loads(sys.argv[1])["patients"]))' "$setup")
clinician=$(python3 -c 'import json,sys;print(json.loads(sys.argv[1])["clinician"])' "$setup")
headers="{[\"content-type\"] = \"application/json\", [\"authorization\"] = \"Bearer $token\"}"
cat >"$work/openiop-create.lua" <<LUA
$lua_common
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/patients", $headers, '{"given_name":"Bench","family_name":"Peer ' .. tid .. '-' .. n .. '","birth_date":"1990-01-01"}')
end
LUA
cat >"$work/openiop-read.lua" <<LUA
$lua_common
local ids, n = {$ids}, 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/v1/patients/" .. ids[(n % #ids) + 1], $headers)
end
LUA
cat >"$work/openiop-book.lua" <<LUA
$lua_common
local ids, n = {$ids}, 0
request = function()
  n = n + 1
  local t = slot_time(n)
  return wrk.format("POST", "/api/v1/appointments", $headers, '{"patient_id":"' .. ids[(n % #ids) + 1] .. '","clinician_id":"$clinician","kind":"individual","starts_at":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ", t) .. '","ends_at":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ", t + 1200) .. '"}')
end
LUA
cat >"$work/openiop-day.lua" <<LUA
$lua_common
request = function() return wrk.format("GET", "/api/v1/sessions?from=$day&to=$day", $headers) end
LUA
for op in read day book create; do
  result[openiop,$op]=$(load "$base/" -s "$work/openiop-$op.lua"); check_errors
done
result[openiop,busy]=$(rss_mib "$server_pid")
stop_server
pg_drop openiop_bench_peer

{
  echo "### 3. A real peer: GNU Health $gh_version (Tryton $tryton_version, gunicorn, $workers sync workers) and OpenIOP, both on PostgreSQL"
  echo
  echo "| operation | OpenIOP ops/s | p50 ms | p99 ms | GNU Health ops/s | p50 ms | p99 ms | OpenIOP / GNU Health |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for op in create read book day; do
    read -r o_r o_50 o_99 <<<"${result[openiop,$op]}"
    read -r g_r g_50 g_99 <<<"${result[gh,$op]}"
    label=$op
    case $op in
      create) label="create a patient"; g_r=$(( g_r / 2 )) ;;  # two calls: party, then patient
      read) label="read a patient" ;;
      book) label="create an appointment" ;;
      day) label="list one day's appointments (50)" ;;
    esac
    echo "| $label | $o_r | $o_50 | $o_99 | $g_r | $g_50 | $g_99 | $(ratio "$o_r" "$g_r") |"
  done
  echo
  echo "| | OpenIOP | GNU Health |"
  echo "|---|---:|---:|"
  echo "| cold start to first answer, ms | ${result[openiop,cold]} (/readyz) | ${result[gh,cold]} (first login) |"
  echo "| resident MiB after setup | ${result[openiop,idle]} | ${result[gh,idle]} (master + $workers workers) |"
  echo "| resident MiB after the load | ${result[openiop,busy]} | ${result[gh,busy]} |"
  echo
  echo "GNU Health creates a patient in two calls (the person's party, then the patient record), so its"
  echo "patients per second are half its requests per second and its latencies are per call."
} >"$work/table.md"
cp "$work/table.md" "$results/peer.md"
cat "$results/peer.md"
