/* The compiled kernel's shared types (see analysis.c for what it is and why).
 *
 * One file per job, as the Python modules they follow: decode.c (decode.py), sketch.c (the
 * per-flow QuantileSketch of stats.py), table.c (the flow table), analysis.c (tcp.py's loop,
 * sweeps and bookkeeping), module.c (the Python surface). Memory is PyMem_Raw* throughout: the
 * analysis runs without the GIL, and tracemalloc still sees it.
 */
#ifndef NETOPS_PCAP_KERNEL_H
#define NETOPS_PCAP_KERNEL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

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

static inline void *raw_grow(void *ptr, size_t count, size_t size) {
    return PyMem_RawRealloc(ptr, count * size);
}

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

enum { FR_RETRANS, FR_FAST, FR_SPUR, FR_DUP, FR_LOST, FR_OOO, FR_ZW, FR_RST, FR_KINDS };

typedef struct Core {
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
} Core;

/* decode.c */
int decode_tcp(int lt, const uint8_t *b, long caplen, long origlen, int max_depth, Seg *seg);
void tcp_options(const uint8_t *b, long i, long end, int *wscale, int64_t *sacked);
/* sketch.c */
int sketch_add(Sketch *s, double value, const SketchCfg *cfg);
void sketch_free(Sketch *s);
/* table.c */
void reverse_key(const Key *k, Key *r);
Entry *table_find(Table *t, const Key *k);
int table_put(Table *t, const Key *k, Conv *conv, uint8_t idx);
void table_remove(Table *t, Entry *e);
void table_free(Table *t);
/* analysis.c */
int before_record(Core *a, int64_t ts);
int process(Core *a, int64_t ts, int lt, const uint8_t *b, long caplen, long origlen);
void live_unlink(Core *a, Conv *c);
void conv_free(Conv *c);

#endif
