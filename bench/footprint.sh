#!/usr/bin/env bash
# Section 5, footprint: release binary size, resident memory idle and under the read load,
# and the time from start to a ready /readyz on an existing database (20,000 patients).
# Budget: 2 minutes. Usage: bench/footprint.sh
source "$(dirname "$0")/lib.sh"
need wrk wrk
build
read -r sqlite_url postgres_url <<<"$(dataset p20000 20000 12)"
key="$data/p20000.key"
size=$(stat -c %s "$bin")
{
  echo "### 5. Footprint (targets: idle <= 30 MB, ready <= 300 ms on an existing database)"
  echo
  echo "Release binary: $(python3 -c "print(f'{$size/1048576:.1f}')") MiB ($(file -b "$bin" | cut -d, -f1,2))."
  echo
  echo "| database | start to /readyz ms (median of 5) | idle MiB | MiB after 10 s of read load (peak) |"
  echo "|---|---:|---:|---:|"
} >"$work/table.md"
for backend in sqlite postgres; do
  url=$sqlite_url; [ "$backend" = postgres ] && url=$postgres_url
  # Start, poll /readyz every millisecond, stop; five times.
  ready_ms=$(python3 - "$bin" "$url" "$key" <<'PY'
import os, socket, subprocess, sys, time, statistics
binary, url, key = sys.argv[1:4]
times = []
for _ in range(5):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    env = dict(os.environ, OPENIOP_AUDIT_KEY_FILE=key, RUST_LOG="warn")
    start = time.monotonic()
    p = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--database-url", url],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if c.recv(64).startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            pass
        time.sleep(0.001)
    times.append((time.monotonic() - start) * 1000)
    p.terminate(); p.wait()
print(f"{statistics.median(times):.0f}")
PY
)
  serve "$url" "$key"
  sleep 2
  idle=$(rss_mib "$server_pid")
  token=$(login bench Bench-Password-1)
  patient=$(curl -fsS "$base/api/v1/patients?limit=1" -H "authorization: Bearer $token" | python3 -c 'import sys,json;print(json.load(sys.stdin)["items"][0]["id"])')
  secs=10 load "$base/api/v1/patients/$patient" -H "authorization: Bearer $token" >/dev/null
  peak=$(hwm_mib "$server_pid")
  stop_server
  echo "| $backend | $ready_ms | $idle | $peak |" >>"$work/table.md"
done
cp "$work/table.md" "$results/footprint.md"
cat "$results/footprint.md"
