# Shared by the bench sections (sourced, not run). Each section writes its markdown table to
# bench/results/SECTION.md; bench/run joins them into bench/results/latest.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
results="$root/bench/results"
# Generated datasets are kept here and reused by later runs (not committed).
data="$root/bench/.data"
mkdir -p "$results" "$data"
bin="$root/target/release/openiop"
examples="$root/target/release/examples"
pg=(-h 127.0.0.1 -U postgres)
export PGOPTIONS="--client-min-messages=warning"

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
}

build() { cargo build --release -q --locked -p openiop --bin openiop "${@/#/--example=}"; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

pids=()
work=$(mktemp -d)
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

pg_exists() { [ "$(psql "${pg[@]}" -d test -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }
pg_fresh() { psql -q "${pg[@]}" -d test -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"; }
pg_drop() { psql -q "${pg[@]}" -d test -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)"; }

# dataset NAME PATIENTS WEEKS -> prints "sqlite-url postgres-url", generating each once.
# A dataset is complete when its marker file exists (written after the generator succeeds).
dataset() {
  local name=$1 patients=$2 weeks=$3 db="openiop_bench_$1"
  local file="$data/$name.db" key="$data/$name.key"
  if [ ! -e "$data/$name.sqlite.done" ]; then
    rm -f "$file" "$file-wal" "$file-shm"
    echo "generating $name on SQLite ($patients patients, $weeks weeks)..." >&2
    local t0=$SECONDS
    OPENIOP_AUDIT_KEY_FILE=$key RUST_LOG=warn "$bin" demo --patients "$patients" --weeks "$weeks" \
      --database-url "sqlite://$file" >"$data/$name.sqlite.logins"
    echo "$((SECONDS - t0))" >"$data/$name.sqlite.done"
  fi
  if [ ! -e "$data/$name.postgres.done" ] || ! pg_exists "$db"; then
    pg_fresh "$db"
    echo "generating $name on PostgreSQL ($patients patients, $weeks weeks)..." >&2
    local t0=$SECONDS
    OPENIOP_AUDIT_KEY_FILE=$key RUST_LOG=warn "$bin" demo --patients "$patients" --weeks "$weeks" \
      --database-url "postgres://postgres@127.0.0.1:5432/$db" >"$data/$name.postgres.logins"
    psql -q "${pg[@]}" -d "$db" -c "VACUUM ANALYZE"
    echo "$((SECONDS - t0))" >"$data/$name.postgres.done"
  fi
  echo "sqlite://$file postgres://postgres@127.0.0.1:5432/$db"
}

# serve URL KEY-FILE [extra env...] -> starts OpenIOP, sets $port, $base, $server_pid.
serve() {
  local url=$1 key=$2; shift 2
  port=$(free_port)
  env OPENIOP_ADMIN='bench:Bench-Password-1' OPENIOP_AUDIT_KEY_FILE="$key" OPENIOP_LOGIN_ADDRESS_LIMIT=1000000 \
    RUST_LOG=warn "$@" "$bin" serve --addr "127.0.0.1:$port" --database-url "$url" >>"$work/server.log" 2>&1 &
  server_pid=$!; pids+=("$server_pid")
  base="http://127.0.0.1:$port"
  until curl -fsS "$base/readyz" >/dev/null 2>&1; do sleep 0.02; done
}

stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }

login() { # login USER PASSWORD -> token
  curl -fsS -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])'
}

# load URL [wrk args...] -> "requests/s p50(ms) p99(ms)"; wrk -t2 -c64 for $secs seconds.
# A run with refused or failed requests stops the section.
load() {
  local url=$1; shift
  local out
  out=$(wrk -t2 -c64 -d"${secs:-10}s" --timeout 10s --latency "$@" "$url" 2>&1)
  echo "$out" >>"$work/wrk.log"
  if grep -q "Non-2xx\|Socket errors\|ERRORS [1-9]" <<<"$out"; then echo "refused or failed requests: $url" >&2; echo "$out" >&2; exit 1; fi
  awk '
    function ms(v) { if (v ~ /ms$/) {sub(/ms/,"",v); return v} if (v ~ /us$/) {sub(/us/,"",v); return v/1000} sub(/s$/,"",v); return v*1000 }
    /Requests\/sec/ {r=$2} / 50%/ {p50=ms($2)} / 99%/ {p99=ms($2)}
    END {printf "%.0f %.2f %.2f", r, p50, p99}' <<<"$out"
}

ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
hwm_mib() { awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
