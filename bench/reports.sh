#!/usr/bin/env bash
# Section 4, reports at scale: the program census and weekly intensity compliance of every
# active episode on 100,000 patients with 52 weeks of attendance, through the API, against
# the best hand-written SQL of each dialect on the same database (examples/report_reference.rs,
# which also checks the answers agree). Median of RUNS sequential requests each.
# Budget: 3 minutes once the dataset exists; generating it takes about 3 minutes on SQLite
# and 12 on PostgreSQL, once. Usage: bench/reports.sh [runs]
source "$(dirname "$0")/lib.sh"
runs=${1:-9}
need sqlite3 sqlite3
build report_reference
read -r sqlite_url postgres_url <<<"$(dataset h100000 100000 52)"
key="$data/h100000.key"
# The last week of the generated history (the demo's current schedule starts last week).
week=$(python3 -c 'import datetime as d; t=d.date.today()-d.timedelta(days=14); y,w,_=t.isocalendar(); print(f"{y}-W{w:02d}")')
{
  echo "### 4. Reports at scale: 100,000 patients, 52 weeks of attendance, week $week (target <= 1.2x the hand-written SQL; PostgreSQL under 1 s)"
  echo
  echo "| database | report | OpenIOP ms (HTTP, median) | hand-written SQL ms (median) | ratio | answer |"
  echo "|---|---|---:|---:|---:|---|"
} >"$work/table.md"
median_ms() { # median_ms URL TOKEN -> milliseconds (median of $runs), body in $work/body.json
  for _ in $(seq "$runs"); do
    curl -fsS -o "$work/body.json" -w '%{time_total}\n' "$1" -H "authorization: Bearer $2"
  done | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}'
}
for backend in sqlite postgres; do
  url=$sqlite_url; [ "$backend" = postgres ] && url=$postgres_url
  serve "$url" "$key"
  password=$(awk '/demo-admin/ {print $4}' "$data/h100000.$backend.logins")
  token=$(login demo-admin "$password")
  census_ms=$(median_ms "$base/api/v1/reports/census" "$token")
  census=$(python3 -c 'import json;print(json.load(open("'"$work/body.json"'"))["total_active"])')
  intensity_ms=$(median_ms "$base/api/v1/reports/intensity?week=$week" "$token")
  read -r active measured met <<<"$(python3 -c 'import json;t=json.load(open("'"$work/body.json"'"))["total"];print(t["active"],t["measured"],t["met"])')"
  stop_server
  reference=$("$examples/report_reference" "$url" "$week" "$runs")
  read -r ref_census ref_census_ms ref_ms ref_active ref_measured ref_met formulation <<<"$(python3 -c '
import json,sys; r=json.loads(sys.argv[1])
print(r["census_total"], round(r["census_ms"],1), round(r["intensity_ms"],1), r["active"], r["measured"], r["met"], r["formulation"].replace(" ","_"))' "$reference")"
  if [ "$census" != "$ref_census" ] || [ "$active $measured $met" != "$ref_active $ref_measured $ref_met" ]; then
    echo "answers differ: census $census vs $ref_census; intensity $active $measured $met vs $ref_active $ref_measured $ref_met" >&2; exit 1
  fi
  echo "| $backend | census | $census_ms | $ref_census_ms | $(ratio "$census_ms" "$ref_census_ms") | $census active |" >>"$work/table.md"
  echo "| $backend | intensity compliance | $intensity_ms | $ref_ms (${formulation//_/ }) | $(ratio "$intensity_ms" "$ref_ms") | $met of $measured met |" >>"$work/table.md"
done
{
  echo
  echo "Dataset: $(sqlite3 "${sqlite_url#sqlite://}" 'SELECT COUNT(*) FROM attendance_marks') attendance marks in $(sqlite3 "${sqlite_url#sqlite://}" 'SELECT COUNT(*) FROM sessions') sessions; generated in $(cat "$data/h100000.sqlite.done") s on SQLite and $(cat "$data/h100000.postgres.done") s on PostgreSQL (\`openiop demo --patients 100000 --weeks 52\`)."
} >>"$work/table.md"
cp "$work/table.md" "$results/reports.md"
cat "$results/reports.md"
