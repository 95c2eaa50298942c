/* stats.QuantileSketch.add: exact up to `exact_samples`, DDSketch buckets beyond (same keys as Python). */
#include "kernel.h"
#include <math.h>

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
int sketch_add(Sketch *s, double value, const SketchCfg *cfg) {
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

void sketch_free(Sketch *s) {
    PyMem_RawFree(s->samples);
    PyMem_RawFree(s->buckets);
    s->samples = NULL;
    s->buckets = NULL;
}
