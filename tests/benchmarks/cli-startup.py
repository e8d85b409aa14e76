#!/usr/bin/env python3
"""Times client commands of one or more Caxton images, interleaved, and prints the median wall and
CPU (user + system) time of each. Reproduces the table in docs/performance.md ("How fast the CLI
starts"). A node must be running; the commands ask it for its agents.

usage: tests/benchmarks/cli-startup.py --server URL --token TOKEN --config FILE [--runs N] IMAGE...
"""
import argparse
import os
import resource
import statistics
import subprocess
import time

ap = argparse.ArgumentParser()
ap.add_argument("--server", required=True)
ap.add_argument("--token", required=True)
ap.add_argument("--config", required=True, help="a configuration naming the running node")
ap.add_argument("--runs", type=int, default=15)
ap.add_argument("images", nargs="+")
a = ap.parse_args()

commands = {
    "--version": ["--version"],
    "agent list --server --token": ["agent", "list", "--server", a.server, "--token", a.token],
    "agent list --config": ["agent", "list", "--config", os.path.abspath(a.config)],
}
samples = {}
for _ in range(a.runs):
    for image in a.images:
        for name, args in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([os.path.join(image, "bin/caxton")] + args, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            wall = time.perf_counter() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            samples.setdefault((name, image), []).append((wall, cpu))
print("load average: %.2f %.2f %.2f" % os.getloadavg())
for name in commands:
    for image in a.images:
        s = samples[(name, image)]
        print("%-30s %-40s wall p50 %5.0f ms  cpu p50 %5.0f ms  (n=%d)" % (
            name, image, statistics.median(x[0] for x in s) * 1000, statistics.median(x[1] for x in s) * 1000, len(s)))
