/* The flow table: Key -> (conversation, direction); open addressing, backward-shift deletion. */
#include "kernel.h"

void reverse_key(const Key *k, Key *r) {
    memset(r, 0, sizeof(Key));
    memcpy(r->src, k->dst, 16);
    memcpy(r->dst, k->src, 16);
    r->sport = k->dport;
    r->dport = k->sport;
    r->vni = k->vni;
    r->v6 = k->v6;
}

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

Entry *table_find(Table *t, const Key *k) {
    if (!t->cap) return NULL;
    size_t mask = t->cap - 1, i = key_hash(k) & mask;
    for (;;) {
        Entry *e = &t->slots[i];
        if (!e->conv) return NULL;
        if (memcmp(&e->key, k, sizeof(Key)) == 0) return e;
        i = (i + 1) & mask;
    }
}

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
int table_put(Table *t, const Key *k, Conv *conv, uint8_t idx) {
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

void table_remove(Table *t, Entry *e) {
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

void table_free(Table *t) {
    PyMem_RawFree(t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}
