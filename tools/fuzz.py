"""`make fuzz`: the long property-based run (tests/test_fuzz.py::test_fuzz_long) on every core.

Each job is its own pytest process with its own Hypothesis seed and a share of the examples,
so N cores run N times as many examples in the same time. The seeds are printed first: a job
re-run with its seed (``--hypothesis-seed``) and share draws the same cases again.

    python tools/fuzz.py [--examples 100000] [--jobs N] [--seed S] [--logs DIR]

Exit code 0 when every job passed, 1 when any failed (its log is printed), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES") or 100_000)
    )
    parser.add_argument(
        "--jobs", type=int, default=int(os.environ.get("FUZZ_JOBS") or os.cpu_count() or 1)
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="derive the jobs' seeds from this (default: random)"
    )
    parser.add_argument(
        "--logs", type=Path, default=None, help="keep each job's log and progress here"
    )
    args = parser.parse_args(argv)
    if args.examples < 1 or args.jobs < 1:
        parser.error("--examples and --jobs must be at least 1")
    jobs = min(args.jobs, args.examples)
    logs = args.logs or Path(tempfile.mkdtemp(prefix="modelserve-fuzz-logs-"))
    logs.mkdir(parents=True, exist_ok=True)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    shares = [args.examples // jobs + (1 if i < args.examples % jobs else 0) for i in range(jobs)]
    seeds = [rng.randrange(2**32) for _ in range(jobs)]
    print(
        f"fuzz: {args.examples} examples in {jobs} job(s); --seed {seed}; logs in {logs}",
        flush=True,
    )
    procs = []
    for i, (share, job_seed) in enumerate(zip(shares, seeds, strict=False)):
        print(f"fuzz: job {i}: {share} examples, --hypothesis-seed={job_seed}", flush=True)
        progress = logs / f"job-{i}.progress"
        progress.unlink(missing_ok=True)  # a reused --logs folder must not count an earlier run
        env = dict(os.environ, FUZZ_EXAMPLES=str(share), FUZZ_PROGRESS=str(progress))
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "slow",
            "tests/test_fuzz.py::test_fuzz_long",  # not test_fuzz_fast, which is marked slow too
            "-p",
            "no:cacheprovider",
            "-q",
            f"--hypothesis-seed={job_seed}",
            "--hypothesis-show-statistics",
        ]
        # The child gets its own copy of the log's descriptor; ours can close at once.
        with open(logs / f"job-{i}.log", "w") as log:
            procs.append(
                subprocess.Popen(
                    command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
    start = time.monotonic()
    try:
        reported = -1
        while any(p.poll() is None for p in procs):
            time.sleep(5)
            done = sum(_progress(logs / f"job-{i}.progress") for i in range(jobs))
            if done != reported:
                reported = done
                print(
                    f"fuzz: {done} of {args.examples} examples after "
                    f"{time.monotonic() - start:.0f} s",
                    flush=True,
                )
    except KeyboardInterrupt:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            p.wait()
        print("fuzz: interrupted", file=sys.stderr)
        return 1
    failed = [i for i, p in enumerate(procs) if p.returncode != 0]
    minutes = (time.monotonic() - start) / 60
    for i in failed:
        print(f"fuzz: job {i} FAILED (exit {procs[i].returncode}); its log:\n", flush=True)
        print((logs / f"job-{i}.log").read_text(errors="replace"))
    ran = sum(_progress(logs / f"job-{i}.progress") for i in range(jobs))
    if not failed and ran < args.examples:
        print(
            f"fuzz: the jobs passed but counted only {ran} of {args.examples} examples", flush=True
        )
        failed = list(range(jobs))
    print(
        f"fuzz: {ran} examples passed in {minutes:.1f} min, {jobs} job(s): "
        f"{'FAILED: job(s) ' + ', '.join(map(str, failed)) if failed else 'no failure'}",
        flush=True,
    )
    return 1 if failed else 0


def _progress(path: Path) -> int:
    """The last count a job wrote: test_fuzz.py writes a line per 5,000 examples and a last one."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    count = lines[-1].split()[0] if lines and lines[-1].strip() else ""
    return int(count) if count.isdigit() else 0


if __name__ == "__main__":
    sys.exit(main())
