#!/usr/bin/env bash
# Section 6, the schedule solver against OR-Tools CP-SAT (bench/scheduler.py), on a budget:
# 30 s per CP-SAT solve, weeks of 100 and 300 patients, one seed. Budget: 4 minutes.
# The full comparison (60 s, up to 1,000 patients) is `bench/scheduler` (bench/SCHEDULER.md).
source "$(dirname "$0")/lib.sh"
build
{
  echo "### 6. Scheduler: OpenIOP's solver against CP-SAT (target: met ratio mean >= 0.99, none below 0.97)"
  echo
  python3 bench/scheduler.py --seconds "${1:-30}" --sizes 100,300 --seeds 1 | sed -n '/^|/,$p'
} >"$work/table.md"
cp "$work/table.md" "$results/scheduler.md"
cat "$results/scheduler.md"
