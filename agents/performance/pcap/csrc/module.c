/* The Python surface of the kernel: the Analyzer type, its feeds, and the answer as tuples. */
#include "kernel.h"

typedef struct {
    PyObject_HEAD
    Core core;
} Analyzer;

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

/* ------------------------------------------------------------------ Python surface */

static void analyzer_clear(Core *a) {
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

static void Analyzer_dealloc(Analyzer *self) {
    analyzer_clear(&self->core);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int Analyzer_init(Analyzer *self, PyObject *args, PyObject *kw) {
    Core *a = &self->core;
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
static PyObject *Analyzer_feed_pcap(Analyzer *self, PyObject *args) {
    Core *a = &self->core;
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
static PyObject *Analyzer_feed_record(Analyzer *self, PyObject *args) {
    Core *a = &self->core;
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
static PyObject *Analyzer_set_section(Analyzer *self, PyObject *args) {
    Core *a = &self->core;
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
static PyObject *Analyzer_feed_pcapng(Analyzer *self, PyObject *args) {
    Core *a = &self->core;
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

/* DirectionStats' fields in its own order (kernel.py reads them by the dataclass), then the Karn RTT */
static PyObject *dir_export(const DirStats *s) {
    PyObject *rtt = sketch_export(&s->rtt);
    if (!rtt) return NULL;
    PyObject *ws = s->window_scale == WS_NONE ? Py_None : NULL;
    PyObject *first = s->has_first_data ? NULL : Py_None;
    PyObject *out = Py_BuildValue(
        "(LLLLLLLLLLLLLLLLNLNNN)", (long long)s->packets, (long long)s->data_segments, (long long)s->payload_bytes,
        (long long)s->retransmissions, (long long)s->fast_retransmissions, (long long)s->spurious_retransmissions,
        (long long)s->duplicate_acks, (long long)s->lost_segments, (long long)s->out_of_order,
        (long long)s->zero_windows, (long long)s->window_full, (long long)s->resets, (long long)s->syns,
        (long long)s->fins, (long long)s->options_cut, (long long)s->max_window,
        ws ? (Py_INCREF(ws), ws) : PyLong_FromLong(s->window_scale), (long long)s->max_in_flight,
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

static int append_flow(PyObject *list, const Conv *c) {
    PyObject *flow = conv_export(c);
    int failed = !flow || PyList_Append(list, flow) < 0;
    Py_XDECREF(flow);
    return failed ? -1 : 0;
}

/* take_finished() -> [flow, ...]: the flows finished since the last call, in order */
static PyObject *Analyzer_take_finished(Analyzer *self, PyObject *Py_UNUSED(ignored)) {
    Core *a = &self->core;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    while (a->done_head) {
        Conv *c = a->done_head;
        if (append_flow(out, c) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        a->done_head = c->next;
        a->pending--;
        conv_free(c);
    }
    a->done_tail = NULL;
    return out;
}

static PyObject *frames_list(const Core *a, int kind) {
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
static PyObject *Analyzer_take_live(Analyzer *self, PyObject *arg) {
    Core *a = &self->core;
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n == -1 && PyErr_Occurred()) return NULL;
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    while (a->live_head && n-- > 0) {
        Conv *c = a->live_head;
        if (append_flow(out, c) < 0) {
            Py_DECREF(out);
            return NULL;
        }
        live_unlink(a, c);
        conv_free(c);
    }
    return out;
}

/* finish() -> dict: counts, frames, the reservoir, link types; the live flows stay for take_live(). */
static PyObject *Analyzer_finish(Analyzer *self, PyObject *Py_UNUSED(ignored)) {
    Core *a = &self->core;
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

static PyObject *Analyzer_stats(Analyzer *self, PyObject *Py_UNUSED(ignored)) {
    Core *a = &self->core;
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
