/* contract.h: small helpers shared by the C example contracts (no libc: -nostdlib).
 *
 * Call inputs are plain little-endian binary records (documented per method in each contract);
 * values the host reads or returns (outpoints, tokens, locks, outputs) use ISPC's canonical
 * encoding (deterministic CBOR), for which ispc.h has encoders and this file a minimal reader.
 */
#ifndef ISPC_CONTRACT_H
#define ISPC_CONTRACT_H

#include "ispc.h"

#define EXPORT(name) __attribute__((export_name(name)))

/* clang lowers struct copies and zeroing to these even under -ffreestanding. */
void *memcpy(void *dst, const void *src, unsigned long n) {
    uint8_t *d = dst; const uint8_t *s = src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memset(void *dst, int c, unsigned long n) {
    uint8_t *d = dst;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}
static int bytes_equal(const uint8_t *a, const uint8_t *b, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++) if (a[i] != b[i]) return 0;
    return 1;
}
static uint64_t read_u64le(const uint8_t *p) {
    uint64_t v = 0; int i;
    for (i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static uint32_t read_u32le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static void write_u64le(uint8_t *p, uint64_t v) {
    int i;
    for (i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Contract statuses (the method's own i32 result; 0 = success). */
#define ST_OK 0
#define ST_BAD_INPUT 1
#define ST_UNAUTHORISED 2
#define ST_INSUFFICIENT 3
#define ST_HOST 4          /* a host call returned a status the contract did not expect */
#define ST_EXISTS 5

/* The call input, read once into a static buffer. Returns its length or -1. */
static uint8_t INPUT[4096];
static int32_t read_input(void) {
    uint32_t len = 0;
    if (ispc_call_input(INPUT, sizeof INPUT, &len) != ISPC_OK) return -1;
    return (int32_t)len;
}

/* ---- a minimal canonical-CBOR reader (unsigned ints, byte/text strings, arrays, null) ----- */
typedef struct { const uint8_t *p; uint32_t len; uint32_t pos; int ok; } cbor;

static int cbor_head(cbor *c, uint8_t *major, uint64_t *value) {
    uint8_t b, info; uint32_t n, i;
    if (!c->ok || c->pos >= c->len) { c->ok = 0; return 0; }
    b = c->p[c->pos++]; *major = b >> 5; info = b & 31;
    if (info < 24) { *value = info; return 1; }
    if (info == 24) n = 1; else if (info == 25) n = 2; else if (info == 26) n = 4;
    else if (info == 27) n = 8; else { *value = info; return *major == 7; }
    if (c->pos + n > c->len) { c->ok = 0; return 0; }
    *value = 0;
    for (i = 0; i < n; i++) *value = (*value << 8) | c->p[c->pos++];
    return 1;
}
/* Skip one item of any supported shape (nesting bounded by the input size). */
static void cbor_skip(cbor *c) {
    uint8_t major; uint64_t v, i;
    if (!cbor_head(c, &major, &v)) { c->ok = 0; return; }
    if (major == 2 || major == 3) {
        if (v > c->len - c->pos) { c->ok = 0; return; }
        c->pos += (uint32_t)v;
    } else if (major == 4) {
        for (i = 0; i < v && c->ok; i++) cbor_skip(c);
    } else if (major == 5) {
        for (i = 0; i < 2 * v && c->ok; i++) cbor_skip(c);
    } else if (major == 6) {
        cbor_skip(c);
    }
}
static int cbor_expect(cbor *c, uint8_t major, uint64_t value) {
    uint8_t m; uint64_t v;
    if (!cbor_head(c, &m, &v) || m != major || v != value) { c->ok = 0; return 0; }
    return 1;
}
static uint64_t cbor_uint(cbor *c) {
    uint8_t m; uint64_t v;
    if (!cbor_head(c, &m, &v) || m != 0) { c->ok = 0; return 0; }
    return v;
}
/* A byte string of exactly n bytes; returns a pointer into the input or 0. */
static const uint8_t *cbor_bytes(cbor *c, uint32_t n) {
    const uint8_t *at;
    if (!cbor_expect(c, 2, n) || c->pos + n > c->len) { c->ok = 0; return 0; }
    at = c->p + c->pos; c->pos += n;
    return at;
}

#endif
