"""How long the lab takes to start with an hour of history, against one minute of it.

    uv run python bench/bench_lab_start.py [--runs 3] [--scenario incident]

Each run starts a lab (no clock) with `history_minutes=1`, the baseline measured in the same
run, and then with the default 60, and stops both. The first lab of the process pays for
moto's imports and is not counted. The difference is what an hour of captures (one sample per
host state, re-timed per minute) and CloudWatch datapoints cost at start-up.

Last line: the median start-up seconds of both, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

from agents.lab.scenarios import load_scenario
from agents.lab.server import Lab, LabConfig


def _start_s(config: LabConfig) -> float:
    started = time.perf_counter()
    lab = Lab(config=config)
    lab.start()
    elapsed = time.perf_counter() - started
    lab.stop()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", default="incident")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    _start_s(LabConfig(scenario=scenario, history_minutes=1, rotation_s=None))  # moto's imports
    baseline, hour = [], []
    for run in range(args.runs):
        baseline.append(_start_s(LabConfig(scenario=scenario, history_minutes=1, rotation_s=None)))
        hour.append(_start_s(LabConfig(scenario=scenario, rotation_s=None)))
        print(f"run {run + 1}: 1 minute {baseline[-1]:.2f} s, 60 minutes {hour[-1]:.2f} s")
    one, sixty = statistics.median(baseline), statistics.median(hour)
    print(
        f"lab start with 60 minutes of history: {sixty:.2f} s; with 1 minute (baseline): {one:.2f} s; "
        f"ratio {sixty / one:.2f}"
    )


if __name__ == "__main__":
    main()
