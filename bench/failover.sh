#!/usr/bin/env bash
# High availability drill, on demand: a PostgreSQL cluster run by Patroni (Debian patroni with
# etcd-server: one primary and two replicas on loopback ports, synchronous replication),
# reached through HAProxy routing by Patroni's health endpoint. OpenIOP writes under steady
# load (8 writers creating patients); the primary's Patroni and PostgreSQL are killed
# (SIGKILL, as a lost machine); Patroni promotes a replica. Checks that every answer during the
# switch was a success or a 503 with Retry-After (never another error), that OpenIOP succeeds
# again without a restart, and that every acknowledged write is on the new primary. Writes
# the unavailability window to bench/results/failover.md. Sets the cluster up and tears it
# down. Budget: 3 minutes. Usage: bench/failover.sh [seconds-of-load]
source "$(dirname "$0")/lib.sh"
duration=${1:-40}
need patroni patroni
need etcd etcd-server
need haproxy haproxy
build
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
drill=$(mktemp -d /tmp/openiop-failover.XXXXXX)
chown postgres "$drill"
etcd_port=$(free_port); etcd_peer=$(free_port); proxy_port=$(free_port)
teardown() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  pkill -9 -f "$drill" 2>/dev/null || true
  sleep 0.5
  rm -rf "$drill"
  cleanup
}
trap teardown EXIT

etcd --name drill --data-dir "$drill/etcd" --enable-v2=true \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "drill=http://127.0.0.1:$etcd_peer" >"$drill/etcd.log" 2>&1 &
pids+=($!)
declare -A pg_port api_port
for n in 1 2 3; do
  pg_port[$n]=$(free_port); api_port[$n]=$(free_port)
  mkdir -p "$drill/n$n"; chown postgres "$drill/n$n"; chmod 700 "$drill/n$n"
  cat >"$drill/n$n.yml" <<YAML
scope: openiop-drill
namespace: /openiop-drill/
name: n$n
restapi:
  listen: 127.0.0.1:${api_port[$n]}
  connect_address: 127.0.0.1:${api_port[$n]}
etcd:
  host: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
  initdb:
    - encoding: UTF8
    - auth: trust
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${pg_port[$n]}
  connect_address: 127.0.0.1:${pg_port[$n]}
  data_dir: $drill/n$n/data
  bin_dir: $pgbin
  authentication:
    superuser:
      username: postgres
    replication:
      username: postgres
  parameters:
    unix_socket_directories: $drill/n$n
YAML
  runuser -u postgres -- patroni "$drill/n$n.yml" >"$drill/n$n.log" 2>&1 &
  pids+=($!)
  sleep 2  # the first node bootstraps; the others clone it
done
cat >"$drill/haproxy.cfg" <<CFG
global
  maxconn 500
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
listen primary
  bind 127.0.0.1:$proxy_port
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
  server n1 127.0.0.1:${pg_port[1]} check port ${api_port[1]}
  server n2 127.0.0.1:${pg_port[2]} check port ${api_port[2]}
  server n3 127.0.0.1:${pg_port[3]} check port ${api_port[3]}
CFG
haproxy -f "$drill/haproxy.cfg" >"$drill/haproxy.log" 2>&1 &
pids+=($!)

cluster() { curl -fsS "http://127.0.0.1:${api_port[1]}/cluster" 2>/dev/null || curl -fsS "http://127.0.0.1:${api_port[2]}/cluster" 2>/dev/null || curl -fsS "http://127.0.0.1:${api_port[3]}/cluster"; }
echo "waiting for a leader and two streaming replicas (one synchronous)..." >&2
for _ in $(seq 120); do
  state=$(cluster 2>/dev/null | python3 -c '
import json,sys
m=json.load(sys.stdin)["members"]
print(sum(1 for x in m if x["role"]=="leader" and x["state"]=="running"), sum(1 for x in m if x["role"] in ("replica","sync_standby") and x["state"] in ("streaming","running")), sum(1 for x in m if x["role"]=="sync_standby"))' 2>/dev/null || echo "0 0 0")
  [ "$state" = "1 2 1" ] && break
  sleep 1
done
[ "$state" = "1 2 1" ] || { echo "cluster did not form: $state" >&2; tail -20 "$drill"/n*.log >&2; exit 1; }
until psql -q -h 127.0.0.1 -p "$proxy_port" -U postgres -d postgres -c "CREATE DATABASE openiop" 2>/dev/null; do sleep 0.5; done

serve "postgres://postgres@127.0.0.1:$proxy_port/openiop" "$drill/audit.key"
token=$(login bench Bench-Password-1)
leader=$(cluster | python3 -c 'import json,sys;print([m["name"] for m in json.load(sys.stdin)["members"] if m["role"]=="leader"][0])')
n=${leader#n}
# The writers: each records every answer (time, status, Retry-After, created id).
python3 - "$base" "$token" "$duration" "$drill/answers.jsonl" <<'PY' &
import http.client, json, sys, threading, time, urllib.parse
base, token, duration, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
host = urllib.parse.urlparse(base)
answers, lock, start = [], threading.Lock(), time.monotonic()
def writer(w):
    conn, n = None, 0
    while time.monotonic() - start < duration:
        n += 1
        body = json.dumps({"given_name": "Drill", "family_name": f"W{w}-{n}", "birth_date": "1990-01-01"})
        t = time.monotonic() - start
        try:
            conn = conn or http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            conn.request("POST", "/api/v1/patients", body, {"authorization": f"Bearer {token}", "content-type": "application/json"})
            r = conn.getresponse(); data = r.read()
            created = json.loads(data)["id"] if r.status == 201 else None
            answer = {"t": t, "done": time.monotonic() - start, "status": r.status, "retry_after": r.getheader("retry-after"), "id": created}
        except Exception as e:
            conn = None
            answer = {"t": t, "done": time.monotonic() - start, "status": 0, "error": f"{type(e).__name__}: {e}"}
        with lock: answers.append(answer)
        if answer["status"] == 503:
            time.sleep(0.2)
threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
for th in threads: th.start()
for th in threads: th.join()
with open(out, "w") as f:
    for a in answers: f.write(json.dumps(a) + "\n")
PY
writers=$!
sleep 10
kill_at=$(date +%s.%N)
postmaster=$(head -1 "$drill/n$n/data/postmaster.pid")
patroni_pid=$(pgrep -u postgres -f "patroni $drill/n$n.yml" | head -1)
kill -9 "$patroni_pid" "$postmaster"
echo "killed the primary $leader (Patroni $patroni_pid, PostgreSQL $postmaster) at +10 s" >&2
wait "$writers"
new_leader=$(cluster | python3 -c 'import json,sys;print(",".join(m["name"] for m in json.load(sys.stdin)["members"] if m["role"]=="leader"))')
psql -At -h 127.0.0.1 -p "$proxy_port" -U postgres -d openiop -c "SELECT id FROM patients WHERE given_name = 'Drill'" >"$drill/present.txt"
stop_server
status=0
python3 - "$drill/answers.jsonl" "$drill/present.txt" "$leader" "$new_leader" "$duration" >"$results/failover.md" <<'PY' || status=$?
import json, sys
answers = [json.loads(l) for l in open(sys.argv[1])]
present = set(open(sys.argv[2]).read().split())
old, new, duration = sys.argv[3], sys.argv[4], float(sys.argv[5])
answers.sort(key=lambda a: a["t"])
acked = [a["id"] for a in answers if a["status"] == 201]
lost = [i for i in acked if i not in present]
failed = [a for a in answers if a["status"] != 201]
unclean = [a for a in failed if a["status"] != 503 or not a.get("retry_after")]
# From the start of the first refused request to the first success that started after the
# last refused one.
first_fail = min((a["t"] for a in failed), default=None)
last_fail = max((a["t"] for a in failed), default=None)
recovered = min((a["done"] for a in answers if a["status"] == 201 and last_fail is not None and a["t"] >= last_fail), default=None)
window = (recovered - first_fail) if first_fail is not None and recovered is not None else None
slowest = max(a["done"] - a["t"] for a in answers)
statuses = {}
for a in answers:
    key = a["status"] or a.get("error", "no answer").split(":")[0]
    statuses[key] = statuses.get(key, 0) + 1
print("### High availability: primary killed under write load (Patroni + etcd + HAProxy, synchronous replication)")
print()
print(f"8 writers creating patients through OpenIOP for {duration:.0f} s; the primary ({old}) lost at +10 s (SIGKILL of")
print(f"Patroni and PostgreSQL); new primary: {new}. Patroni ttl 10 s, loop_wait 1 s; HAProxy checks `/primary` every 0.5 s.")
print()
print("| measure | value |")
print("|---|---|")
print(f"| answers | {len(answers)} ({', '.join(f'{k}: {v}' for k, v in sorted(statuses.items(), key=str))}) |")
print(f"| unavailability window (first refused request to the first success after the last refusal) | {window:.1f} s |" if window is not None else "| unavailability window | none observed |")
print(f"| refused answers that were not 503 with Retry-After | {len(unclean)} |")
print(f"| slowest answer | {slowest:.1f} s |")
print(f"| acknowledged writes | {len(acked)} |")
print(f"| acknowledged writes missing on the new primary | {len(lost)} |")
print(f"| OpenIOP restarted | no |")
ok = not lost and not unclean and window is not None and new != old
print()
print("Result: " + ("passed." if ok else "FAILED."))
sys.exit(0 if ok else 1)
PY
cat "$results/failover.md"
exit $status
