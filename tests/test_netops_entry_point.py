"""The netops command: one entry point that loads only the role it runs."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from shared_captures import CAPTURES

from agents.cli import COMMANDS, build_parser

SYNTHETIC = CAPTURES / "synthetic" / "synthetic_tcp_events.pcap"


def test_help_lists_every_command() -> None:
    help_text = build_parser([]).format_help()
    for name in COMMANDS:
        assert name in help_text


def test_analyze_pcap_does_not_load_slack_moto_or_redis() -> None:
    probe = (
        "import sys; from agents.cli import main; "
        f"code = main(['analyze-pcap', '--json', {str(SYNTHETIC)!r}]); "
        "heavy = [m for m in ('slack_bolt', 'moto', 'redis', 'a2a', 'boto3') if m in sys.modules]; "
        "print('LOADED', heavy, code, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(done.stdout)["counts"]["retransmissions"] == 3
    assert "LOADED [] 0" in done.stderr


def test_each_command_is_registered_by_the_module_it_names() -> None:
    for name in COMMANDS:
        parser = build_parser([name])
        (subcommands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        assert name in subcommands.choices
        assert callable(subcommands.choices[name].get_default("handler"))
