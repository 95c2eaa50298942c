"""`netops eval`: run the answer-quality suite (`evals/*.yaml`) against the lab and print the pass rate.

Exit 0 whatever the rate (a low rate is a finding, not a crash); 2 when the suite cannot be
read or selects nothing, 1 when a case could not run (its stack did not start, a placeholder
the lab cannot fill).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from agents.agent_command import quiet_sdk_spans

    quiet_sdk_spans()  # before a2a is imported: its no-op spans only add noise when streams close at GC
    import asyncio

    from agents.evals.cases import SUITE_DIR, CaseError, load_suite
    from agents.evals.isolation import run_isolated
    from agents.evals.report import CaseResult, case_line, render
    from agents.evals.runner import first_of_each_scenario, run_suite, stage_all
    from agents.settings import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # a2a-sdk warns when a stream its client closed at the answer ends ("Dispatcher task is not running"):
    # noise between the case lines, not a finding.
    logging.getLogger("a2a").setLevel(logging.ERROR)
    try:
        cases = load_suite(Path(args.cases) if args.cases else SUITE_DIR)
        if args.case:
            cases = [c for c in cases if c.id in set(args.case)]
        if args.scenario:
            cases = [c for c in cases if c.scenario == args.scenario]
        if args.first:
            cases = first_of_each_scenario(cases, args.first)
        if not cases:
            raise CaseError(
                "no case matches "
                + " ".join(f"--case {c}" for c in args.case or [])
                + (f" --scenario {args.scenario}" if args.scenario else "")
            )
        stage_all(cases)
    except CaseError as exc:
        print(f"netops eval: {exc}", file=sys.stderr)
        return 2

    def show(result: CaseResult) -> None:
        print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else case_line(result), flush=True)

    started = time.monotonic()
    if args.in_process:
        results = asyncio.run(run_suite(load_settings(), cases, on_result=show))
    else:
        results = run_isolated(cases, Path(args.cases) if args.cases else None, on_result=show)
    seconds = time.monotonic() - started
    if args.json:
        passed = sum(r.passed for r in results)
        print(
            json.dumps(
                {
                    "cases": len(results),
                    "passed": passed,
                    "seconds": round(seconds, 1),
                    "pass_rate": round(100 * passed / len(results), 1),
                }
            )
        )
    else:
        print(render(results, seconds))
    return 1 if any(r.outcome == "ERROR" for r in results) else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="run the answer-quality eval suite (evals/) against the lab")
    parser.add_argument("--case", action="append", metavar="ID", help="run only this case (repeatable)")
    parser.add_argument("--scenario", metavar="NAME", help="run only this scenario's cases")
    parser.add_argument(
        "--first",
        type=int,
        metavar="N",
        help="run only the first N cases of each scenario (CI's sample: one stack per scenario, every cause)",
    )
    parser.add_argument("--cases", metavar="DIR", help="read the cases from DIR instead of the repository's evals/")
    parser.add_argument("--json", action="store_true", help="one JSON object a line per case, then the summary")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run every stack in this process (the child of each scenario does; by default each has its own)",
    )
    parser.set_defaults(handler=_run)
