"""TCP analysis of packet captures, as Wireshark's TCP analysis answers it, streaming.

`analyze_stream` reads a pcap/pcapng (optionally gzipped) capture sequentially, so an S3
`StreamingBody` works, and never raises: every problem becomes `result.error`, one sentence.
Deliberately light: no boto3, no a2a, so `netops analyze-pcap` starts fast.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import BinaryIO

from agents.performance.pcap import kernel
from agents.performance.pcap.capture import CaptureError, read_records
from agents.performance.pcap.decode import SUPPORTED_LINKTYPES
from agents.performance.pcap.result import AnalysisResult, FlowStats, merge_results
from agents.performance.pcap.tcp import MAX_CONVERSATIONS, DeadlineExceeded, analyze_records

__all__ = ["AnalysisResult", "FlowStats", "analyze_path", "analyze_stream", "merge_results"]


def analyze_stream(
    stream: BinaryIO,
    *,
    name: str,
    deadline_s: float | None = 30.0,
    max_conversations: int = MAX_CONVERSATIONS,
) -> AnalysisResult:
    """Analyse one capture read from `stream`; counts cover what was read even on error.

    `max_conversations` bounds the connections held at once (memory), see `tcp._sweep`. The
    compiled kernel answers when it was built (`kernel.use_kernel`), the pure-Python path else:
    the same answer either way.
    """
    result = AnalysisResult(file=name)
    started = time.monotonic()
    try:
        if kernel.use_kernel():
            linktypes = kernel.analyze(stream, result, deadline_s, max_conversations)
        else:
            linktypes = analyze_records(read_records(stream), result, deadline_s, max_conversations)
    except CaptureError as exc:
        result.error = str(exc)
        if result.packets:
            result.error += f"; the counts cover the {result.packets} packets before that point"
    except DeadlineExceeded:
        result.error = (
            f"the analysis took longer than {deadline_s:g} s and stopped after {result.packets} packets; "
            "the counts cover those packets"
        )
    except OSError as exc:
        result.error = f"the capture could not be read ({exc.strerror or exc})"
    except Exception as exc:  # a bug must not take the caller down: report it for this file
        result.error = f"the analyzer failed on this file ({type(exc).__name__}: {exc}); please report it"
    else:
        if result.tunnels_too_deep and not result.counts["tcp_packets"]:
            result.error = (
                f"{result.tunnels_too_deep} packets are tunnels nested more than 8 deep, which are not decoded, "
                "so no TCP could be analysed"
            )
        elif linktypes and not linktypes & SUPPORTED_LINKTYPES:
            kinds = ", ".join(str(lt) for lt in sorted(linktypes))
            result.error = f"link type {kinds} is not supported, so no packet could be decoded"
    result.elapsed_s = time.monotonic() - started
    return result


def analyze_path(path: str | Path, *, deadline_s: float | None = 30.0) -> AnalysisResult:
    """Analyse the capture file at `path` (see `analyze_stream`)."""
    name = str(path)
    try:
        with open(path, "rb", buffering=0) as stream:
            return analyze_stream(stream, name=name, deadline_s=deadline_s)
    except IsADirectoryError:
        return AnalysisResult(file=name, error="this is a directory, not a capture file")
    except FileNotFoundError:
        return AnalysisResult(file=name, error="no such file")
    except PermissionError:
        return AnalysisResult(file=name, error="permission denied: the file cannot be read")
    except OSError as exc:
        return AnalysisResult(file=name, error=f"the file cannot be opened ({exc.strerror or exc})")
