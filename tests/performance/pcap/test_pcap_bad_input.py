"""Bad input never escapes as an exception: every file gets a result or one sentence of error."""

from __future__ import annotations

import gzip
import io
import os
import time
from pathlib import Path

import pytest
from pcap_corpus import CAPTURES

from agents.performance.pcap import analyze_path, analyze_stream
from agents.performance.pcap.capture import CHUNK
from agents.performance.pcap.generator import FlowSpec, write_capture

TCPDUMP_FILES = sorted(p for p in (CAPTURES / "tcpdump").iterdir() if p.is_file())
SYNTHETIC = CAPTURES / "synthetic/synthetic_tcp_events.pcap"


def _is_one_sentence(text: str) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text and len(text) < 300


@pytest.mark.parametrize("path", TCPDUMP_FILES, ids=lambda p: p.name)
def test_every_tcpdump_corpus_file_gets_a_result_or_one_sentence(path: Path) -> None:
    started = time.monotonic()

    result = analyze_path(path, deadline_s=10)

    assert result.error is None or _is_one_sentence(result.error)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "content",
    [b"hello, this is a text file\nnot a capture\n", os.urandom(4096), b"\x00" * 100, b"PK\x03\x04zipfile"],
    ids=["text", "random", "zeros", "zip"],
)
def test_a_file_that_is_no_capture_is_named_so(content: bytes) -> None:
    result = analyze_stream(io.BytesIO(content), name="junk")

    assert result.error == "not a pcap or pcapng file"


def test_an_empty_file_is_reported_as_empty() -> None:
    result = analyze_stream(io.BytesIO(b""), name="empty")

    assert result.error is not None and "empty" in result.error


def test_a_capture_cut_mid_packet_keeps_the_packets_before_the_cut() -> None:
    data = SYNTHETIC.read_bytes()

    result = analyze_stream(io.BytesIO(data[: len(data) - 30]), name="cut")

    assert result.packets == 38
    assert result.counts["tcp_packets"] == 38
    assert "cut short" in result.error and "38 packets" in result.error


def test_corrupt_gzip_is_an_error_not_an_exception() -> None:
    packed = bytearray(gzip.compress(SYNTHETIC.read_bytes()))
    packed[len(packed) // 2 : len(packed) // 2 + 40] = b"\xff" * 40

    result = analyze_stream(io.BytesIO(bytes(packed)), name="corrupt.gz")

    assert _is_one_sentence(result.error) and "gzip" in result.error


def test_a_read_failure_is_reported_for_that_file() -> None:
    class Failing(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            raise OSError(5, "Input/output error")

    result = analyze_stream(Failing(), name="failing")

    assert result.error == "the capture could not be read (Input/output error)"


def test_unsupported_link_type_is_named() -> None:
    header = bytearray(SYNTHETIC.read_bytes())
    header[20:24] = (147).to_bytes(4, "little")  # LINKTYPE_USER0

    result = analyze_stream(io.BytesIO(bytes(header)), name="user0")

    assert result.error == "link type 147 is not supported, so no packet could be decoded"


def test_missing_file_and_directory_are_errors() -> None:
    assert analyze_path("/nonexistent/capture.pcap").error == "no such file"
    assert analyze_path(CAPTURES).error == "this is a directory, not a capture file"


def test_deadline_stops_the_file_and_keeps_what_was_counted(tmp_path: Path) -> None:
    path = tmp_path / "long.pcap"
    written = write_capture(path, [FlowSpec(segments=3000)], seed=1, start_time=1.0)

    result = analyze_path(path, deadline_s=0.0)

    assert "longer than 0 s" in result.error
    assert 0 < result.packets < written
    assert result.counts["tcp_packets"] == result.packets


class _NoSeek(io.RawIOBase):
    """A forward-only stream like botocore's StreamingBody, recording the reads asked for."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.sizes: list[int] = []

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def seek(self, *args) -> int:
        raise OSError("not seekable")

    def read(self, size: int = -1) -> bytes:
        self.sizes.append(size)
        return self._data.read(size)


def test_forward_only_stream_is_read_in_bounded_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.pcap"
    write_capture(path, [FlowSpec(segments=2000)], seed=4, start_time=1.0)
    data = path.read_bytes()
    stream = _NoSeek(data)

    result = analyze_stream(stream, name="s3-like")

    assert result.error is None
    assert result.counts == analyze_path(path).counts
    assert len(data) > 2 * CHUNK
    assert all(0 < size <= CHUNK for size in stream.sizes)


def test_gzip_stream_gives_the_same_answer_as_the_plain_file() -> None:
    plain = analyze_path(SYNTHETIC)

    packed = analyze_stream(_NoSeek(gzip.compress(SYNTHETIC.read_bytes())), name="synthetic.pcap.gz")

    assert packed.counts == plain.counts and packed.frames == plain.frames
