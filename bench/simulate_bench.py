"""How fast `leadflow simulate` replays history, and whether its memory grows with the leads.

    .venv/bin/python bench/simulate_bench.py                  # 1,000,000 leads (`make bench`)
    .venv/bin/python bench/simulate_bench.py --leads 50000    # a quick run

The data set (bench/generate.py: 200 reps, 40 pools, 50 rules, leads over 60 days, events) is
written to bench/.data once and reused while its size, seed and generator are unchanged.
Then, in one run, each measurement runs in a child process of its own, pinned to one CPU, so
that every peak RSS is that measurement's alone and nothing else competes for the core:

- reading the leads file alone (iterating `read_leads`), rows per second;
- the whole simulation (`run_simulation`: policy, events, time-order check, decisions,
  summary) with `--out` streamed to a file, and without `--out`, leads per second;
- each at a tenth of the size too, so that the peak RSS at N/10 and at N shows whether memory
  grows with the number of leads.

The simulation is single-threaded Python: one core is all it uses, whatever the machine has.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import generate

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data"
GOAL = 20_000  # leads per second for the whole simulation, on one core


# Data


def dataset(n: int, *, regenerate: bool = False) -> dict[str, Path]:
    """The policy, leads and events of a data set of `n` leads, generated when missing or stale."""
    DATA.mkdir(parents=True, exist_ok=True)
    paths = {
        "policy": DATA / "policy.yaml",
        "leads": DATA / f"leads-{n}.csv",
        "events": DATA / f"events-{n}.jsonl",
    }
    stamp_path = DATA / f"dataset-{n}.json"
    stamp = {"leads": n, "seed": generate.SEED, "generator": _generator_digest()}
    fresh = (
        not regenerate
        and all(path.is_file() for path in paths.values())
        and stamp_path.is_file()
        and json.loads(stamp_path.read_text()) == stamp
    )
    if fresh:
        return paths
    print(f"generating {n:,} leads into {DATA.relative_to(BENCH.parent)} ...", flush=True)
    started = time.perf_counter()
    generate.generate_policy(paths["policy"])
    generate.generate_leads(paths["leads"], n)
    generate.generate_events(paths["events"], n)
    stamp_path.write_text(json.dumps(stamp) + "\n")
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return paths


def _generator_digest() -> str:
    return hashlib.sha256(Path(generate.__file__).read_bytes()).hexdigest()[:16]


def check(policy_path: Path) -> str:
    """A one-line account of the policy, after `check_policy`; exits on any error."""
    from leadflow.policy import check_policy

    policy, problems = check_policy(policy_path.read_text(encoding="utf-8"), str(policy_path))
    for problem in problems:
        print("  " + problem.format(policy_path.name))
    if policy is None:
        sys.exit("the generated policy has errors: fix bench/generate.py")
    warnings = sum(p.severity == "warning" for p in problems)
    return (
        f"{len(policy.reps)} reps, {len(policy.pools)} pools, {len(policy.rules)} rules, "
        f"{len(policy.calendars)} calendars; check_policy: 0 errors, {warnings} warnings"
    )


# Measurements, each in a child process


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its result, read from its last line."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        sys.exit(f"measurement {spec['mode']} over {spec['leads']} failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement, in this process: pinned to one CPU, timed, its peak RSS read at the end."""
    if spec["cpu"] is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {spec["cpu"]})
    from leadflow.simulate.runner import run_simulation
    from leadflow.simulate.timeline import read_leads

    policy, leads = Path(spec["policy"]), Path(spec["leads"])
    events = Path(spec["events"]) if spec.get("events") else None
    out = Path(spec["out"]) if spec.get("out") else None
    result: dict[str, Any] = {"rss_start_kb": _peak_rss_kb()}
    started = time.perf_counter()
    if spec["mode"] == "read":
        rows = 0
        for _ in read_leads(leads, generate.TIMEZONE):
            rows += 1
        result["rows"] = rows
    else:
        summary = run_simulation(policy, leads, events, out, progress=False)
        result["rows"] = summary.leads
        data = summary.to_dict()
        keys = ("outcomes", "statuses", "held", "unassigned_reasons", "per_pool")
        result["summary"] = {key: data.get(key) for key in keys}
        result["per_rule"] = dict(summary.per_rule)
        result["out_bytes"] = out.stat().st_size if out else None
    result["seconds"] = time.perf_counter() - started
    result["rss_peak_kb"] = _peak_rss_kb()
    return result


def profile(paths: dict[str, Path], stats_path: Path, keep_out: bool) -> None:
    """The whole simulation under cProfile, in this process; the top functions printed.

    The measurements run in child processes, so `python -m cProfile bench/simulate_bench.py`
    would profile only the parent: this is the way to profile the simulation itself.
    """
    import cProfile
    import pstats

    from leadflow.simulate.runner import run_simulation

    out = DATA / "decisions.jsonl"
    profiler = cProfile.Profile()
    started = time.perf_counter()
    summary = profiler.runcall(
        run_simulation, paths["policy"], paths["leads"], paths["events"], out, progress=False
    )
    seconds = time.perf_counter() - started
    if not keep_out:
        out.unlink(missing_ok=True)
    profiler.dump_stats(stats_path)
    print(f"{summary.leads:,} leads in {seconds:.1f} s under cProfile; stats in {stats_path}")
    stats = pstats.Stats(str(stats_path))
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(25)


def _peak_rss_kb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB on Linux


# Report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads in the big run")
    parser.add_argument("--regenerate", action="store_true", help="write the data set again")
    parser.add_argument("--keep-out", action="store_true", help="keep the decisions file")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="instead: one simulation of --leads (with --out) under cProfile; stats to FILE",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    if args.profile:
        profile(dataset(args.leads, regenerate=args.regenerate), args.profile, args.keep_out)
        return
    big = args.leads
    small = max(big // 10, 1000)
    cpu = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print(_machine(cpu))
    sets = {n: dataset(n, regenerate=args.regenerate) for n in (small, big)}
    print("policy: " + check(sets[big]["policy"]))
    out_path = DATA / "decisions.jsonl"
    runs = [
        ("read", small, False, "read leads (read_leads)"),
        ("read", big, False, "read leads (read_leads)"),
        ("simulate", small, True, "simulate, --out streamed"),
        ("simulate", big, True, "simulate, --out streamed"),
        ("simulate", small, False, "simulate, no --out"),
        ("simulate", big, False, "simulate, no --out"),
    ]
    print()
    print(f"{'measurement':<26} {'leads':>10} {'seconds':>8} {'per second':>11} {'peak RSS':>9}")
    results: dict[tuple[str, int, bool], dict[str, Any]] = {}
    for mode, n, with_out, label in runs:
        spec = {
            "mode": mode,
            "leads": n,
            "cpu": cpu,
            **{key: str(path) for key, path in sets[n].items()},
            "out": str(out_path) if with_out else None,
        }
        result = results[mode, n, with_out] = measure(spec)
        rate = result["rows"] / result["seconds"]
        peak = result["rss_peak_kb"] / 1024
        print(
            f"{label:<26} {result['rows']:>10,} {result['seconds']:>8.1f} {rate:>11,.0f} "
            f"{peak:>6.0f} MB",
            flush=True,
        )
        if with_out and result.get("out_bytes"):
            result["bytes_per_decision"] = result["out_bytes"] / result["rows"]
    if not args.keep_out:
        out_path.unlink(missing_ok=True)
    _conclusions(results, small, big, sets[big]["policy"])


def _rate(result: dict[str, Any]) -> float:
    return float(result["rows"] / result["seconds"])


def _conclusions(
    results: dict[tuple[str, int, bool], dict[str, Any]], small: int, big: int, policy: Path
) -> None:
    read = _rate(results["read", big, False])
    with_out, without = results["simulate", big, True], results["simulate", big, False]
    print()
    print(
        f"simulation / read speed: {_rate(with_out) / read:.2f} with --out, "
        f"{_rate(without) / read:.2f} without"
    )
    verdict = "met" if _rate(with_out) >= GOAL else "NOT met"
    print(f"goal {GOAL:,} leads/s (whole simulation, --out streamed, one core): {verdict}")
    if with_out.get("bytes_per_decision"):
        size = with_out["out_bytes"] / 1e9
        print(f"--out: {size:.2f} GB, {with_out['bytes_per_decision']:,.0f} bytes per decision")
    print(f"peak RSS {small:,} -> {big:,} leads:")
    for (mode, with_flag), label in (
        (("read", False), "read leads"),
        (("simulate", True), "simulate, --out"),
        (("simulate", False), "simulate, no --out"),
    ):
        a, b = results[mode, small, with_flag], results[mode, big, with_flag]
        grew = (b["rss_peak_kb"] - a["rss_peak_kb"]) * 1024
        per_lead = grew / (big - small)
        print(
            f"  {label:<20} {a['rss_peak_kb'] / 1024:>6.0f} MB -> {b['rss_peak_kb'] / 1024:>6.0f}"
            f" MB  ({per_lead:+.0f} bytes per extra lead; {b['rss_start_kb'] / 1024:.0f} MB"
            " after imports)"
        )
    summary = with_out["summary"]
    print()
    print(f"outcomes of the {big:,}-lead run: " + _counts(summary["outcomes"]))
    print("lead statuses replayed: " + _counts(summary["statuses"]))
    held = summary["held"]
    if held["leads"]:
        print(
            f"held, then assigned: {held['leads']:,} leads (median wait "
            f"{held['median_seconds'] / 60:.0f} min, p90 {held['p90_seconds'] / 3600:.1f} h); "
            f"closed while queued: {held['closed_while_queued']:,}"
        )
    reasons = summary.get("unassigned_reasons") or {}
    if reasons:
        top = sorted(reasons.items(), key=lambda item: -item[1])[:3]
        print("unassigned because: " + "; ".join(f"{why} ({n:,})" for why, n in top))
    pools = summary.get("per_pool") or {}
    if pools:
        print(
            f"assigned leads by pool ({len(pools)} pools and direct assigns), busiest: "
            + _counts(
                dict(sorted(pools.items(), key=lambda item: -item[1])[:5]), sum(pools.values())
            )
        )
    print("placed by the rule at depth: " + _depths(with_out["per_rule"], policy))


def _counts(counts: dict[str, int], total: int | None = None) -> str:
    """`a 3 (60%), b 2 (40%)`: shares of `total`, by default of these counts' sum."""
    total = total or sum(counts.values()) or 1
    return ", ".join(f"{k} {v:,} ({v / total:.0%})" for k, v in counts.items())


def _depths(per_rule: dict[str, int], policy_path: Path) -> str:
    """Leads by the position of the rule that placed them, in bands of ten rules."""
    from leadflow.policy import load_policy_file

    depth = {rule.name: i for i, rule in enumerate(load_policy_file(policy_path).rules, 1)}
    bands: Counter[int] = Counter()
    for rule, n in per_rule.items():
        i = depth.get(rule)
        bands[-1 if i is None else (i - 1) // 10] += n
    named = {
        "fallback" if band < 0 else f"{band * 10 + 1}-{band * 10 + 10}": bands[band]
        for band in sorted(bands, key=lambda band: band if band >= 0 else len(depth))
    }
    return _counts(named)


def _machine(cpu: int | None) -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    pinned = f"each run pinned to CPU {cpu}" if cpu is not None else "not pinned"
    return (
        f"leadflow simulation benchmark, {date.today()}: Python {platform.python_version()}, "
        f"{model}, {os.cpu_count()} CPUs; single-threaded, {pinned}"
    )


if __name__ == "__main__":
    main()
