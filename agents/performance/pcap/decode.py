"""Link, network and tunnel decoding down to the TCP header, without allocating per layer.

`decode_tcp(linktype, buf, off, caplen, origlen)` walks the headers by offset into `buf` and
returns `None` (no TCP), `FRAGMENT` (an IP fragment after the first: counted, not reassembled),
`TOO_DEEP` (tunnels nested more than 8 deep: counted and reported, not decoded) or a `Segment`
tuple. A first fragment yields its TCP header with a reported length of -1: tshark shows that
header too, but nobody knows the segment's length, so it is not analysed.
Lengths follow Wireshark's "reported length": the wire length of the frame, cut down by
each IP/UDP length field, so a segment truncated by a mirror session's PacketLength or a
small snaplen still has its true payload length.

Addresses are ints for IPv4 and 16-byte `bytes` for IPv6, cheap to hash as flow keys;
`format_address` renders them. Flows inside VXLAN (UDP 4789) or GENEVE (UDP 6081) carry the
tunnel's VNI; elsewhere the VNI is -1. Also decoded: 802.1Q/802.1ad tags, LLC/SNAP, MPLS,
PPP and PPPoE, GRE (including WCCP redirects), IP-in-IP; not decoded: TCP quoted inside ICMP
errors or sFlow samples.
"""

from __future__ import annotations

import ipaddress
import struct

FRAGMENT = 1
TOO_DEEP = 2  # tunnels nested deeper than MAX_DEPTH: not decoded, but counted and reported

# Segment: (src, dst, sport, dport, vni, seq, ack, flags, window, hlen, tcp_reported_len, tcp_captured_len,
#           tcp_header_offset)
Segment = tuple

_IPV4 = struct.Struct("!BxHxxHxB2xII").unpack_from  # vihl, total_len, frag, proto, src, dst
_TCP = struct.Struct("!HHIIBBH").unpack_from  # sport, dport, seq, ack, off_x2, flags, window
_PORTS = struct.Struct("!HH").unpack_from
_H = struct.Struct("!H").unpack_from
_I = struct.Struct("!I").unpack_from
_LE_I = struct.Struct("<I").unpack_from
_SACK = struct.Struct("!II").unpack_from

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
_VLAN_TYPES = frozenset((0x8100, 0x88A8, 0x9100, 0x9200))
_IPV6_EXT = frozenset((0, 43, 60, 135, 139, 140))
VXLAN_PORT, GENEVE_PORT = 4789, 6081
MAX_DEPTH = 8  # tunnels within tunnels: bounded so a crafted frame cannot loop

# Link types (https://www.tcpdump.org/linktypes.html)
LINK_NULL, LINK_ETHERNET, LINK_PPP, LINK_RAW, LINK_RAW_BSD1, LINK_RAW_BSD2 = 0, 1, 9, 101, 12, 14
LINK_PPP_HDLC, LINK_LOOP, LINK_SLL, LINK_ARCNET_LINUX = 50, 108, 113, 129
LINK_IPV4, LINK_IPV6, LINK_IPOIB, LINK_SLL2 = 228, 229, 242, 276
SUPPORTED_LINKTYPES = frozenset(
    (
        LINK_NULL,
        LINK_ETHERNET,
        LINK_PPP,
        LINK_RAW,
        LINK_RAW_BSD1,
        LINK_RAW_BSD2,
        LINK_PPP_HDLC,
        LINK_LOOP,
        LINK_SLL,
        LINK_ARCNET_LINUX,
        LINK_IPV4,
        LINK_IPV6,
        LINK_IPOIB,
        LINK_SLL2,
    )
)


def format_address(addr: int | bytes) -> str:
    """Dotted IPv4 or compressed IPv6 text for a decoded address."""
    if isinstance(addr, int):
        return str(ipaddress.IPv4Address(addr))
    return str(ipaddress.IPv6Address(addr))


def decode_tcp(linktype: int, buf: bytes, off: int, caplen: int, origlen: int):
    """The TCP segment inside one captured frame, if any (see the module docstring)."""
    cend = off + caplen
    rend = off + (origlen if origlen > caplen else caplen)
    # ---- link layer -> (ethertype, offset) ----
    if linktype == LINK_ETHERNET:
        return _ether(buf, off, cend, rend, -1, 0)
    if linktype == LINK_SLL2:
        if cend - off < 20:
            return None
        return _ethertype(_H(buf, off)[0], buf, off + 20, cend, rend, -1, 0)
    if linktype == LINK_SLL:
        if cend - off < 16:
            return None
        return _ethertype(_H(buf, off + 14)[0], buf, off + 16, cend, rend, -1, 0)
    if linktype in (LINK_RAW, LINK_RAW_BSD1, LINK_RAW_BSD2, LINK_IPV4, LINK_IPV6):
        return _ip_by_version(buf, off, cend, rend, -1, 0)
    if linktype in (LINK_NULL, LINK_LOOP):
        if cend - off < 4:
            return None
        family = _I(buf, off)[0] if linktype == LINK_LOOP else _LE_I(buf, off)[0]
        if family > 0xFFFF:  # written in the other byte order
            family = ((family >> 24) & 0xFF) | ((family >> 8) & 0xFF00)
        if family == 2:
            return _ipv4(buf, off + 4, cend, rend, -1, 0)
        if family in (10, 23, 24, 28, 30):
            return _ipv6(buf, off + 4, cend, rend, -1, 0)
        return None
    if linktype in (LINK_PPP, LINK_PPP_HDLC):
        return _ppp(buf, off, cend, rend)
    if linktype == LINK_IPOIB:
        if cend - off < 44:
            return None
        return _ethertype(_H(buf, off + 40)[0], buf, off + 44, cend, rend, -1, 0)
    if linktype == LINK_ARCNET_LINUX:
        return _arcnet(buf, off, cend, rend)
    return None


def _ether(buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    if cend - o < 14:
        return None
    etype = (buf[o + 12] << 8) | buf[o + 13]
    o += 14
    if etype == ETH_IPV4:  # fast path
        return _ipv4(buf, o, cend, rend, vni, depth)
    if etype <= 1500:  # 802.3 length: only LLC/SNAP carries an ethertype
        if cend - o < 8 or buf[o] != 0xAA or buf[o + 1] != 0xAA or buf[o + 2] != 0x03:
            return None
        etype = _H(buf, o + 6)[0]
        o += 8
    return _ethertype(etype, buf, o, cend, rend, vni, depth)


def _ethertype(etype: int, buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    while etype in _VLAN_TYPES:
        if cend - o < 4:
            return None
        etype = _H(buf, o + 2)[0]
        o += 4
    if etype == ETH_IPV4:
        return _ipv4(buf, o, cend, rend, vni, depth)
    if etype == ETH_IPV6:
        return _ipv6(buf, o, cend, rend, vni, depth)
    if etype in (0x8847, 0x8848):
        return _mpls(buf, o, cend, rend, vni, depth)
    if etype == 0x8864:  # PPPoE session: 6-byte header, then a PPP protocol number
        if cend - o < 8:
            return None
        rend = min(rend, o + 6 + _H(buf, o + 4)[0])
        proto = _H(buf, o + 6)[0]
        return _ppp_proto(proto, buf, o + 8, cend, rend, vni, depth)
    return None


def _mpls(buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    while True:
        if cend - o < 4:
            return None
        bottom = buf[o + 2] & 0x01
        o += 4
        if bottom:
            break
    return _ip_by_version(buf, o, cend, rend, vni, depth)


def _ppp(buf: bytes, o: int, cend: int, rend: int):
    if cend - o < 2:
        return None
    if buf[o] == 0xFF and buf[o + 1] == 0x03:
        o += 2
    if cend - o < 1:
        return None
    if buf[o] & 0x01:  # compressed one-byte protocol field
        return _ppp_proto(buf[o], buf, o + 1, cend, rend, -1, 0)
    if cend - o < 2:
        return None
    return _ppp_proto(_H(buf, o)[0], buf, o + 2, cend, rend, -1, 0)


def _ppp_proto(proto: int, buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    if proto == 0x0021:
        return _ipv4(buf, o, cend, rend, vni, depth)
    if proto == 0x0057:
        return _ipv6(buf, o, cend, rend, vni, depth)
    if proto in (0x0281, 0x0283):
        return _mpls(buf, o, cend, rend, vni, depth)
    return None


def _arcnet(buf: bytes, o: int, cend: int, rend: int):
    # Linux ARCnet: source, destination, 2-byte offset, protocol id; RFC 1201 frames add a
    # split flag and a 2-byte sequence number (and 4 more bytes for an exception frame).
    if cend - o < 5:
        return None
    proto = buf[o + 4]
    if proto == 0xF0:  # RFC 1051 IP
        return _ipv4(buf, o + 5, cend, rend, -1, 0)
    if proto not in (0xD4, 0xC4):  # RFC 1201 IPv4 / IPv6
        return None
    if cend - o < 8:
        return None
    start = o + 8
    if buf[o + 5] == 0xFF:
        start += 4
    if proto == 0xD4:
        return _ipv4(buf, start, cend, rend, -1, 0)
    return _ipv6(buf, start, cend, rend, -1, 0)


def _ip_by_version(buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    if cend - o < 1:
        return None
    version = buf[o] >> 4
    if version == 4:
        return _ipv4(buf, o, cend, rend, vni, depth)
    if version == 6:
        return _ipv6(buf, o, cend, rend, vni, depth)
    return None


def _ipv4(buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    if cend - o < 20:
        return None
    vihl, total, frag, proto, src, dst = _IPV4(buf, o)
    ihl = (vihl & 0x0F) << 2
    if vihl >> 4 != 4 or ihl < 20 or cend - o < ihl:
        return None
    if total == 0:  # TSO/GSO: the length field is left to the NIC, so the frame decides
        total = rend - o
    elif total < ihl:
        return None
    end = o + total
    if end < rend:
        rend = end
    if frag & 0x3FFF:
        if frag & 0x1FFF:
            return FRAGMENT
        return _first_fragment(proto, src, dst, buf, o + ihl, cend, rend, vni, depth)
    return _l4(proto, src, dst, buf, o + ihl, cend, rend, vni, depth)


def _first_fragment(proto: int, src, dst, buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    """The first fragment's TCP header is shown (as tshark does), but its length is unknown."""
    seg = _l4(proto, src, dst, buf, o, cend, rend, vni, depth)
    if seg is TOO_DEEP:
        return seg
    if seg is None or seg is FRAGMENT or len(seg) != 13:
        return FRAGMENT
    return (*seg[:10], -1, *seg[11:])


def _ipv6(buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    if cend - o < 40:
        return None
    if buf[o] >> 4 != 6:
        return None
    plen = _H(buf, o + 4)[0]
    nh = buf[o + 6]
    src = buf[o + 8 : o + 24]
    dst = buf[o + 24 : o + 40]
    if plen:
        end = o + 40 + plen
        if end < rend:
            rend = end
    o += 40
    while True:
        if nh in _IPV6_EXT:
            if cend - o < 2:
                return None
            nh, size = buf[o], (buf[o + 1] + 1) << 3
        elif nh == 51:  # AH
            if cend - o < 2:
                return None
            nh, size = buf[o], (buf[o + 1] + 2) << 2
        elif nh == 44:  # fragment header
            if cend - o < 8:
                return None
            frag = _H(buf, o + 2)[0]
            if frag & 0xFFF8:  # not the first fragment
                return FRAGMENT
            if frag & 1:  # first of several
                return _first_fragment(buf[o], src, dst, buf, o + 8, cend, rend, vni, depth)
            nh, size = buf[o], 8
        else:
            break
        o += size
        if o > rend:
            return None
    return _l4(nh, src, dst, buf, o, cend, rend, vni, depth)


def _l4(proto: int, src, dst, buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    if proto == 6:
        tcap = (cend if cend < rend else rend) - o
        if tcap < 4:
            return None
        if tcap < 16:
            sport, dport = _PORTS(buf, o)
            return (src, dst, sport, dport, vni, 0, 0, 0, 0, 0, rend - o, tcap, o)
        sport, dport, seq, ack, offx2, flags, win = _TCP(buf, o)
        return (src, dst, sport, dport, vni, seq, ack, flags, win, (offx2 >> 4) << 2, rend - o, tcap, o)
    if depth >= MAX_DEPTH:
        return TOO_DEEP if _is_tunnel(proto, buf, o, cend) else None
    if proto == 17:
        if cend - o < 8:
            return None
        sport, dport, ulen = struct.unpack_from("!HHH", buf, o)
        if ulen >= 8 and o + ulen < rend:
            rend = o + ulen
        if dport == VXLAN_PORT or sport == VXLAN_PORT:
            if cend - o < 16:
                return None
            inner_vni = (_I(buf, o + 12)[0] >> 8) & 0xFFFFFF
            return _ether(buf, o + 16, cend, rend, inner_vni, depth + 1)
        if dport == GENEVE_PORT or sport == GENEVE_PORT:
            if cend - o < 16:
                return None
            optlen = (buf[o + 8] & 0x3F) << 2
            ptype = _H(buf, o + 10)[0]
            inner_vni = (_I(buf, o + 12)[0] >> 8) & 0xFFFFFF
            start = o + 16 + optlen
            if ptype == 0x6558:
                return _ether(buf, start, cend, rend, inner_vni, depth + 1)
            return _ethertype(ptype, buf, start, cend, rend, inner_vni, depth + 1)
        return None
    if proto == 4:
        return _ipv4(buf, o, cend, rend, vni, depth + 1)
    if proto == 41:
        return _ipv6(buf, o, cend, rend, vni, depth + 1)
    if proto == 47:
        return _gre(buf, o, cend, rend, vni, depth + 1)
    return None


def _is_tunnel(proto: int, buf: bytes, o: int, cend: int) -> bool:
    if proto in (4, 41, 47):
        return True
    if proto != 17 or cend - o < 4:
        return False
    sport, dport = _PORTS(buf, o)
    return bool({sport, dport} & {VXLAN_PORT, GENEVE_PORT})


def _gre(buf: bytes, o: int, cend: int, rend: int, vni: int, depth: int):
    if cend - o < 4:
        return None
    flags, ptype = struct.unpack_from("!HH", buf, o)
    if flags & 0x0007:  # only GRE version 0 carries plain payloads
        return None
    # optional words: checksum+offset (C or R bit), key (K), sequence number (S)
    size = 4 + (4 if flags & 0xC000 else 0) + (4 if flags & 0x2000 else 0) + (4 if flags & 0x1000 else 0)
    start = o + size
    if ptype == 0x6558:
        return _ether(buf, start, cend, rend, vni, depth)
    if ptype == 0x883E:  # WCCP redirect header (4 bytes) then IPv4
        return _ipv4(buf, start + 4, cend, rend, vni, depth)
    return _ethertype(ptype, buf, start, cend, rend, vni, depth)


def tcp_options(buf: bytes, start: int, end: int) -> tuple[int, int]:
    """(window scale shift or -1, bytes the SACK blocks cover or -1) of the options in buf[start:end].

    Stops quietly where the options are cut (the caller knows from the lengths that they were):
    what was read before the cut still counts, as in Wireshark's option dissector.
    """
    wscale = sacked = -1
    i = start
    while i < end:
        kind = buf[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= end:
            break
        length = buf[i + 1]
        if length < 2 or i + length > end:
            break
        if kind == 3 and length == 3:
            wscale = buf[i + 2]
        elif kind == 5 and length >= 10:
            sacked = 0
            for left in range(i + 2, i + length - 7, 8):
                lo, hi = _SACK(buf, left)
                sacked = (sacked + ((hi - lo) & 0xFFFFFFFF)) & 0xFFFFFFFF
        i += length
    return wscale, sacked
