"""`netops analyze-pcap FILE... [--json]`: Wireshark's TCP analysis of captures, fast.

Each file is analysed on its own (several at once, on all cores); a file that cannot be read
gets its one-sentence error and the others are still analysed. A file fails when nothing in it
could be analysed; one cut short (or stopped by --deadline-s) after some packets keeps its
error message but answers for those packets. The exit code is 1 when every file failed, else 0
(so a script can tell "nothing usable" from "some answers").
"""

from __future__ import annotations

import argparse
import json


def _run(args: argparse.Namespace) -> int:
    # Imported here so that `netops --help` and other subcommands never pay for the analyzer.
    from agents.performance.pcap import merge_results
    from agents.performance.pcap.parallel import analyze_paths
    from agents.performance.pcap.report import render_table

    deadline = args.deadline_s if args.deadline_s > 0 else None
    results = analyze_paths(args.files, deadline_s=deadline, workers=args.workers)
    shown = [merge_results(results)] if args.merge and len(results) > 1 else results
    if args.json:
        for result in shown:
            print(json.dumps(result.to_json(), separators=(",", ":")))
    else:
        print(render_table(shown, flows=args.flows), end="")
    return 1 if all(result.failed for result in results) else 0


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, not {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze-pcap",
        help="retransmissions, duplicate ACKs, lost segments and RTT of pcap/pcapng(.gz) captures",
        description="Wireshark's TCP analysis of each capture; exit code 1 only when every file failed.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="pcap, pcapng, optionally gzip-compressed")
    parser.add_argument("--json", action="store_true", help="one JSON object a line per file")
    parser.add_argument("--merge", action="store_true", help="one combined answer for all files (rotated captures)")
    parser.add_argument("--flows", type=_count, default=5, help="worst flows listed per file in the table (default 5)")
    parser.add_argument("--workers", type=_count, default=0, help="files analysed at once (default 0: one per core)")
    parser.add_argument(
        "--deadline-s",
        type=float,
        default=300.0,
        help="stop a file after this many seconds and report what was analysed (default 300; 0 = none)",
    )
    parser.set_defaults(handler=_run)
