/* The compiled per-packet path of the PCAP analyzer: decode.py and tcp.py, step for step, in C.
 *
 * Why it exists: the pure-Python path costs about 5 us a packet (these files about 0.17 us), and
 * an operator waiting on a 2 GB capture budget would wait minutes. These files do the same work with the same integer semantics
 * (32-bit sequence arithmetic, nanosecond timestamps, the same tie-breaks), so every count,
 * frame number and RTT figure equals the pure-Python path's; tests/performance/pcap cross-checks
 * the two on every shared capture and on generated ones. tcp.py's docstring is the
 * specification (what follows Wireshark and where we deliberately differ); comments here only
 * say where C needs care that Python did not.
 *
 * Threading: one Analyzer belongs to one thread. feed_pcap() and feed_pcapng() walk a chunk of
 * records with the GIL released (nothing in the loop touches a Python object; memory is PyMem_Raw*, which
 * tracemalloc still sees), so several captures analyse on several cores from threads.
 *
 * Python builds the answer: flows leave module.c as plain tuples (state of each direction and
 * sketch) and agents/performance/pcap/kernel.py turns them into FlowStats.
 */
#include "kernel.h"
#include <stdlib.h>
#include <time.h>

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void add_frame(Core *a, int kind, int64_t frame) {
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

static void rtt_add(Core *a, double value) {
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

static void live_append(Core *a, Conv *c) {
    c->prev = a->live_tail;
    c->next = NULL;
    if (a->live_tail) a->live_tail->next = c; else a->live_head = c;
    a->live_tail = c;
    a->live++;
}

void live_unlink(Core *a, Conv *c) {
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

void conv_free(Conv *c) {
    free_segs(&c->d[0]);
    free_segs(&c->d[1]);
    sketch_free(&c->d[0].st.rtt);
    sketch_free(&c->d[1].st.rtt);
    sketch_free(&c->rtt);
    PyMem_RawFree(c->extra);
    PyMem_RawFree(c);
}

static void forget_key(Core *a, Conv *c, const Key *k) {
    Entry *e = table_find(&a->table, k);
    if (e && e->conv == c) table_remove(&a->table, e);
    Key t;
    by_tuple_key(k, &t);
    e = table_find(&a->by_tuple, &t);
    if (e && e->conv == c) table_remove(&a->by_tuple, e);
}

/* tcp._forget: drop the conversation's keys and TCP state; its statistics wait in the finished list */
static void forget(Core *a, Conv *c) {
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

static Dir *new_conv(Core *a, const Key *k, int flags) {
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
static Dir *other_vni(Core *a, const Key *k) {
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
static int sweep(Core *a, int64_t now) {
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
int process(Core *a, int64_t ts, int lt, const uint8_t *b, long caplen, long origlen) {
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
int before_record(Core *a, int64_t ts) {
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
