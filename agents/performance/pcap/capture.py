"""Capture containers: pcap, pcapng and gzip, read strictly sequentially.

Captures come from S3 (`StreamingBody`: no seek) and can be gigabytes, so the file is read in
chunks and records are yielded as offsets into the current chunk instead of copies. A record is
`(ts_ns, linktype, buf, offset, caplen, origlen)`; timestamps are integer nanoseconds so that
Wireshark's thresholds (3 ms, 20 ms) compare exactly as tshark compares them.

Every structural problem raises `CaptureError` with the sentence an operator reads; records
yielded before the problem stay analysed (a capture cut short still answers for what it holds).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

CHUNK = 1 << 20
MAX_RECORD = 1 << 26  # 64 MiB: no sane packet or pcapng block is larger

Record = tuple[int, int, bytes, int, int, int]


class CaptureError(Exception):
    """The capture cannot be read (further); the message is one sentence for the operator."""


class _Source:
    """Sequential byte source over a binary stream, transparently gunzipping.

    gzip is inflated as raw deflate with the header and trailer read here, so that a bad CRC or
    length in the trailer is reported after every decompressed byte was handed on (zlib's own
    gzip mode raises in the call that reaches the trailer, losing what that call inflated).
    """

    __slots__ = ("_crc", "_eof", "_gzip", "_inflate", "_raw", "_size", "_stream")

    def __init__(self, stream: BinaryIO, head: bytes) -> None:
        self._stream = stream
        self._raw = head
        self._eof = False
        self._inflate = None
        self._gzip = False
        self._crc = self._size = 0

    def enable_gzip(self) -> None:
        self._gzip = True
        self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        self._raw = self._member_start(self._raw)

    def _more(self) -> bytes:
        if self._eof:
            return b""
        data = self._stream.read(CHUNK)
        if not data:
            self._eof = True
        return data

    def _fill(self, data: bytes, n: int) -> bytes:
        """`data` with at least n bytes when the stream has them."""
        while len(data) < n:
            more = self._more()
            if not more:
                break
            data += more
        return data

    def _member_start(self, data: bytes) -> bytes:
        """Skip one gzip member header (RFC 1952 section 2.3); returns the bytes after it."""
        data = self._fill(data, 10)
        if len(data) < 10 or data[:3] != b"\x1f\x8b\x08":
            raise CaptureError("the gzip data is corrupt (not a gzip member header)")
        flags, pos = data[3], 10
        if flags & 0x04:  # FEXTRA
            data = self._fill(data, pos + 2)
            pos += 2 + int.from_bytes(data[pos : pos + 2], "little")
        for bit in (0x08, 0x10):  # FNAME, FCOMMENT: zero-terminated
            if flags & bit:
                while (end := data.find(b"\x00", pos)) < 0:
                    more = self._more()
                    if not more:
                        raise CaptureError("the gzip stream ends early: the file is cut short")
                    data += more
                pos = end + 1
        if flags & 0x02:  # FHCRC
            pos += 2
        data = self._fill(data, pos)
        if len(data) < pos:
            raise CaptureError("the gzip stream ends early: the file is cut short")
        self._crc = self._size = 0
        return data[pos:]

    def _member_end(self, rest: bytes) -> bytes:
        """Check the trailer after a member's deflate data; returns what follows it."""
        rest = self._fill(rest, 8)
        if len(rest) < 8:
            raise CaptureError("the gzip stream ends early: the file is cut short")
        crc, size = int.from_bytes(rest[:4], "little"), int.from_bytes(rest[4:8], "little")
        if crc != self._crc or size != self._size & 0xFFFFFFFF:
            raise CaptureError("the gzip data is corrupt (its CRC or length check failed)")
        rest = self._fill(rest[8:], 1)
        if rest:  # another gzip member follows (concatenated .gz files)
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._member_start(rest)
        self._inflate = None
        return b""

    def read(self) -> bytes:
        """Next chunk of (decompressed) bytes; b'' at the end."""
        while True:
            if not self._gzip:
                data, self._raw = self._raw, b""
                return data or self._more()
            inflate = self._inflate
            if inflate is None:  # the last member ended well
                return b""
            if inflate.eof:  # everything inflated was handed on: now the trailer may fail
                self._raw = self._member_end(self._raw)
                continue
            data, self._raw = self._raw, b""
            if not data:
                data = self._more()
                if not data:
                    raise CaptureError("the gzip stream ends early: the file is cut short")
            try:
                out = inflate.decompress(data, CHUNK * 4)
            except zlib.error as exc:
                raise CaptureError(f"the gzip data is corrupt ({exc})") from None
            self._raw = inflate.unused_data if inflate.eof else inflate.unconsumed_tail
            if out:
                self._crc = zlib.crc32(out, self._crc)
                self._size += len(out)
                return out


class Buffer:
    """A window over the source; `need(n)` makes n bytes available from `pos`."""

    __slots__ = ("buf", "pos", "src")

    def __init__(self, src: _Source) -> None:
        self.src = src
        self.buf = b""
        self.pos = 0

    def need(self, n: int) -> bool:
        """True when n bytes are available at pos (refilling as needed); False at a clean EOF."""
        if len(self.buf) - self.pos >= n:
            return True
        parts = [self.buf[self.pos :]]
        have = len(parts[0])
        while have < n:
            data = self.src.read()
            if not data:
                break
            parts.append(data)
            have += len(data)
        self.buf = b"".join(parts)
        self.pos = 0
        return have >= n


PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000),
    b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),
    b"\xa1\xb2\x3c\x4d": (">", 1),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
NOT_A_CAPTURE = "not a pcap or pcapng file"


class PcapBody:
    """A classic pcap past its file header, for a reader that walks the records itself (the
    compiled kernel): the record bytes come in chunks, the first one what the header left over."""

    __slots__ = ("_buffer", "big_endian", "frac_ns", "linktype")

    def __init__(self, buffer: Buffer, big_endian: bool, frac_ns: int, linktype: int) -> None:
        self._buffer = buffer
        self.big_endian = big_endian
        self.frac_ns = frac_ns
        self.linktype = linktype

    def chunks(self) -> Iterator[bytes]:
        """The record bytes in file order, each chunk as it was read (b"" never yielded)."""
        b = self._buffer
        left = b.buf[b.pos :]
        b.buf, b.pos = b"", 0
        if left:
            yield left
        while data := b.src.read():
            yield data


def open_capture(stream: BinaryIO) -> PcapBody | Buffer:
    """A classic pcap's body (`PcapBody`), or a pcapng's buffer at its first block (`read_block`)."""
    b, magic = _open(stream)
    if magic in PCAP_MAGICS:
        order, frac_ns = PCAP_MAGICS[magic]
        _unpack, linktype = _pcap_header(b, order)
        return PcapBody(b, order == ">", frac_ns, linktype)
    return b


def read_records(stream: BinaryIO) -> Iterator[Record]:
    """Yield every packet record of a pcap/pcapng (optionally gzipped) stream, in file order."""
    b, magic = _open(stream)
    if magic in PCAP_MAGICS:
        return _pcap(b, *PCAP_MAGICS[magic])
    return _pcapng(b)


def _open(stream: BinaryIO) -> tuple[Buffer, bytes]:
    """The stream behind a buffer, gunzipped when it is gzip, and the capture's magic number."""
    head = b""
    while len(head) < 4:  # network streams may return short reads
        more = stream.read(4 - len(head))
        if not more:
            break
        head += more
    src = _Source(stream, head)
    if head[:2] == b"\x1f\x8b":
        src.enable_gzip()
    b = Buffer(src)
    if not b.need(4):
        if b.buf:
            raise CaptureError(NOT_A_CAPTURE)
        raise CaptureError("the file is empty: it holds no capture header")
    magic = b.buf[b.pos : b.pos + 4]
    if magic in PCAP_MAGICS or magic == PCAPNG_MAGIC:
        return b, magic
    raise CaptureError(NOT_A_CAPTURE)


def _pcap(b: Buffer, order: str, frac_ns: int) -> Iterator[Record]:
    unpack, linktype = _pcap_header(b, order)
    return _pcap_records(b, unpack, linktype, frac_ns, 1_000_000_000)


def _pcap_header(b: Buffer, order: str):
    """Read the 24-byte file header: (the record header's unpack, the link type)."""
    if not b.need(24):
        raise CaptureError("the pcap file header is cut short")
    major, _minor, _tz, _sigfigs, _snaplen, network = struct.unpack_from(order + "HHiIII", b.buf, b.pos + 4)
    if major != 2:
        raise CaptureError(f"pcap version {major} is not supported (only version 2 exists)")
    # The upper bits of the link-type field carry FCS information; the type is the low 16 bits.
    # A trailing FCS needs no stripping: IP's own length fields end the datagram before it.
    linktype = network & 0xFFFF
    b.pos += 24
    return struct.Struct(order + "IIII").unpack_from, linktype


def _pcap_records(b: Buffer, unpack, linktype: int, frac_ns: int, sec_ns: int) -> Iterator[Record]:
    buf = b.buf
    pos = b.pos
    end = len(buf)
    while True:
        if end - pos < 16:
            b.pos = pos
            if not b.need(16):
                if len(b.buf) - b.pos:
                    raise CaptureError("the file is cut short in the middle of a record header")
                return
            buf, pos, end = b.buf, b.pos, len(b.buf)
        sec, frac, caplen, origlen = unpack(buf, pos)
        if caplen > MAX_RECORD:
            raise CaptureError(f"a record claims {caplen} bytes, so the file is corrupt from there on")
        body = pos + 16
        if end - body < caplen:
            b.pos = pos
            if not b.need(16 + caplen):
                raise CaptureError("the file is cut short in the middle of a packet")
            buf, pos, end = b.buf, b.pos, len(b.buf)
            body = pos + 16
        pos = body + caplen
        yield sec * sec_ns + frac * frac_ns, linktype, buf, body, caplen, origlen


def _tsresol_ns(value: int) -> tuple[int, int]:
    """(multiplier, divisor) turning pcapng timestamp units into nanoseconds."""
    if value & 0x80:
        return 1_000_000_000, 1 << (value & 0x7F)
    exp = value & 0x7F
    if exp <= 9:
        return 10 ** (9 - exp), 1
    return 1, 10 ** (exp - 9)


class PcapngSection:
    """What a pcapng's blocks have said so far: the current section's byte order and interfaces
    (link type, timestamp multiplier and divisor to nanoseconds), and whether the file ended."""

    __slots__ = ("ended", "interfaces", "order", "seen")

    def __init__(self) -> None:
        self.order = "<"
        self.interfaces: list[tuple[int, int, int]] = []
        self.seen = False
        self.ended = False


def _pcapng(b: Buffer) -> Iterator[Record]:
    section = PcapngSection()
    while True:
        record = read_block(b, section)
        if section.ended:
            return
        if record is not None:
            yield record


def read_block(b: Buffer, section: PcapngSection) -> Record | None:
    """Read one pcapng block at `b.pos`: its packet, if it holds one (None otherwise, and at the
    end, where `section.ended` is set). Raises CaptureError with the operator's sentence."""
    if not b.need(12):
        if len(b.buf) - b.pos:
            raise CaptureError("the file is cut short in the middle of a pcapng block header")
        section.ended = True
        return None
    order = section.order
    buf, pos = b.buf, b.pos
    btype = struct.unpack_from(order + "I", buf, pos)[0]
    if buf[pos : pos + 4] == PCAPNG_MAGIC:
        bom = buf[pos + 8 : pos + 12]
        if bom == b"\x4d\x3c\x2b\x1a":
            order = "<"
        elif bom == b"\x1a\x2b\x3c\x4d":
            order = ">"
        else:
            raise CaptureError("a pcapng section header has an invalid byte-order magic")
        btype = 0x0A0D0D0A
    elif not section.seen:
        raise CaptureError(NOT_A_CAPTURE)
    blen = struct.unpack_from(order + "I", buf, pos + 4)[0]
    if blen < 12 or blen % 4 or blen > MAX_RECORD:
        raise CaptureError(f"a pcapng block claims a length of {blen} bytes, so the file is corrupt from there on")
    if not b.need(blen):
        raise CaptureError("the file is cut short in the middle of a pcapng block")
    buf, pos = b.buf, b.pos
    b.pos = pos + blen
    body, bend = pos + 8, pos + blen - 4
    if btype == 0x0A0D0D0A:
        section.order, section.seen, section.interfaces = order, True, []
    elif btype == 1:  # interface description
        if bend - body < 8:
            raise CaptureError("a pcapng interface description block is too short")
        linktype = struct.unpack_from(order + "H", buf, body)[0]
        mult, div = 1000, 1
        for code, value in _options(buf, body + 8, bend, order):
            if code == 9 and value:
                mult, div = _tsresol_ns(value[0])
        section.interfaces.append((linktype, mult, div))
    elif btype in (6, 2):  # enhanced / obsolete packet block
        if bend - body < 20:
            raise CaptureError("a pcapng packet block is too short")
        if btype == 6:
            ifid, hi, lo, caplen, origlen = struct.unpack_from(order + "IIIII", buf, body)
        else:
            ifid, _drops, hi, lo, caplen, origlen = struct.unpack_from(order + "HHIIII", buf, body)
        data = body + 20
        if caplen > bend - data:
            raise CaptureError("a pcapng packet block holds less data than its captured length says")
        if ifid >= len(section.interfaces):
            raise CaptureError(f"a packet refers to interface {ifid}, which the section never described")
        linktype, mult, div = section.interfaces[ifid]
        return ((hi << 32) | lo) * mult // div, linktype, buf, data, caplen, origlen
    elif btype == 3:  # simple packet block: no timestamp
        if not section.interfaces:
            raise CaptureError("a pcapng simple packet block appears before any interface description")
        origlen = struct.unpack_from(order + "I", buf, body)[0]
        data = body + 4
        return 0, section.interfaces[0][0], buf, data, min(origlen, bend - data), origlen
    # every other block type (name resolution, statistics, custom, ...) carries no packets
    return None


def _options(buf: bytes, pos: int, end: int, order: str) -> Iterator[tuple[int, bytes]]:
    while pos + 4 <= end:
        code, length = struct.unpack_from(order + "HH", buf, pos)
        if code == 0:
            return
        value = buf[pos + 4 : min(end, pos + 4 + length)]
        yield code, value
        pos += 4 + ((length + 3) & ~3)
