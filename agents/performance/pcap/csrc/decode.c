/* Link, network and tunnel decoding down to the TCP header: decode.py, check for check. */
#include "kernel.h"

typedef struct {
    const uint8_t *b;
    long cend;
    int max_depth;
    Seg *seg;
} Dec;

static int d_ether(Dec *d, long o, long rend, int32_t vni, int depth);
static int d_ethertype(Dec *d, int etype, long o, long rend, int32_t vni, int depth);
static int d_ipv4(Dec *d, long o, long rend, int32_t vni, int depth);
static int d_ipv6(Dec *d, long o, long rend, int32_t vni, int depth);
static int d_l4(Dec *d, int proto, const uint8_t *src, const uint8_t *dst, int v6, long o, long rend, int32_t vni,
                int depth);

static int d_ip_by_version(Dec *d, long o, long rend, int32_t vni, int depth) {
    if (d->cend - o < 1) return DEC_NONE;
    int version = d->b[o] >> 4;
    if (version == 4) return d_ipv4(d, o, rend, vni, depth);
    if (version == 6) return d_ipv6(d, o, rend, vni, depth);
    return DEC_NONE;
}

static int d_mpls(Dec *d, long o, long rend, int32_t vni, int depth) {
    for (;;) {
        if (d->cend - o < 4) return DEC_NONE;
        int bottom = d->b[o + 2] & 0x01;
        o += 4;
        if (bottom) break;
    }
    return d_ip_by_version(d, o, rend, vni, depth);
}

static int d_ppp_proto(Dec *d, int proto, long o, long rend, int32_t vni, int depth) {
    if (proto == 0x0021) return d_ipv4(d, o, rend, vni, depth);
    if (proto == 0x0057) return d_ipv6(d, o, rend, vni, depth);
    if (proto == 0x0281 || proto == 0x0283) return d_mpls(d, o, rend, vni, depth);
    return DEC_NONE;
}

static int d_ether(Dec *d, long o, long rend, int32_t vni, int depth) {
    if (d->cend - o < 14) return DEC_NONE;
    int etype = be16(d->b + o + 12);
    o += 14;
    if (etype == 0x0800) return d_ipv4(d, o, rend, vni, depth);
    if (etype <= 1500) { /* 802.3 length: only LLC/SNAP carries an ethertype */
        if (d->cend - o < 8 || d->b[o] != 0xAA || d->b[o + 1] != 0xAA || d->b[o + 2] != 0x03) return DEC_NONE;
        etype = be16(d->b + o + 6);
        o += 8;
    }
    return d_ethertype(d, etype, o, rend, vni, depth);
}

static int d_ethertype(Dec *d, int etype, long o, long rend, int32_t vni, int depth) {
    while (etype == 0x8100 || etype == 0x88A8 || etype == 0x9100 || etype == 0x9200) {
        if (d->cend - o < 4) return DEC_NONE;
        etype = be16(d->b + o + 2);
        o += 4;
    }
    if (etype == 0x0800) return d_ipv4(d, o, rend, vni, depth);
    if (etype == 0x86DD) return d_ipv6(d, o, rend, vni, depth);
    if (etype == 0x8847 || etype == 0x8848) return d_mpls(d, o, rend, vni, depth);
    if (etype == 0x8864) { /* PPPoE session */
        if (d->cend - o < 8) return DEC_NONE;
        long end = o + 6 + be16(d->b + o + 4);
        if (end < rend) rend = end;
        return d_ppp_proto(d, be16(d->b + o + 6), o + 8, rend, vni, depth);
    }
    return DEC_NONE;
}

static int d_ppp(Dec *d, long o, long rend) {
    if (d->cend - o < 2) return DEC_NONE;
    if (d->b[o] == 0xFF && d->b[o + 1] == 0x03) o += 2;
    if (d->cend - o < 1) return DEC_NONE;
    if (d->b[o] & 0x01) return d_ppp_proto(d, d->b[o], o + 1, rend, -1, 0);
    if (d->cend - o < 2) return DEC_NONE;
    return d_ppp_proto(d, be16(d->b + o), o + 2, rend, -1, 0);
}

static int d_arcnet(Dec *d, long o, long rend) {
    if (d->cend - o < 5) return DEC_NONE;
    int proto = d->b[o + 4];
    if (proto == 0xF0) return d_ipv4(d, o + 5, rend, -1, 0);
    if (proto != 0xD4 && proto != 0xC4) return DEC_NONE;
    if (d->cend - o < 8) return DEC_NONE;
    long start = o + 8;
    if (d->b[o + 5] == 0xFF) start += 4;
    if (proto == 0xD4) return d_ipv4(d, start, rend, -1, 0);
    return d_ipv6(d, start, rend, -1, 0);
}

static int d_first_fragment(Dec *d, int proto, const uint8_t *src, const uint8_t *dst, int v6, long o, long rend,
                            int32_t vni, int depth) {
    int r = d_l4(d, proto, src, dst, v6, o, rend, vni, depth);
    if (r == DEC_TOO_DEEP) return r;
    if (r != DEC_SEG) return DEC_FRAGMENT;
    d->seg->treported = -1;
    return DEC_SEG;
}

static int d_ipv4(Dec *d, long o, long rend, int32_t vni, int depth) {
    if (d->cend - o < 20) return DEC_NONE;
    const uint8_t *p = d->b + o;
    int vihl = p[0];
    long total = be16(p + 2);
    int frag = be16(p + 6);
    int proto = p[9];
    long ihl = (vihl & 0x0F) << 2;
    if ((vihl >> 4) != 4 || ihl < 20 || d->cend - o < ihl) return DEC_NONE;
    if (total == 0)
        total = rend - o; /* TSO/GSO */
    else if (total < ihl)
        return DEC_NONE;
    long end = o + total;
    if (end < rend) rend = end;
    if (frag & 0x3FFF) {
        if (frag & 0x1FFF) return DEC_FRAGMENT;
        return d_first_fragment(d, proto, p + 12, p + 16, 0, o + ihl, rend, vni, depth);
    }
    return d_l4(d, proto, p + 12, p + 16, 0, o + ihl, rend, vni, depth);
}

static int d_ipv6(Dec *d, long o, long rend, int32_t vni, int depth) {
    if (d->cend - o < 40) return DEC_NONE;
    const uint8_t *p = d->b + o;
    if ((p[0] >> 4) != 6) return DEC_NONE;
    long plen = be16(p + 4);
    int nh = p[6];
    const uint8_t *src = p + 8, *dst = p + 24;
    if (plen) {
        long end = o + 40 + plen;
        if (end < rend) rend = end;
    }
    o += 40;
    for (;;) {
        long size;
        if (nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 139 || nh == 140) {
            if (d->cend - o < 2) return DEC_NONE;
            size = ((long)d->b[o + 1] + 1) << 3;
            nh = d->b[o];
        } else if (nh == 51) { /* AH */
            if (d->cend - o < 2) return DEC_NONE;
            size = ((long)d->b[o + 1] + 2) << 2;
            nh = d->b[o];
        } else if (nh == 44) { /* fragment header */
            if (d->cend - o < 8) return DEC_NONE;
            int frag = be16(d->b + o + 2);
            if (frag & 0xFFF8) return DEC_FRAGMENT;
            if (frag & 1) return d_first_fragment(d, d->b[o], src, dst, 1, o + 8, rend, vni, depth);
            nh = d->b[o];
            size = 8;
        } else {
            break;
        }
        o += size;
        if (o > rend) return DEC_NONE;
    }
    return d_l4(d, nh, src, dst, 1, o, rend, vni, depth);
}

static int d_is_tunnel(Dec *d, int proto, long o) {
    if (proto == 4 || proto == 41 || proto == 47) return 1;
    if (proto != 17 || d->cend - o < 4) return 0;
    int sport = be16(d->b + o), dport = be16(d->b + o + 2);
    return sport == 4789 || dport == 4789 || sport == 6081 || dport == 6081;
}

static int d_gre(Dec *d, long o, long rend, int32_t vni, int depth) {
    if (d->cend - o < 4) return DEC_NONE;
    int flags = be16(d->b + o), ptype = be16(d->b + o + 2);
    if (flags & 0x0007) return DEC_NONE;
    long size = 4 + ((flags & 0xC000) ? 4 : 0) + ((flags & 0x2000) ? 4 : 0) + ((flags & 0x1000) ? 4 : 0);
    long start = o + size;
    if (ptype == 0x6558) return d_ether(d, start, rend, vni, depth);
    if (ptype == 0x883E) return d_ipv4(d, start + 4, rend, vni, depth);
    return d_ethertype(d, ptype, start, rend, vni, depth);
}

static int d_l4(Dec *d, int proto, const uint8_t *src, const uint8_t *dst, int v6, long o, long rend, int32_t vni,
                int depth) {
    if (proto == 6) {
        long tcap = (d->cend < rend ? d->cend : rend) - o;
        if (tcap < 4) return DEC_NONE;
        Seg *s = d->seg;
        memset(&s->key, 0, sizeof(Key));
        memcpy(s->key.src, src, v6 ? 16 : 4);
        memcpy(s->key.dst, dst, v6 ? 16 : 4);
        s->key.v6 = (uint8_t)v6;
        s->key.vni = vni;
        const uint8_t *t = d->b + o;
        s->key.sport = be16(t);
        s->key.dport = be16(t + 2);
        s->treported = rend - o;
        s->tcap = tcap;
        s->toff = o;
        if (tcap < 16) {
            s->seq = s->ack = 0;
            s->flags = s->win = s->hlen = 0;
        } else {
            s->seq = be32(t + 4);
            s->ack = be32(t + 8);
            s->hlen = (t[12] >> 4) << 2;
            s->flags = t[13];
            s->win = be16(t + 14);
        }
        return DEC_SEG;
    }
    if (depth >= d->max_depth) return d_is_tunnel(d, proto, o) ? DEC_TOO_DEEP : DEC_NONE;
    if (proto == 17) {
        if (d->cend - o < 8) return DEC_NONE;
        int sport = be16(d->b + o), dport = be16(d->b + o + 2);
        long ulen = be16(d->b + o + 4);
        if (ulen >= 8 && o + ulen < rend) rend = o + ulen;
        if (dport == 4789 || sport == 4789) {
            if (d->cend - o < 16) return DEC_NONE;
            int32_t inner = (int32_t)((be32(d->b + o + 12) >> 8) & 0xFFFFFF);
            return d_ether(d, o + 16, rend, inner, depth + 1);
        }
        if (dport == 6081 || sport == 6081) {
            if (d->cend - o < 16) return DEC_NONE;
            long optlen = (d->b[o + 8] & 0x3F) << 2;
            int ptype = be16(d->b + o + 10);
            int32_t inner = (int32_t)((be32(d->b + o + 12) >> 8) & 0xFFFFFF);
            long start = o + 16 + optlen;
            if (ptype == 0x6558) return d_ether(d, start, rend, inner, depth + 1);
            return d_ethertype(d, ptype, start, rend, inner, depth + 1);
        }
        return DEC_NONE;
    }
    if (proto == 4) return d_ipv4(d, o, rend, vni, depth + 1);
    if (proto == 41) return d_ipv6(d, o, rend, vni, depth + 1);
    if (proto == 47) return d_gre(d, o, rend, vni, depth + 1);
    return DEC_NONE;
}

int decode_tcp(int lt, const uint8_t *b, long caplen, long origlen, int max_depth, Seg *seg) {
    Dec d = {b, caplen, max_depth, seg};
    long rend = origlen > caplen ? origlen : caplen;
    switch (lt) {
    case 1: return d_ether(&d, 0, rend, -1, 0);
    case 276:
        if (caplen < 20) return DEC_NONE;
        return d_ethertype(&d, be16(b), 20, rend, -1, 0);
    case 113:
        if (caplen < 16) return DEC_NONE;
        return d_ethertype(&d, be16(b + 14), 16, rend, -1, 0);
    case 101: case 12: case 14: case 228: case 229: return d_ip_by_version(&d, 0, rend, -1, 0);
    case 0: case 108: {
        if (caplen < 4) return DEC_NONE;
        uint32_t family = lt == 108 ? be32(b) : le32(b);
        if (family > 0xFFFF) family = ((family >> 24) & 0xFF) | ((family >> 8) & 0xFF00);
        if (family == 2) return d_ipv4(&d, 4, rend, -1, 0);
        if (family == 10 || family == 23 || family == 24 || family == 28 || family == 30)
            return d_ipv6(&d, 4, rend, -1, 0);
        return DEC_NONE;
    }
    case 9: case 50: return d_ppp(&d, 0, rend);
    case 242:
        if (caplen < 44) return DEC_NONE;
        return d_ethertype(&d, be16(b + 40), 44, rend, -1, 0);
    case 129: return d_arcnet(&d, 0, rend);
    default: return DEC_NONE;
    }
}

/* decode.tcp_options: window-scale shift or -1, SACKed bytes or -1 */
void tcp_options(const uint8_t *b, long i, long end, int *wscale, int64_t *sacked) {
    *wscale = -1;
    *sacked = -1;
    while (i < end) {
        int kind = b[i];
        if (kind == 0) break;
        if (kind == 1) { i++; continue; }
        if (i + 1 >= end) break;
        int length = b[i + 1];
        if (length < 2 || i + length > end) break;
        if (kind == 3 && length == 3) {
            *wscale = b[i + 2];
        } else if (kind == 5 && length >= 10) {
            uint32_t sum = 0;
            for (long left = i + 2; left < i + length - 7; left += 8)
                sum += be32(b + left + 4) - be32(b + left);
            *sacked = sum;
        }
        i += length;
    }
}
