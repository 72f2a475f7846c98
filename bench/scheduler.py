#!/usr/bin/env python3
"""bench/scheduler: OpenIOP's schedule solver against Google OR-Tools CP-SAT.

Builds random but realistic weeks (day workers, evening and night workers, students, parents,
people on rotating shifts) of several sizes, solves each with `openiop solve` and with CP-SAT
(time limit and workers as the issue sets: 60 s, 2 workers), and prints a markdown table:
size, each solver's met_count and shortfall, CP-SAT's proven upper bound on met_count, times,
and the ratio of met_counts. Usage: bench/scheduler.py [--seconds 60] [--sizes 20,100,300,1000]
"""
import argparse, json, random, subprocess, sys, time
from pathlib import Path

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def hm(minutes):
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def make_instance(n_patients, seed):
    rng = random.Random(seed)
    n_sessions = max(8, min(300, n_patients // 3))
    # Session slots a program runs: morning, afternoon and evening groups, Saturday mornings,
    # and short individual/family slots.
    slots = [(9 * 60, 12 * 60, "day"), (13 * 60, 16 * 60, "day"), (18 * 60, 21 * 60, "evening"),
             (17 * 60, 18 * 60, "evening"), (12 * 60, 13 * 60, "day")]
    sessions = []
    for i in range(n_sessions):
        day = rng.choice(DAYS[:5] if rng.random() < 0.9 else DAYS[5:6])
        start, end, track = rng.choice(slots)
        if day == "sat":
            start, end, track = 10 * 60, 13 * 60, rng.choice(["day", "evening"])
        short = end - start <= 60
        capacity = rng.randint(1, 3) if short else rng.randint(8, 14)
        sessions.append({"id": f"s{i}", "day": day, "start": hm(start), "end": hm(end), "capacity": capacity, "track": track})
    # Enough seats for most, not all: scarcity makes the problem interesting.
    patients = []
    kinds = ["day_worker", "evening_worker", "night_worker", "student", "parent", "rotating"]
    for i in range(n_patients):
        kind = rng.choices(kinds, weights=[35, 15, 10, 15, 15, 10])[0]
        windows = []
        if kind == "day_worker":
            for d in DAYS[:5]:
                windows.append((d, 17 * 60 + rng.choice([0, 30]), 22 * 60))
            windows.append(("sat", 9 * 60, 14 * 60))
            tracks = ["evening"]
        elif kind in ("evening_worker", "night_worker"):
            end = 16 * 60 if kind == "evening_worker" else 15 * 60
            for d in DAYS[:5]:
                windows.append((d, 8 * 60 + 30, end))
            tracks = ["day"]
        elif kind == "student":
            for d in rng.sample(DAYS[:5], 3):
                windows.append((d, 12 * 60, 22 * 60))
            tracks = ["day", "evening"]
        elif kind == "parent":
            for d in DAYS[:5]:
                windows.append((d, 8 * 60 + 45, 14 * 60 + 45))
            tracks = ["day"]
        else:
            for d in DAYS[:6]:
                if rng.random() < 0.6:
                    start = rng.choice([8 * 60, 12 * 60, 17 * 60])
                    windows.append((d, start, min(start + rng.choice([5, 6, 8]) * 60, 23 * 60)))
            tracks = ["day", "evening"]
        required = rng.choice([9, 9, 9, 12, 6, 20 if kind == "parent" else 9])
        min_days = 3 if required >= 9 else 2
        patient = {"id": f"p{i}", "required_hours": required, "min_days": min_days, "tracks": tracks,
                   "availability": [{"day": d, "start": hm(a), "end": hm(b)} for d, a, b in windows]}
        if rng.random() < 0.3:
            patient["max_hours"] = required + rng.choice([0, 3, 6])
        patients.append(patient)
    return {"sessions": sessions, "patients": patients}


def minutes(t):
    h, m = t.split(":")
    return int(h) * 60 + int(m)


def cpsat(instance, seconds, workers):
    from ortools.sat.python import cp_model
    sessions, patients = instance["sessions"], instance["patients"]
    sess = [(DAYS.index(s["day"]), minutes(s["start"]), minutes(s["end"])) for s in sessions]
    model = cp_model.CpModel()
    x = {}
    for p, pat in enumerate(patients):
        wins = [(DAYS.index(w["day"]), minutes(w["start"]), minutes(w["end"])) for w in pat["availability"]]
        for s, (d, a, b) in enumerate(sess):
            if sessions[s]["track"] in pat["tracks"] and any(wd == d and wa <= a and b <= wb for wd, wa, wb in wins):
                x[p, s] = model.NewBoolVar(f"x{p}_{s}")
    for s in range(len(sessions)):
        model.Add(sum(v for (p, ss), v in x.items() if ss == s) <= sessions[s]["capacity"])
    total_required = sum(round(p["required_hours"] * 60) for p in patients)
    big = total_required + 1
    met_vars, short_vars = [], []
    for p, pat in enumerate(patients):
        mine = [(s, v) for (pp, s), v in x.items() if pp == p]
        for i, (s1, v1) in enumerate(mine):
            for s2, v2 in mine[i + 1:]:
                d1, a1, b1 = sess[s1]
                d2, a2, b2 = sess[s2]
                if d1 == d2 and a1 < b2 and a2 < b1:
                    model.Add(v1 + v2 <= 1)
        mins = sum((sess[s][2] - sess[s][1]) * v for s, v in mine) if mine else 0
        if "max_hours" in pat:
            model.Add(mins <= round(pat["max_hours"] * 60))
        req = round(pat["required_hours"] * 60)
        met = model.NewBoolVar(f"met{p}")
        days = []
        for d in range(7):
            dv = model.NewBoolVar(f"d{p}_{d}")
            on_day = [v for s, v in mine if sess[s][0] == d]
            if on_day:
                model.Add(dv <= sum(on_day))
            else:
                model.Add(dv == 0)
            days.append(dv)
        model.Add(mins >= req).OnlyEnforceIf(met)
        model.Add(sum(days) >= pat["min_days"]).OnlyEnforceIf(met)
        short = model.NewIntVar(0, req, f"short{p}")
        model.Add(short >= req - mins)
        met_vars.append(met)
        short_vars.append(short)
    model.Maximize(big * sum(met_vars) - sum(short_vars))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = workers
    started = time.time()
    status = solver.Solve(model)
    took = time.time() - started
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    met = sum(int(solver.Value(m)) for m in met_vars)
    short = sum(solver.Value(s) for s in short_vars) / 60
    bound = solver.BestObjectiveBound()
    met_upper = int((bound + big - 1) // big)
    return {"met": met, "shortfall": short, "upper": min(met_upper, len(patients)), "seconds": took, "optimal": status == cp_model.OPTIMAL}


def openiop(instance, binary):
    started = time.time()
    run = subprocess.run([binary, "solve"], input=json.dumps(instance), capture_output=True, text=True, check=True)
    wall = time.time() - started
    answer = json.loads(run.stdout)
    solve_seconds = float(run.stderr.split("solve_seconds")[-1].split()[0])
    return {"met": answer["met_count"], "shortfall": answer["shortfall_hours"], "seconds": solve_seconds, "wall": wall}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sizes", default="20,100,300,1000")
    parser.add_argument("--seeds", type=int, default=1, help="instances per size")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "openiop"], cwd=root, check=True)
    try:
        import ortools  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "ortools"], check=True)
    binary = str(root / "target" / "release" / "openiop")
    print(f"## Schedule solver vs CP-SAT ({time.strftime('%Y-%m-%d')}, CP-SAT {args.seconds:.0f} s, {args.workers} workers)\n")
    print("| patients | sessions | seed | OpenIOP met | OpenIOP shortfall h | OpenIOP s | CP-SAT met | CP-SAT shortfall h | CP-SAT upper bound | CP-SAT s | met ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios = []
    for size in [int(s) for s in args.sizes.split(",")]:
        for seed in range(args.seeds):
            instance = make_instance(size, seed * 1000 + size)
            ours = openiop(instance, binary)
            theirs = cpsat(instance, args.seconds, args.workers)
            if theirs is None:
                print(f"| {size} | {len(instance['sessions'])} | {seed} | {ours['met']} | {ours['shortfall']:.1f} | {ours['seconds']:.3f} | no solution | | | | |")
                continue
            ratio = ours["met"] / theirs["met"] if theirs["met"] else 1.0
            ratios.append(ratio)
            print(f"| {size} | {len(instance['sessions'])} | {seed} | {ours['met']} | {ours['shortfall']:.1f} | {ours['seconds']:.3f} | "
                  f"{theirs['met']} | {theirs['shortfall']:.1f} | {theirs['upper']}{' (optimal)' if theirs['optimal'] else ''} | {theirs['seconds']:.1f} | {ratio:.3f} |")
            sys.stdout.flush()
    if ratios:
        print(f"\nMean met ratio {sum(ratios) / len(ratios):.3f}, lowest {min(ratios):.3f} (target: mean >= 0.99, none below 0.97).")


if __name__ == "__main__":
    main()
