/* ispc_state.h: typed helpers over the ispc.state host functions (contract storage, balance,
 * transfer) for C contracts. Hand-written on top of the generated ispc.h; no libc needed.
 *
 * Storage is the running contract's own: keys are 1..128 bytes, values 0..16384 bytes. Reads see
 * the storage at the pinned block plus this run's writes; writes go to the draft only.
 * Every function returns an ISPC_* status (ISPC_NOT_FOUND for an absent key).
 */
#ifndef ISPC_STATE_H
#define ISPC_STATE_H

#include "ispc.h"

#define ISPC_STATE_MAX_KEY 128
#define ISPC_STATE_MAX_VALUE 16384
#define ISPC_SOURCE_CONTRACT 0u  /* transfer from the running contract's outputs */
#define ISPC_SOURCE_CALLER 1u    /* transfer from the caller's outputs (the caller must sign) */
#define ISPC_TOKEN_MAX_LEN 72    /* encoded FungibleToken/NonFungibleToken with a 32-byte id */

/* A key made of a text prefix and a binary id: out = prefix || id (at most 128 bytes). Returns
 * its length, or 0 if it would not fit. */
static inline uint32_t ispc_key(uint8_t *out, const char *prefix, const uint8_t *id,
                                uint32_t id_len) {
    uint32_t n = 0, i;
    while (prefix[n]) { if (n >= ISPC_STATE_MAX_KEY) return 0; out[n] = (uint8_t)prefix[n]; n++; }
    if (n + id_len > ISPC_STATE_MAX_KEY) return 0;
    for (i = 0; i < id_len; i++) out[n + i] = id[i];
    return n + id_len;
}

/* Read a value into buf (capacity cap); *len receives its length. */
static inline int32_t ispc_storage_get(const uint8_t *key, uint32_t key_len, uint8_t *buf,
                                       uint32_t cap, uint32_t *len) {
    return ispc_state_get(key, key_len, buf, cap, len);
}

static inline int32_t ispc_storage_set(const uint8_t *key, uint32_t key_len,
                                       const uint8_t *value, uint32_t value_len) {
    return ispc_state_set(key, key_len, value, value_len);
}

/* A u64 stored as 8 little-endian bytes. Absent: ISPC_NOT_FOUND and *value = 0; a stored value
 * of another length: ISPC_INVALID_ARGUMENT. */
static inline int32_t ispc_storage_get_u64(const uint8_t *key, uint32_t key_len, uint64_t *value) {
    uint8_t raw[8];
    uint32_t len = 0, i;
    int32_t st = ispc_state_get(key, key_len, raw, 8, &len);
    *value = 0;
    if (st != ISPC_OK) return st == ISPC_BUFFER_TOO_SMALL ? ISPC_INVALID_ARGUMENT : st;
    if (len != 8) return ISPC_INVALID_ARGUMENT;
    for (i = 8; i-- > 0;) *value = (*value << 8) | raw[i];
    return ISPC_OK;
}

static inline int32_t ispc_storage_set_u64(const uint8_t *key, uint32_t key_len, uint64_t value) {
    uint8_t raw[8];
    uint32_t i;
    for (i = 0; i < 8; i++) raw[i] = (uint8_t)(value >> (8 * i));
    return ispc_state_set(key, key_len, raw, 8);
}

/* A 32-byte address. */
static inline int32_t ispc_storage_get_address(const uint8_t *key, uint32_t key_len,
                                               uint8_t *address32) {
    uint32_t len = 0;
    int32_t st = ispc_state_get(key, key_len, address32, 32, &len);
    if (st == ISPC_BUFFER_TOO_SMALL || (st == ISPC_OK && len != 32)) return ISPC_INVALID_ARGUMENT;
    return st;
}

static inline int32_t ispc_storage_set_address(const uint8_t *key, uint32_t key_len,
                                               const uint8_t *address32) {
    return ispc_state_set(key, key_len, address32, 32);
}

/* FungibleToken(contract, class_id) (class_id up to 32 bytes); returns the length. */
static inline uint32_t ispc_encode_fungible_token(uint8_t *out, const uint8_t *contract32,
                                                  const uint8_t *class_id, uint32_t class_len) {
    uint32_t n = 0, i;
    out[n++] = 0x83; out[n++] = 21;
    n += ispc__cbor_hash(out + n, contract32);
    n += ispc__cbor_uint(out + n, 2, class_len);
    for (i = 0; i < class_len; i++) out[n++] = class_id[i];
    return n;
}

/* NonFungibleToken(contract, nft_id) (nft_id up to 32 bytes); returns the length. */
static inline uint32_t ispc_encode_nft(uint8_t *out, const uint8_t *contract32,
                                       const uint8_t *nft_id, uint32_t id_len) {
    uint32_t n = ispc_encode_fungible_token(out, contract32, nft_id, id_len);
    out[1] = 22;
    return n;
}

/* Balance of owner in the native coin. */
static inline int32_t ispc_balance_native(const uint8_t *owner32, uint64_t *amount) {
    uint8_t token[2];
    return ispc_state_balance(owner32, token, ispc_encode_native_coin(token), amount);
}

/* Pay amount of the native coin to `to` from `source` (ISPC_SOURCE_CONTRACT or _CALLER), with
 * automatic input selection and change; statuses ISPC_INSUFFICIENT_FUNDS, ISPC_NOT_AUTHORIZED. */
static inline int32_t ispc_pay_native(uint32_t source, const uint8_t *to32, uint64_t amount,
                                      uint32_t *index) {
    uint8_t token[2];
    return ispc_state_transfer(source, to32, token, ispc_encode_native_coin(token), amount, index);
}

#endif /* ISPC_STATE_H */
