/* The compiled per-packet path of the PCAP analyzer: decode.py and tcp.py, step for step, in C.
 *
 * Why it exists: the pure-Python path costs ~2.5 us per packet; an operator waiting on a 2 GB
 * capture budget waits minutes. This file does the same work with the same integer semantics
 * (32-bit sequence arithmetic, nanosecond timestamps, the same tie-breaks), so every count,
 * frame number and RTT figure equals the pure-Python path's; tests/performance/pcap cross-checks
 * the two on every shared capture and on generated ones. tcp.py's docstring is the
 * specification (what follows Wireshark and where we deliberately differ); comments here only
 * say where C needs care that Python did not.
 *
 * Threading: one Analyzer belongs to one thread. feed_pcap() walks a chunk of pcap records with
 * the GIL released (nothing in the loop touches a Python object; memory is PyMem_Raw*, which
 * tracemalloc still sees), so several captures analyse on several cores from threads.
 *
 * Python builds the answer: flows leave this file as plain tuples (state of each direction and
 * sketch) and agents/performance/pcap/kernel.py turns them into FlowStats.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define M32 0xFFFFFFFFu
#define HALF 0x80000000u
#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10
#define F_KEEP_ALIVE 0x1
#define F_ZERO_WINDOW_PROBE 0x2

#define DEC_NONE 0
#define DEC_SEG 1
#define DEC_FRAGMENT 2
#define DEC_TOO_DEEP 3

#define ST_OK 0        /* every complete record consumed */
#define ST_DEADLINE 1  /* stopped before the record at the returned position */
#define ST_TOO_BIG 2   /* the record at the returned position claims more than max_record bytes */
#define ST_FLOWS 3     /* a sweep finished flows that Python must take (and rank) before going on */
#define ST_PYTHON 4    /* the pcapng block at the returned position is Python's to read (capture.read_block) */

#define WS_NONE (-100) /* DirectionStats.window_scale None */
#define MAX_LINKTYPES 65536

/* ------------------------------------------------------------------ small helpers */

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint32_t le32(const uint8_t *p) {
    return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}

static void *raw_grow(void *ptr, size_t count, size_t size) {
    return PyMem_RawRealloc(ptr, count * size);
}

/* ------------------------------------------------------------------ decode (decode.py) */

typedef struct {
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
    int32_t vni;
    uint8_t v6;
    uint8_t pad[3];
} Key; /* memset to zero before filling: hashed and compared as bytes */
_Static_assert(sizeof(Key) == 44, "key_hash reads a Key as 44 bytes");

typedef struct {
    Key key;
    uint32_t seq, ack;
    int flags, win, hlen;
    long treported, tcap, toff;
} Seg;

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

static int decode_tcp(int lt, const uint8_t *b, long caplen, long origlen, int max_depth, Seg *seg) {
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
static void tcp_options(const uint8_t *b, long i, long end, int *wscale, int64_t *sacked) {
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

/* ------------------------------------------------------------------ statistics (stats.py) */

typedef struct {
    int32_t key;
    uint32_t n;
} Bucket;

typedef struct {
    int64_t count;
    double total, min, max;
    double *samples; /* exact regime, from the third sample (the first two are min and max) */
    uint16_t n, cap;
    Bucket *buckets; /* bucketed regime (sorted by key), NULL while exact */
    uint32_t nb, capb;
} Sketch;

typedef struct {
    double log_gamma;
    int exact_samples;
} SketchCfg;

static int sketch_bucket(Sketch *s, double value, const SketchCfg *cfg) {
    int32_t key = (int32_t)ceil(log(value) / cfg->log_gamma);
    uint32_t lo = 0, hi = s->nb;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (s->buckets[mid].key < key) lo = mid + 1; else hi = mid;
    }
    if (lo < s->nb && s->buckets[lo].key == key) { s->buckets[lo].n++; return 0; }
    if (s->nb == s->capb) {
        uint32_t cap = s->capb ? s->capb * 2 : 8;
        Bucket *grown = raw_grow(s->buckets, cap, sizeof(Bucket));
        if (!grown) return -1;
        s->buckets = grown;
        s->capb = cap;
    }
    memmove(s->buckets + lo + 1, s->buckets + lo, (s->nb - lo) * sizeof(Bucket));
    s->buckets[lo].key = key;
    s->buckets[lo].n = 1;
    s->nb++;
    return 0;
}

static int sketch_to_buckets(Sketch *s, const SketchCfg *cfg) {
    s->capb = 8;
    s->buckets = PyMem_RawMalloc(s->capb * sizeof(Bucket));
    if (!s->buckets) return -1;
    s->nb = 0;
    for (uint16_t i = 0; i < s->n; i++)
        if (sketch_bucket(s, s->samples[i], cfg) < 0) return -1;
    PyMem_RawFree(s->samples);
    s->samples = NULL;
    s->n = s->cap = 0;
    return 0;
}

/* QuantileSketch.add */
static int sketch_add(Sketch *s, double value, const SketchCfg *cfg) {
    if (value <= 0.0) return 0;
    int64_t count = s->count;
    double lo = s->min, hi = s->max;
    s->count = count + 1;
    s->total += value;
    if (count == 0 || value > hi) s->max = value;
    if (count == 0 || value < lo) s->min = value;
    if (s->buckets) return sketch_bucket(s, value, cfg);
    if (count < 2) return 0;
    if (s->n == s->cap) {
        uint16_t cap = s->cap ? (uint16_t)(s->cap * 2) : 4;
        double *grown = raw_grow(s->samples, cap, sizeof(double));
        if (!grown) return -1;
        s->samples = grown;
        s->cap = cap;
    }
    if (count == 2) {
        s->samples[0] = lo;
        s->samples[1] = hi;
        s->n = 2;
    }
    s->samples[s->n++] = value;
    if (s->n > cfg->exact_samples) return sketch_to_buckets(s, cfg);
    return 0;
}

static void sketch_free(Sketch *s) {
    PyMem_RawFree(s->samples);
    PyMem_RawFree(s->buckets);
    s->samples = NULL;
    s->buckets = NULL;
}

/* (count, total, min, max, samples list or None, buckets dict or None) */
static PyObject *sketch_export(const Sketch *s) {
    PyObject *samples = Py_None, *buckets = Py_None;
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    if (s->samples) {
        Py_DECREF(samples);
        samples = PyList_New(s->n);
        if (!samples) goto fail;
        for (uint16_t i = 0; i < s->n; i++) {
            PyObject *v = PyFloat_FromDouble(s->samples[i]);
            if (!v) goto fail;
            PyList_SET_ITEM(samples, i, v);
        }
    }
    if (s->buckets) {
        Py_DECREF(buckets);
        buckets = PyDict_New();
        if (!buckets) goto fail;
        for (uint32_t i = 0; i < s->nb; i++) {
            PyObject *k = PyLong_FromLong(s->buckets[i].key), *v = PyLong_FromUnsignedLong(s->buckets[i].n);
            int bad = !k || !v || PyDict_SetItem(buckets, k, v) < 0;
            Py_XDECREF(k);
            Py_XDECREF(v);
            if (bad) goto fail;
        }
    }
    PyObject *out;
    if (s->count)
        out = Py_BuildValue("(LdddNN)", (long long)s->count, s->total, s->min, s->max, samples, buckets);
    else
        out = Py_BuildValue("(LdOONN)", 0LL, 0.0, Py_None, Py_None, samples, buckets);
    return out;
fail:
    Py_XDECREF(samples);
    Py_XDECREF(buckets);
    return NULL;
}

/* ------------------------------------------------------------------ conversations (tcp.py) */

typedef struct {
    uint32_t nxt, seq;
    int64_t ts;
    uint8_t clean;
} Unacked;

typedef struct {
    int64_t packets, data_segments, payload_bytes, retransmissions, fast_retransmissions,
        spurious_retransmissions, duplicate_acks, lost_segments, out_of_order, zero_windows, window_full, resets,
        syns, fins, options_cut, max_window, max_in_flight, first_data_ns, last_data_ns;
    uint8_t has_first_data;
    int8_t window_scale;
    Sketch rtt; /* Karn's RTT of this side's segments */
} DirStats;

struct Conv;

typedef struct {
    struct Conv *conv;
    uint8_t idx; /* d[idx] of its conversation; the peer is d[1 - idx] */
    uint8_t has_base, sorted, valid_bif, lastsegflags;
    int8_t win_scale;
    uint32_t base_seq, nextseq, lastack, window, maxseqtobeacked, sack_delivered;
    int32_t dupacknum;
    int64_t nextseqtime, lastacktime;
    Unacked *segs;
    uint32_t nsegs, capsegs;
    DirStats st;
} Dir;

typedef struct Conv {
    Dir d[2];          /* d[0] sent the packet that opened the conversation (its key is `key`) */
    Key key;           /* d[0]'s key; d[1]'s is its reverse */
    Key *extra;        /* keys joined under another VNI (_other_vni) */
    uint32_t nextra;
    uint8_t forward_is_d0, closed;
    int64_t mru_syn, first_rtt, last_ts;
    uint64_t serial;
    Sketch rtt; /* Wireshark's ack RTT of the flow */
    struct Conv *prev, *next; /* live conversations in creation order, or the finished list */
} Conv;

static void reverse_key(const Key *k, Key *r) {
    memset(r, 0, sizeof(Key));
    memcpy(r->src, k->dst, 16);
    memcpy(r->dst, k->src, 16);
    r->sport = k->dport;
    r->dport = k->sport;
    r->vni = k->vni;
    r->v6 = k->v6;
}

/* ---- hash table: Key -> (conversation, direction); open addressing, backward-shift deletion */

typedef struct {
    Key key;
    Conv *conv; /* NULL: empty slot */
    uint8_t idx;
} Entry;

typedef struct {
    Entry *slots;
    size_t cap, count; /* cap is a power of two */
} Table;

static uint64_t key_hash(const Key *k) {
    const uint8_t *bytes = (const uint8_t *)k; /* Key is 44 bytes: five words and a half */
    uint64_t h = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 5; i++) {
        uint64_t word;
        memcpy(&word, bytes + 8 * i, 8); /* not a cast: Key is only 4-byte aligned (and aliasing) */
        h ^= word;
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    uint32_t tail;
    memcpy(&tail, bytes + 40, 4);
    h ^= tail;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 29;
    return h;
}

static Entry *table_find(Table *t, const Key *k) {
    if (!t->cap) return NULL;
    size_t mask = t->cap - 1, i = key_hash(k) & mask;
    for (;;) {
        Entry *e = &t->slots[i];
        if (!e->conv) return NULL;
        if (memcmp(&e->key, k, sizeof(Key)) == 0) return e;
        i = (i + 1) & mask;
    }
}

static int table_put(Table *t, const Key *k, Conv *conv, uint8_t idx);

static int table_grow(Table *t) {
    size_t old_cap = t->cap;
    Entry *old = t->slots;
    size_t cap = old_cap ? old_cap * 2 : 1024;
    Entry *slots = PyMem_RawCalloc(cap, sizeof(Entry));
    if (!slots) return -1;
    t->slots = slots;
    t->cap = cap;
    t->count = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].conv) table_put(t, &old[i].key, old[i].conv, old[i].idx);
    PyMem_RawFree(old);
    return 0;
}

/* insert or overwrite (as `dict[key] = value`) */
static int table_put(Table *t, const Key *k, Conv *conv, uint8_t idx) {
    if ((t->count + 1) * 2 > t->cap && table_grow(t) < 0) return -1;
    size_t mask = t->cap - 1, i = key_hash(k) & mask;
    for (;;) {
        Entry *e = &t->slots[i];
        if (!e->conv) {
            e->key = *k;
            t->count++;
            break;
        }
        if (memcmp(&e->key, k, sizeof(Key)) == 0) break;
        i = (i + 1) & mask;
    }
    t->slots[i].conv = conv;
    t->slots[i].idx = idx;
    return 0;
}

static void table_remove(Table *t, Entry *e) {
    size_t mask = t->cap - 1, i = (size_t)(e - t->slots);
    e->conv = NULL;
    t->count--;
    size_t j = i;
    for (;;) { /* backward shift: keep every later entry of the run reachable from its home slot */
        j = (j + 1) & mask;
        Entry *n = &t->slots[j];
        if (!n->conv) return;
        size_t home = key_hash(&n->key) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->slots[i] = *n;
            n->conv = NULL;
            i = j;
        }
    }
}

static void table_free(Table *t) {
    PyMem_RawFree(t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}

/* ---- the analyzer */

enum { FR_RETRANS, FR_FAST, FR_SPUR, FR_DUP, FR_LOST, FR_OOO, FR_ZW, FR_RST, FR_KINDS };

typedef struct {
    PyObject_HEAD
    /* settings (tcp.py's constants, passed in so that they live in one place) */
    int64_t max_conversations, idle_open_ns, idle_closed_ns, fast_rt_ns, default_ooo_ns, stop_at_ns;
    int64_t sweep_every, deadline_every, max_record;
    uint32_t max_unacked, max_frames, reservoir_cap, kept_flows;
    int max_depth;
    SketchCfg sk;
    /* state */
    Table table, by_tuple;
    Conv *live_head, *live_tail, *done_head, *done_tail;
    int64_t live, pending;
    uint64_t serial;
    int64_t frame, next_sweep, next_deadline_check, peak, finished_base;
    int resume; /* the record at the current position was swept for: do not check again */
    int64_t n_tcp, n_streams, n_retrans, n_fast, n_spur, n_dup, n_lost, n_ooo, n_zw, n_rst, n_fin, n_syn;
    int64_t fragments, too_deep;
    uint32_t *frames[FR_KINDS];
    uint32_t nframes[FR_KINDS], capframes[FR_KINDS];
    /* the file-wide ack RTT (stats.Reservoir) */
    int64_t rtt_count;
    double rtt_total, rtt_max;
    double *rtt_samples;
    uint32_t rtt_n, rtt_capn;
    uint64_t rng;
    uint8_t *linktypes; /* a bitmap over all 65,536 values */
    /* the current pcapng section, as capture.read_block last read it */
    int ng_big;
    uint32_t ng_nif;
    struct NgInterface { int lt; int64_t mult, div; } *ng_ifs; /* div 0: Python's (a resolution past 64 bits) */
    int last_lt;
    int oom;
} Analyzer;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void add_frame(Analyzer *a, int kind, int64_t frame) {
    if (a->nframes[kind] >= a->max_frames) return;
    if (a->nframes[kind] == a->capframes[kind]) {
        uint32_t cap = a->capframes[kind] ? a->capframes[kind] * 2 : 64;
        if (cap > a->max_frames) cap = a->max_frames;
        uint32_t *grown = raw_grow(a->frames[kind], cap, sizeof(uint32_t));
        if (!grown) { a->oom = 1; return; }
        a->frames[kind] = grown;
        a->capframes[kind] = cap;
    }
    a->frames[kind][a->nframes[kind]++] = (uint32_t)frame;
}

/* splitmix64: the reservoir's generator, the same one stats.Reservoir uses */
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rtt_add(Analyzer *a, double value) {
    a->rtt_count++;
    a->rtt_total += value;
    if (a->rtt_count == 1 || value > a->rtt_max) a->rtt_max = value;
    if (a->rtt_n < a->reservoir_cap) {
        if (a->rtt_n == a->rtt_capn) {
            uint32_t cap = a->rtt_capn ? a->rtt_capn * 2 : 1024;
            if (cap > a->reservoir_cap) cap = a->reservoir_cap;
            double *grown = raw_grow(a->rtt_samples, cap, sizeof(double));
            if (!grown) { a->oom = 1; return; }
            a->rtt_samples = grown;
            a->rtt_capn = cap;
        }
        a->rtt_samples[a->rtt_n++] = value;
        return;
    }
    uint64_t slot = next_random(&a->rng) % (uint64_t)a->rtt_count;
    if (slot < a->reservoir_cap) a->rtt_samples[slot] = value;
}

static void live_append(Analyzer *a, Conv *c) {
    c->prev = a->live_tail;
    c->next = NULL;
    if (a->live_tail) a->live_tail->next = c; else a->live_head = c;
    a->live_tail = c;
    a->live++;
}

static void live_unlink(Analyzer *a, Conv *c) {
    if (c->prev) c->prev->next = c->next; else a->live_head = c->next;
    if (c->next) c->next->prev = c->prev; else a->live_tail = c->prev;
    a->live--;
}

static void by_tuple_key(const Key *k, Key *out) {
    *out = *k;
    out->vni = -2; /* the 4-tuple without its VNI */
}

static void free_segs(Dir *d) {
    PyMem_RawFree(d->segs);
    d->segs = NULL;
    d->nsegs = d->capsegs = 0;
}

static void conv_free(Conv *c) {
    free_segs(&c->d[0]);
    free_segs(&c->d[1]);
    sketch_free(&c->d[0].st.rtt);
    sketch_free(&c->d[1].st.rtt);
    sketch_free(&c->rtt);
    PyMem_RawFree(c->extra);
    PyMem_RawFree(c);
}

static void forget_key(Analyzer *a, Conv *c, const Key *k) {
    Entry *e = table_find(&a->table, k);
    if (e && e->conv == c) table_remove(&a->table, e);
    Key t;
    by_tuple_key(k, &t);
    e = table_find(&a->by_tuple, &t);
    if (e && e->conv == c) table_remove(&a->by_tuple, e);
}

/* tcp._forget: drop the conversation's keys and TCP state; its statistics wait in the finished list */
static void forget(Analyzer *a, Conv *c) {
    Key r;
    reverse_key(&c->key, &r);
    forget_key(a, c, &c->key);
    forget_key(a, c, &r);
    for (uint32_t i = 0; i < c->nextra; i++) forget_key(a, c, &c->extra[i]);
    live_unlink(a, c);
    free_segs(&c->d[0]);
    free_segs(&c->d[1]);
    PyMem_RawFree(c->extra);
    c->extra = NULL;
    c->nextra = 0;
    c->prev = a->done_tail;
    c->next = NULL;
    if (a->done_tail) a->done_tail->next = c; else a->done_head = c;
    a->done_tail = c;
    a->pending++;
}

static void dir_init(Dir *d, Conv *c, uint8_t idx) {
    memset(d, 0, sizeof(Dir));
    d->conv = c;
    d->idx = idx;
    d->window = M32;
    d->sorted = 1;
    d->valid_bif = 1;
    d->win_scale = -1;
    d->st.window_scale = WS_NONE;
}

static Dir *new_conv(Analyzer *a, const Key *k, int flags) {
    Conv *c = PyMem_RawMalloc(sizeof(Conv));
    if (!c) return NULL;
    memset(c, 0, sizeof(Conv));
    dir_init(&c->d[0], c, 0);
    dir_init(&c->d[1], c, 1);
    c->key = *k;
    c->forward_is_d0 = (flags & (SYN | ACK)) != (SYN | ACK); /* a SYN/ACK's sender is the server */
    c->serial = a->serial++;
    Key r;
    reverse_key(k, &r);
    if (table_put(&a->table, k, c, 0) < 0 || table_put(&a->table, &r, c, 1) < 0) {
        PyMem_RawFree(c);
        return NULL;
    }
    if (k->vni >= 0) {
        Key t;
        by_tuple_key(k, &t);
        if (table_put(&a->by_tuple, &t, c, 0) < 0) return NULL;
    }
    live_append(a, c);
    return &c->d[0];
}

/* tcp._other_vni */
static Dir *other_vni(Analyzer *a, const Key *k) {
    Key r, t;
    reverse_key(k, &r);
    by_tuple_key(&r, &t);
    Entry *e = table_find(&a->by_tuple, &t);
    if (!e) return NULL;
    Conv *c = e->conv;
    Dir *opener = &c->d[e->idx];
    Dir *peer = &c->d[1 - e->idx];
    if (peer->st.packets) return NULL;
    Key *grown = raw_grow(c->extra, c->nextra + 1, sizeof(Key));
    if (!grown) return NULL;
    c->extra = grown;
    c->extra[c->nextra++] = *k;
    table_remove(&a->by_tuple, e);
    if (table_put(&a->table, k, c, peer->idx) < 0) return NULL;
    (void)opener;
    return peer;
}

static int cmp_idle(const void *x, const void *y) {
    const Conv *p = *(Conv *const *)x, *q = *(Conv *const *)y;
    if (p->last_ts != q->last_ts) return p->last_ts < q->last_ts ? -1 : 1;
    return p->serial < q->serial ? -1 : (p->serial > q->serial);
}

/* tcp._sweep; returns -1 when out of memory */
static int sweep(Analyzer *a, int64_t now) {
    int64_t open_cut = now - a->idle_open_ns, closed_cut = now - a->idle_closed_ns;
    int64_t nstale = 0;
    for (Conv *c = a->live_head; c; c = c->next) {
        int answered = c->d[0].st.packets && c->d[1].st.packets;
        if (c->last_ts < open_cut || ((c->closed || !answered) && c->last_ts < closed_cut)) nstale++;
    }
    Conv **rest = NULL;
    int64_t nrest = 0, drop = 0;
    if (a->live - nstale > a->max_conversations) {
        rest = PyMem_RawMalloc((size_t)(a->live - nstale) * sizeof(Conv *));
        if (!rest) return -1;
    }
    Conv *c = a->live_head;
    while (c) {
        Conv *next = c->next;
        int answered = c->d[0].st.packets && c->d[1].st.packets;
        if (c->last_ts < open_cut || ((c->closed || !answered) && c->last_ts < closed_cut))
            forget(a, c);
        else if (rest)
            rest[nrest++] = c;
        c = next;
    }
    if (rest) {
        qsort(rest, (size_t)nrest, sizeof(Conv *), cmp_idle);
        drop = nrest - a->max_conversations * 3 / 4;
        for (int64_t i = 0; i < drop; i++) forget(a, rest[i]);
        PyMem_RawFree(rest);
    }
    return 0;
}

/* tcp._acknowledge: remove what `ack` covers; the two send times (-1: none) */
static void acknowledge(Dir *rev, uint32_t ack, int64_t *sent_out, int64_t *karn_out) {
    Unacked *segs = rev->segs;
    uint32_t n = rev->nsegs;
    int64_t sent = -1, karn = -1;
    if (rev->sorted) {
        uint32_t i = 0;
        while (i < n && ((segs[i].nxt - ack) & M32) >= HALF) i++;
        if (i < n && segs[i].nxt == ack) {
            sent = segs[i].ts;
            i++;
        }
        if (i) {
            if (segs[i - 1].clean) karn = segs[i - 1].ts;
            memmove(segs, segs + i, (n - i) * sizeof(Unacked));
            n -= i;
            rev->nsegs = n;
            if (!n) {
                free_segs(rev); /* an idle direction holds nothing (memory per conversation) */
                *sent_out = sent;
                *karn_out = karn;
                return;
            }
        }
        for (uint32_t j = 0; j < n; j++) {
            uint32_t part = (ack - segs[j].seq) & M32;
            if (!part || part >= HALF) break;
            segs[j].seq = ack;
        }
        *sent_out = sent;
        *karn_out = karn;
        return;
    }
    uint32_t keep = 0;
    uint32_t closest = HALF;
    for (uint32_t j = 0; j < n; j++) {
        Unacked item = segs[j];
        uint32_t d = (item.nxt - ack) & M32;
        if (d && d < HALF) {
            uint32_t part = (ack - item.seq) & M32;
            if (part && part < HALF) item.seq = ack;
            segs[keep++] = item;
            continue;
        }
        if (d == 0 && sent < 0) sent = item.ts;
        uint32_t behind = (ack - item.nxt) & M32;
        if (behind < closest || (behind == closest && karn >= 0)) {
            closest = behind;
            karn = item.clean ? item.ts : -1;
        }
    }
    rev->nsegs = keep;
    if (!keep) {
        free_segs(rev);
        rev->sorted = 1;
    }
    *sent_out = sent;
    *karn_out = karn;
}

static void taint(Dir *d, uint32_t seq) {
    for (uint32_t j = 0; j < d->nsegs; j++) {
        uint32_t past = (d->segs[j].nxt - seq) & M32;
        if (d->segs[j].clean && past > 0 && past < HALF) d->segs[j].clean = 0;
    }
}

static uint32_t span(const Dir *d) {
    uint32_t first = M32, last = 0;
    for (uint32_t j = 0; j < d->nsegs; j++) {
        uint32_t lo = (d->segs[j].seq - d->base_seq) & M32, hi = (d->segs[j].nxt - d->base_seq) & M32;
        if (lo < first) first = lo;
        if (hi > last) last = hi;
    }
    return (last - first) & M32;
}

static void verify_window_scaling(Dir *fwd, Dir *rev, int is_synack) {
    if (fwd->win_scale == -1)
        fwd->win_scale = rev->win_scale = -2;
    else if (is_synack && rev->win_scale == -2)
        fwd->win_scale = -2;
}

/* One record, as the body of tcp.analyze_records' loop after the deadline/sweep check. */
static int process(Analyzer *a, int64_t ts, int lt, const uint8_t *b, long caplen, long origlen) {
    int64_t frame = ++a->frame;
    if (lt != a->last_lt) {
        a->last_lt = lt;
        a->linktypes[lt >> 3] |= (uint8_t)(1 << (lt & 7));
    }
    Seg s;
    int r = decode_tcp(lt, b, caplen, origlen, a->max_depth, &s);
    if (r == DEC_NONE) return 0;
    if (r == DEC_FRAGMENT) { a->fragments++; return 0; }
    if (r == DEC_TOO_DEEP) { a->too_deep++; return 0; }
    if (s.tcap < 16) { a->n_tcp++; return 0; }
    a->n_tcp++;
    uint32_t seq = s.seq, ack = s.ack;
    int flags = s.flags, win = s.win, hlen = s.hlen;
    Entry *e = table_find(&a->table, &s.key);
    Dir *fwd;
    if (!e) {
        fwd = s.key.vni >= 0 ? other_vni(a, &s.key) : NULL;
        if (!fwd) {
            fwd = new_conv(a, &s.key, flags);
            if (!fwd) return -1;
            a->n_streams++;
        }
    } else {
        fwd = &e->conv->d[e->idx];
        if ((flags & (SYN | ACK)) == SYN && fwd->has_base && seq != fwd->base_seq) {
            forget(a, fwd->conv); /* tshark's port reuse: a new SYN with another ISN, a new stream */
            fwd = new_conv(a, &s.key, flags);
            if (!fwd) return -1;
            a->n_streams++;
        }
    }
    Conv *conv = fwd->conv;
    Dir *rev = &conv->d[1 - fwd->idx];
    conv->last_ts = ts;
    DirStats *ds = &fwd->st;
    ds->packets++;
    int show = hlen >= 20 && s.tcap >= 20;
    if (hlen >= 20) {
        if (flags & SYN) { a->n_syn++; ds->syns++; }
        if (flags & FIN) {
            a->n_fin++;
            ds->fins++;
            if (rev->st.fins) conv->closed = 1;
        }
        if (flags & RST) {
            a->n_rst++;
            ds->resets++;
            conv->closed = 1;
            add_frame(a, FR_RST, frame);
        }
    }
    if (s.treported < hlen) {
        if (s.treported < 0) a->fragments++;
        return 0;
    }
    uint32_t seglen = (uint32_t)(s.treported - hlen);
    if ((flags & SYN) || fwd->win_scale < 0) {
        if (win > ds->max_window) ds->max_window = win;
    } else if (((int64_t)win << fwd->win_scale) > ds->max_window) {
        ds->max_window = (int64_t)win << fwd->win_scale;
    }

    /* ---------------- tcp_analyze_sequence_number ---------------- */
    int fl = 0, is_retrans = 0;
    if (!fwd->has_base) {
        fwd->has_base = 1;
        fwd->base_seq = (flags & SYN) ? seq : (seq - 1) & M32;
    }
    if (!rev->has_base && (flags & ACK)) {
        rev->has_base = 1;
        rev->base_seq = (ack - 1) & M32;
    }
    if (flags & ACK) rev->valid_bif = 1;
    uint32_t nextseq = fwd->nextseq;
    if (seglen == 1 && seq == nextseq && rev->window == 0) {
        fl = F_ZERO_WINDOW_PROBE;
    } else {
        if (win == 0 && !(flags & (RST | FIN | SYN))) {
            a->n_zw += show;
            ds->zero_windows += show;
            if (show) add_frame(a, FR_ZW, frame);
        }
        if (nextseq && seq != nextseq && ((seq - nextseq) & M32) < HALF && !(flags & RST)) {
            a->n_lost += show;
            ds->lost_segments += show;
            fwd->valid_bif = 0;
            if (show) add_frame(a, FR_LOST, frame);
        }
        if (seglen <= 1 && seq == ((nextseq - 1) & M32) && !(flags & (SYN | FIN | RST))) fl = F_KEEP_ALIVE;
        if (seglen && rev->win_scale != -1 && !(flags & (SYN | FIN | RST))) {
            uint64_t edge = (uint64_t)rev->lastack + ((uint64_t)rev->window << (rev->win_scale > 0 ? rev->win_scale : 0));
            if (((seq + seglen) & M32) == (uint32_t)(edge & M32)) ds->window_full += show;
        }
        if (seglen == 0 && win && (uint32_t)win == fwd->window && seq == nextseq && ack == fwd->lastack &&
            !(flags & (SYN | FIN | RST)) && !(rev->lastsegflags & F_KEEP_ALIVE)) {
            fwd->dupacknum = fwd->dupacknum == -1 ? 1 : fwd->dupacknum + 1;
            a->n_dup += show;
            ds->duplicate_acks += show;
            if (show) add_frame(a, FR_DUP, frame);
        }
    }
    /* finished_fwd: */
    if (ack != fwd->lastack) fwd->dupacknum = 0;
    uint32_t maxack = rev->maxseqtobeacked;
    if ((flags & ACK) && maxack && ack != maxack && ((ack - maxack) & M32) < HALF) rev->maxseqtobeacked = ack;
    int clean = 1;
    uint32_t nxt;
    if (seglen || (flags & (SYN | FIN))) {
        if (!(fl & F_KEEP_ALIVE)) {
            int sna = nextseq != 0 && seq != nextseq && ((seq - nextseq) & M32) >= HALF;
            if (seglen > 1 && ((nextseq - 1) & M32) == seq) sna = 0;
            uint32_t rlast = rev->lastack;
            if (seglen && rlast && ((rlast - seq - seglen) & M32) < HALF) {
                a->n_spur += show;
                ds->spurious_retransmissions += show;
                is_retrans = 1;
                if (show) add_frame(a, FR_SPUR, frame);
            } else if (sna) {
                int64_t since_ack = ts - rev->lastacktime;
                if (rev->dupacknum >= 2 && rlast == seq && since_ack >= 0 && since_ack < a->fast_rt_ns) {
                    a->n_fast += show;
                    ds->fast_retransmissions += show;
                    is_retrans = 1;
                    if (show) add_frame(a, FR_FAST, frame);
                } else {
                    /* tcp.py: a negative handshake RTT wraps to 2**64 + rtt (an unsigned compare) */
                    uint64_t thres = (uint64_t)(conv->first_rtt ? conv->first_rtt : a->default_ooo_ns);
                    uint32_t end = (seq + seglen + ((flags & (SYN | FIN)) ? 1 : 0)) & M32;
                    int64_t since = ts - fwd->nextseqtime;
                    if (since >= 0 && (uint64_t)since < thres && nextseq != end) {
                        a->n_ooo += show;
                        ds->out_of_order += show;
                        clean = 0;
                        if (show) add_frame(a, FR_OOO, frame);
                    } else {
                        is_retrans = 1;
                    }
                }
            }
        }
        ds->data_segments++;
        if (seglen) {
            ds->payload_bytes += seglen;
            ds->last_data_ns = ts;
            if (!ds->has_first_data) {
                ds->has_first_data = 1;
                ds->first_data_ns = ts;
            }
        }
        nxt = (seq + seglen) & M32;
        if (is_retrans || !clean) {
            clean = 0;
            if (fwd->nsegs) taint(fwd, seq);
        }
        if (fwd->nsegs < a->max_unacked) {
            if (flags & (SYN | FIN)) nxt = (nxt + 1) & M32;
            if (fwd->nsegs) {
                Unacked *last = &fwd->segs[fwd->nsegs - 1];
                if (nxt == last->nxt || ((nxt - last->nxt) & M32) >= HALF || ((seq - last->seq) & M32) >= HALF)
                    fwd->sorted = 0;
            } else {
                fwd->sorted = 1;
            }
            if (fwd->nsegs == fwd->capsegs) {
                uint32_t cap = fwd->capsegs ? fwd->capsegs * 2 : 4;
                if (cap > a->max_unacked) cap = a->max_unacked;
                Unacked *grown = raw_grow(fwd->segs, cap, sizeof(Unacked));
                if (!grown) return -1;
                fwd->segs = grown;
                fwd->capsegs = cap;
            }
            Unacked *u = &fwd->segs[fwd->nsegs++];
            u->nxt = nxt;
            u->ts = ts;
            u->seq = seq;
            u->clean = (uint8_t)clean;
        }
    } else {
        nxt = seq;
    }
    if (is_retrans && show) {
        a->n_retrans++;
        ds->retransmissions++;
        add_frame(a, FR_RETRANS, frame);
    }
    if (!(fl & F_ZERO_WINDOW_PROBE)) {
        if (!fwd->nextseq || (nxt != fwd->nextseq && ((nxt - fwd->nextseq) & M32) < HALF)) {
            fwd->nextseq = nxt;
            fwd->nextseqtime = ts;
        }
        if (!fwd->maxseqtobeacked || seq == fwd->maxseqtobeacked) fwd->maxseqtobeacked = fwd->nextseq;
    }
    fwd->window = (uint32_t)win;
    fwd->lastack = ack;
    fwd->lastacktime = ts;
    fwd->lastsegflags = (uint8_t)fl;

    /* remove what this ACK acknowledges: ack RTT (Wireshark's) and Karn's RTT */
    if (rev->nsegs) {
        int64_t sent, karn;
        acknowledge(rev, ack, &sent, &karn);
        if (sent >= 0 && ts != sent && show) {
            double rtt = (double)(ts - sent) / 1e9;
            rtt_add(a, rtt);
            if (sketch_add(&conv->rtt, rtt, &a->sk) < 0) return -1;
        }
        if (karn >= 0 && ts > karn && sketch_add(&rev->st.rtt, (double)(ts - karn) / 1e9, &a->sk) < 0) return -1;
    }

    /* bytes in flight after this segment (Wireshark's default, payload-based) */
    if (seglen && fwd->valid_bif && fwd->nsegs) {
        uint32_t in_flight = fwd->sorted ? ((fwd->segs[fwd->nsegs - 1].nxt - fwd->segs[0].seq) & M32) : span(fwd);
        if (rev->sack_delivered) in_flight = (in_flight - rev->sack_delivered) & M32;
        if (in_flight > 0 && in_flight < 2000000000u) {
            if (flags & (SYN | FIN)) in_flight -= 1;
            if ((int64_t)in_flight > ds->max_in_flight) ds->max_in_flight = in_flight;
        }
    }

    /* options and handshake bookkeeping (after the analysis, as dissect_tcp does) */
    if (hlen > 20) {
        int cut = s.tcap < hlen;
        if (cut) ds->options_cut++;
        int wscale;
        int64_t sacked;
        tcp_options(b, s.toff + 20, s.toff + (cut ? s.tcap : hlen), &wscale, &sacked);
        fwd->sack_delivered = sacked > 0 ? (uint32_t)sacked : 0;
        if (flags & SYN) {
            if (wscale >= 0) fwd->win_scale = ds->window_scale = (int8_t)(wscale <= 14 ? wscale : 14);
            if (!cut) {
                verify_window_scaling(fwd, rev, flags & ACK);
                if (wscale < 0) ds->window_scale = -1;
            }
        }
    } else {
        fwd->sack_delivered = 0;
        if ((flags & SYN) && hlen == 20) {
            verify_window_scaling(fwd, rev, flags & ACK);
            ds->window_scale = -1;
        }
    }
    if (hlen >= 20) {
        if ((flags & (SYN | ACK)) == SYN)
            conv->mru_syn = ts;
        else if ((flags & (SYN | ACK)) == ACK && conv->mru_syn && !conv->first_rtt)
            conv->first_rtt = ts - conv->mru_syn;
    }
    return 0;
}

/* The check tcp.analyze_records makes before a record: ST_OK to go on with it. */
static int before_record(Analyzer *a, int64_t ts) {
    if (a->resume) {
        a->resume = 0;
        return ST_OK;
    }
    if (a->frame < a->next_deadline_check) return ST_OK;
    a->next_deadline_check += a->deadline_every;
    if (a->stop_at_ns >= 0 && now_ns() > a->stop_at_ns) return ST_DEADLINE;
    if (a->frame >= a->next_sweep) {
        int64_t half = (int64_t)a->table.count / 2;
        if (half > a->peak) a->peak = half;
        if (sweep(a, ts) < 0) return -1;
        int64_t twice = 2 * (int64_t)a->table.count;
        a->next_sweep = a->frame + (a->sweep_every > twice ? a->sweep_every : twice);
        if (a->finished_base + a->pending > 2 * (int64_t)a->kept_flows) {
            a->resume = 1; /* Python ranks the finished flows, then this record goes on */
            return ST_FLOWS;
        }
    }
    return ST_OK;
}

/* ------------------------------------------------------------------ Python surface */

static void analyzer_clear(Analyzer *a) {
    Conv *c = a->live_head;
    while (c) { Conv *n = c->next; conv_free(c); c = n; }
    c = a->done_head;
    while (c) { Conv *n = c->next; conv_free(c); c = n; }
    a->live_head = a->live_tail = a->done_head = a->done_tail = NULL;
    a->live = a->pending = 0;
    table_free(&a->table);
    table_free(&a->by_tuple);
    for (int k = 0; k < FR_KINDS; k++) {
        PyMem_RawFree(a->frames[k]);
        a->frames[k] = NULL;
        a->nframes[k] = a->capframes[k] = 0;
    }
    PyMem_RawFree(a->rtt_samples);
    a->rtt_samples = NULL;
    a->rtt_n = a->rtt_capn = 0;
    PyMem_RawFree(a->linktypes);
    a->linktypes = NULL;
    PyMem_RawFree(a->ng_ifs);
    a->ng_ifs = NULL;
    a->ng_nif = 0;
}

static void Analyzer_dealloc(Analyzer *a) {
    analyzer_clear(a);
    Py_TYPE(a)->tp_free((PyObject *)a);
}

static int Analyzer_init(Analyzer *a, PyObject *args, PyObject *kw) {
    static char *names[] = {"max_conversations", "stop_at_ns", "idle_open_ns", "idle_closed_ns", "fast_rt_ns",
                            "default_ooo_ns", "sweep_every", "deadline_every", "max_record", "max_unacked",
                            "max_frames", "reservoir_capacity", "reservoir_seed", "kept_flows", "max_depth",
                            "log_gamma", "exact_samples", NULL};
    long long max_conv, stop_at, idle_open, idle_closed, fast_rt, ooo, sweep_every, deadline_every, max_record;
    unsigned int max_unacked, max_frames, res_cap, kept;
    unsigned long long seed;
    int max_depth, exact;
    double log_gamma;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|$LLLLLLLLLIIIKIidi", names, &max_conv, &stop_at, &idle_open,
                                     &idle_closed, &fast_rt, &ooo, &sweep_every, &deadline_every, &max_record,
                                     &max_unacked, &max_frames, &res_cap, &seed, &kept, &max_depth, &log_gamma,
                                     &exact))
        return -1;
    if (max_unacked < 1 || max_frames < 1 || res_cap < 1 || sweep_every < 1 || deadline_every < 1 || exact < 2 ||
        exact > 30000) {
        PyErr_SetString(PyExc_ValueError, "kernel settings out of range");
        return -1;
    }
    analyzer_clear(a);
    a->max_conversations = max_conv;
    a->stop_at_ns = stop_at;
    a->idle_open_ns = idle_open;
    a->idle_closed_ns = idle_closed;
    a->fast_rt_ns = fast_rt;
    a->default_ooo_ns = ooo;
    a->sweep_every = sweep_every;
    a->deadline_every = deadline_every;
    a->max_record = max_record;
    a->max_unacked = max_unacked;
    a->max_frames = max_frames;
    a->reservoir_cap = res_cap;
    a->rng = seed;
    a->kept_flows = kept;
    a->max_depth = max_depth;
    a->sk.log_gamma = log_gamma;
    a->sk.exact_samples = exact;
    a->next_sweep = sweep_every;
    a->next_deadline_check = deadline_every;
    a->last_lt = -1;
    a->linktypes = PyMem_RawCalloc(MAX_LINKTYPES / 8, 1);
    if (!a->linktypes) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* feed_pcap(data, pos, big_endian, frac_ns, linktype, finished) -> (pos, status)
 * Analyses every complete record of a classic pcap body in `data` from `pos`, the GIL released.
 * `finished`: how many flows Python holds (it ranks them when they pass 2 x kept_flows, as _sweep does). */
static PyObject *Analyzer_feed_pcap(Analyzer *a, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos;
    int big, lt;
    long long frac_ns;
    Py_ssize_t finished;
    if (!PyArg_ParseTuple(args, "y*npLin", &view, &pos, &big, &frac_ns, &lt, &finished)) return NULL;
    a->finished_base = finished;
    if (lt < 0 || lt >= MAX_LINKTYPES || pos < 0 || pos > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "bad position or link type");
        return NULL;
    }
    const uint8_t *data = view.buf;
    Py_ssize_t end = view.len;
    int status = ST_OK, failed = 0;
    Py_BEGIN_ALLOW_THREADS
    while (end - pos >= 16) {
        const uint8_t *h = data + pos;
        uint32_t sec = big ? be32(h) : le32(h), frac = big ? be32(h + 4) : le32(h + 4);
        uint32_t caplen = big ? be32(h + 8) : le32(h + 8), origlen = big ? be32(h + 12) : le32(h + 12);
        if ((int64_t)caplen > a->max_record) { status = ST_TOO_BIG; break; }
        if (end - pos - 16 < (Py_ssize_t)caplen) break;
        int64_t ts = (int64_t)sec * 1000000000LL + (int64_t)frac * frac_ns;
        int st = before_record(a, ts);
        if (st < 0) { failed = 1; break; }
        if (st != ST_OK) { status = st; break; }
        if (process(a, ts, lt, h + 16, (long)caplen, (long)origlen) < 0) { failed = 1; break; }
        pos += 16 + caplen;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (failed || a->oom) return PyErr_NoMemory();
    return Py_BuildValue("(ni)", pos, status);
}

/* feed_record(ts_ns, linktype, data, offset, caplen, origlen, finished) -> status (one pcapng packet)
 * ST_FLOWS: the record was not analysed yet; take the flows and feed it again. */
static PyObject *Analyzer_feed_record(Analyzer *a, PyObject *args) {
    long long ts;
    int lt;
    Py_buffer view;
    Py_ssize_t off, caplen, origlen, finished;
    if (!PyArg_ParseTuple(args, "Liy*nnnn", &ts, &lt, &view, &off, &caplen, &origlen, &finished)) return NULL;
    a->finished_base = finished;
    if (lt < 0 || lt >= MAX_LINKTYPES || off < 0 || caplen < 0 || off + caplen > view.len || origlen < 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "bad record bounds or link type");
        return NULL;
    }
    int st = before_record(a, ts);
    if (st == ST_OK && process(a, ts, lt, (const uint8_t *)view.buf + off, (long)caplen, (long)origlen) < 0) st = -1;
    PyBuffer_Release(&view);
    if (st < 0 || a->oom) return PyErr_NoMemory();
    return PyLong_FromLong(st);
}

/* set_section(big_endian, [(linktype, mult, div), ...]): the pcapng section Python has read */
static PyObject *Analyzer_set_section(Analyzer *a, PyObject *args) {
    int big;
    PyObject *list;
    if (!PyArg_ParseTuple(args, "pO!", &big, &PyList_Type, &list)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(list);
    struct NgInterface *ifs = n ? PyMem_RawMalloc((size_t)n * sizeof(*ifs)) : NULL;
    if (n && !ifs) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        int lt;
        PyObject *mult, *div;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "iOO", &lt, &mult, &div)) {
            PyMem_RawFree(ifs);
            return NULL;
        }
        int over_m = 0, over_d = 0;
        long long m = PyLong_AsLongLongAndOverflow(mult, &over_m), d = PyLong_AsLongLongAndOverflow(div, &over_d);
        if (PyErr_Occurred()) {
            PyMem_RawFree(ifs);
            return NULL;
        }
        ifs[i].lt = lt;
        ifs[i].mult = m;
        ifs[i].div = (over_m || over_d || m <= 0 || d <= 0 || m > 1000000000LL || lt < 0 || lt >= MAX_LINKTYPES) ? 0 : d;
    }
    PyMem_RawFree(a->ng_ifs);
    a->ng_ifs = ifs;
    a->ng_nif = (uint32_t)n;
    a->ng_big = big;
    Py_RETURN_NONE;
}

/* feed_pcapng(data, pos, finished) -> (pos, status): the enhanced packet blocks from `pos`, GIL
 * released, as capture.read_block reads them. ST_OK: the block at pos is not all there (or the data
 * ended); ST_PYTHON: any other block, or one read_block must judge (its errors are its own). */
static PyObject *Analyzer_feed_pcapng(Analyzer *a, PyObject *args) {
    Py_buffer view;
    Py_ssize_t pos, finished;
    if (!PyArg_ParseTuple(args, "y*nn", &view, &pos, &finished)) return NULL;
    if (pos < 0 || pos > view.len) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "bad position");
        return NULL;
    }
    a->finished_base = finished;
    const uint8_t *data = view.buf;
    Py_ssize_t end = view.len;
    int big = a->ng_big, status = ST_OK, failed = 0;
    Py_BEGIN_ALLOW_THREADS
    while (end - pos >= 12) {
        const uint8_t *h = data + pos;
        uint32_t btype = big ? be32(h) : le32(h), blen = big ? be32(h + 4) : le32(h + 4);
        if (btype != 6 || blen < 32 || blen % 4 || (int64_t)blen > a->max_record) { status = ST_PYTHON; break; }
        if (end - pos < (Py_ssize_t)blen) break;
        const uint8_t *body = h + 8;
        uint32_t ifid = big ? be32(body) : le32(body), hi = big ? be32(body + 4) : le32(body + 4);
        uint32_t lo = big ? be32(body + 8) : le32(body + 8), caplen = big ? be32(body + 12) : le32(body + 12);
        uint32_t origlen = big ? be32(body + 16) : le32(body + 16);
        if (caplen > blen - 32 || ifid >= a->ng_nif || !a->ng_ifs[ifid].div) { status = ST_PYTHON; break; }
        const struct NgInterface *nif = &a->ng_ifs[ifid];
        unsigned __int128 units = ((unsigned __int128)hi << 32) | lo;
        unsigned __int128 ns = units * (unsigned __int128)nif->mult / (unsigned __int128)nif->div;
        int64_t ts = ns > ((unsigned __int128)1 << 62) ? (int64_t)1 << 62 : (int64_t)ns; /* kernel.TS_MAX */
        int st = before_record(a, ts);
        if (st < 0) { failed = 1; break; }
        if (st != ST_OK) { status = st; break; }
        if (process(a, ts, nif->lt, body + 20, (long)caplen, (long)origlen) < 0) { failed = 1; break; }
        pos += blen;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    if (failed || a->oom) return PyErr_NoMemory();
    return Py_BuildValue("(ni)", pos, status);
}

static PyObject *address(const uint8_t *addr, int v6) {
    if (v6) return PyBytes_FromStringAndSize((const char *)addr, 16);
    return PyLong_FromUnsignedLong(be32(addr));
}

static PyObject *dir_export(const DirStats *s) {
    PyObject *rtt = sketch_export(&s->rtt);
    if (!rtt) return NULL;
    PyObject *ws = s->window_scale == WS_NONE ? Py_None : NULL;
    PyObject *first = s->has_first_data ? NULL : Py_None;
    PyObject *out = Py_BuildValue(
        "(LLLLLLLLLLLLLLLLLNNNN)", (long long)s->packets, (long long)s->data_segments, (long long)s->payload_bytes,
        (long long)s->retransmissions, (long long)s->fast_retransmissions, (long long)s->spurious_retransmissions,
        (long long)s->duplicate_acks, (long long)s->lost_segments, (long long)s->out_of_order,
        (long long)s->zero_windows, (long long)s->window_full, (long long)s->resets, (long long)s->syns,
        (long long)s->fins, (long long)s->options_cut, (long long)s->max_window, (long long)s->max_in_flight,
        ws ? (Py_INCREF(ws), ws) : PyLong_FromLong(s->window_scale),
        first ? (Py_INCREF(first), first) : PyLong_FromLongLong(s->first_data_ns),
        first ? (Py_INCREF(first), first) : PyLong_FromLongLong(s->last_data_ns), rtt);
    return out;
}

/* (src, dst, sport, dport, vni, rtt, forward, reverse) as make_flow takes them */
static PyObject *conv_export(const Conv *c) {
    Key r;
    const Key *k = &c->key;
    if (!c->forward_is_d0) {
        reverse_key(&c->key, &r);
        k = &r;
    }
    const DirStats *fwd = c->forward_is_d0 ? &c->d[0].st : &c->d[1].st;
    const DirStats *rev = c->forward_is_d0 ? &c->d[1].st : &c->d[0].st;
    return Py_BuildValue("(NNiiiNNN)", address(k->src, k->v6), address(k->dst, k->v6), k->sport, k->dport, k->vni,
                         sketch_export(&c->rtt), dir_export(fwd), dir_export(rev));
}

/* take_finished() -> [flow, ...]: the flows finished since the last call, in order */
static PyObject *Analyzer_take_finished(Analyzer *a, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Conv *c = a->done_head;
    while (c) {
        PyObject *flow = conv_export(c);
        if (!flow || PyList_Append(out, flow) < 0) {
            Py_XDECREF(flow);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(flow);
        Conv *next = c->next;
        conv_free(c);
        c = next;
        a->done_head = c;
    }
    a->done_tail = NULL;
    a->pending = 0;
    return out;
}

static PyObject *frames_list(const Analyzer *a, int kind) {
    PyObject *out = PyList_New(a->nframes[kind]);
    if (!out) return NULL;
    for (uint32_t i = 0; i < a->nframes[kind]; i++) {
        PyObject *v = PyLong_FromUnsignedLong(a->frames[kind][i]);
        if (!v) { Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, i, v);
    }
    return out;
}

/* take_live(n) -> [flow, ...]: up to n live flows, oldest first, each freed here as it leaves
 * (after finish(): the answer's flows are built a batch at a time, never all twice over). */
static PyObject *Analyzer_take_live(Analyzer *a, PyObject *arg) {
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    while (a->live_head && n-- > 0) {
        Conv *c = a->live_head;
        PyObject *flow = conv_export(c);
        if (!flow || PyList_Append(out, flow) < 0) {
            Py_XDECREF(flow);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(flow);
        live_unlink(a, c);
        conv_free(c);
    }
    return out;
}

/* finish() -> dict: counts, frames, the reservoir, link types; the live flows stay for take_live(). */
static PyObject *Analyzer_finish(Analyzer *a, PyObject *Py_UNUSED(ignored)) {
    PyObject *lts = PyList_New(0);
    if (!lts) return NULL;
    int64_t nactive = a->live;
    table_free(&a->table); /* nothing is looked up any more: memory goes before the flows take theirs */
    table_free(&a->by_tuple);
    for (int lt = 0; lt < MAX_LINKTYPES; lt++) {
        if (a->linktypes && a->linktypes[lt >> 3] & (1 << (lt & 7))) {
            PyObject *v = PyLong_FromLong(lt);
            if (!v || PyList_Append(lts, v) < 0) { Py_XDECREF(v); goto fail; }
            Py_DECREF(v);
        }
    }
    PyObject *samples = PyBytes_FromStringAndSize((const char *)a->rtt_samples, (Py_ssize_t)a->rtt_n * 8);
    if (!samples) goto fail;
    int64_t peak = a->peak > nactive ? a->peak : nactive;
    PyObject *out = Py_BuildValue(
        "{s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,"
        "s:N,s:N,s:N,s:N,s:N,s:N,s:N,s:N,"
        "s:L,s:d,s:d,s:N,s:K,s:N}",
        "tcp_packets", (long long)a->n_tcp, "streams", (long long)a->n_streams, "retransmissions",
        (long long)a->n_retrans, "fast_retransmissions", (long long)a->n_fast, "spurious_retransmissions",
        (long long)a->n_spur, "duplicate_acks", (long long)a->n_dup, "lost_segments", (long long)a->n_lost,
        "out_of_order", (long long)a->n_ooo, "zero_windows", (long long)a->n_zw, "resets", (long long)a->n_rst,
        "fins", (long long)a->n_fin, "syns", (long long)a->n_syn, "packets", (long long)a->frame, "ip_fragments",
        (long long)a->fragments, "tunnels_too_deep", (long long)a->too_deep, "peak_conversations", (long long)peak,
        "f_retransmissions", frames_list(a, FR_RETRANS), "f_fast_retransmissions", frames_list(a, FR_FAST),
        "f_spurious_retransmissions", frames_list(a, FR_SPUR), "f_duplicate_acks", frames_list(a, FR_DUP),
        "f_lost_segments", frames_list(a, FR_LOST), "f_out_of_order", frames_list(a, FR_OOO), "f_zero_windows",
        frames_list(a, FR_ZW), "f_resets", frames_list(a, FR_RST), "rtt_count", (long long)a->rtt_count,
        "rtt_total", a->rtt_total, "rtt_max", a->rtt_max, "rtt_samples", samples, "rtt_rng",
        (unsigned long long)a->rng, "linktypes", lts);
    return out;
fail:
    Py_XDECREF(lts);
    return NULL;
}

static PyObject *Analyzer_stats(Analyzer *a, PyObject *Py_UNUSED(ignored)) {
    return Py_BuildValue("{s:L,s:L,s:n}", "live", (long long)a->live, "pending", (long long)a->pending, "keys",
                         (Py_ssize_t)a->table.count);
}

static PyMethodDef Analyzer_methods[] = {
    {"feed_pcap", (PyCFunction)Analyzer_feed_pcap, METH_VARARGS, "Analyse the complete pcap records in a chunk."},
    {"feed_record", (PyCFunction)Analyzer_feed_record, METH_VARARGS, "Analyse one record (pcapng)."},
    {"feed_pcapng", (PyCFunction)Analyzer_feed_pcapng, METH_VARARGS, "Analyse the pcapng packet blocks in a chunk."},
    {"set_section", (PyCFunction)Analyzer_set_section, METH_VARARGS, "The pcapng section's byte order, interfaces."},
    {"take_finished", (PyCFunction)Analyzer_take_finished, METH_NOARGS, "The flows finished since the last call."},
    {"finish", (PyCFunction)Analyzer_finish, METH_NOARGS, "Counts, frames, RTT reservoir, link types."},
    {"take_live", (PyCFunction)Analyzer_take_live, METH_O, "Up to n live flows, freed as they leave."},
    {"stats", (PyCFunction)Analyzer_stats, METH_NOARGS, "Live conversations, pending flows, table keys."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AnalyzerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "agents.performance.pcap._kernel.Analyzer",
    .tp_basicsize = sizeof(Analyzer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One capture's TCP analysis (tcp.analyze_records), compiled.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Analyzer_init,
    .tp_dealloc = (destructor)Analyzer_dealloc,
    .tp_methods = Analyzer_methods,
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "_kernel", "The PCAP analyzer's compiled per-packet path (see kernel.py).", -1,
    NULL, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernel(void) {
    if (PyType_Ready(&AnalyzerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&kernel_module);
    if (!m) return NULL;
    Py_INCREF(&AnalyzerType);
    if (PyModule_AddObject(m, "Analyzer", (PyObject *)&AnalyzerType) < 0) {
        Py_DECREF(&AnalyzerType);
        Py_DECREF(m);
        return NULL;
    }
#ifdef KERNEL_SOURCE_HASH
    if (PyModule_AddStringConstant(m, "SOURCE_HASH", KERNEL_SOURCE_HASH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
#endif
    return m;
}
