/* registry.c: a resource registry. Registers content (a model, a contract, static data) by its
 * SHA-256 content hash as a resource output owned by and locked to the caller.
 *
 * register  input: content_hash (32) | category (u8: 1 contract, 2 AI model, 3 static) |
 *           size (u64 LE) | name (1..64 bytes UTF-8). Refuses content already registered
 *           (status 5). Event "registered" (content_hash). Returns the output index (u32 LE).
 * Statuses: 1 bad input, 4 unexpected host status, 5 already registered.
 */
#include "contract.h"

EXPORT("register") int32_t register_resource(void) {
    static uint8_t metadata[128];
    uint8_t caller[32], locks[ISPC_LOCKS_ONE_KEY_LEN], out[4];
    uint32_t n = 0, name_len, index = 0, locks_len;
    uint8_t category;
    uint64_t size;
    int32_t len = read_input(), st;
    if (len < 42 || len > 41 + 64) return ST_BAD_INPUT;
    category = INPUT[32];
    size = read_u64le(INPUT + 33);
    name_len = (uint32_t)len - 41;
    if (category < 1 || category > 3) return ST_BAD_INPUT;
    st = ispc_resource_exists(INPUT);
    if (st == ISPC_OK) return ST_EXISTS;
    if (st != ISPC_NOT_FOUND) return ST_HOST;
    if (ispc_caller(caller) != ISPC_OK) return ST_HOST;
    /* {"name": name, "size": size}: canonical order sorts the encoded keys bytewise. */
    metadata[n++] = 0xa2;
    metadata[n++] = 0x64; memcpy(metadata + n, "name", 4); n += 4;
    n += ispc__cbor_uint(metadata + n, 3, name_len);
    memcpy(metadata + n, INPUT + 41, name_len); n += name_len;
    metadata[n++] = 0x64; memcpy(metadata + n, "size", 4); n += 4;
    n += ispc__cbor_uint(metadata + n, 0, size);
    locks_len = ispc_encode_single_key_lock_list(locks, caller);
    st = ispc_tx_add_resource_output(INPUT, category, caller, locks, locks_len, metadata, n, &index);
    if (st == ISPC_INVALID_ARGUMENT || st == ISPC_NOT_FOUND) return ST_BAD_INPUT;
    if (st != ISPC_OK) return ST_HOST;
    if (ispc_emit_event((const uint8_t *)"registered", 10, INPUT, 32) != ISPC_OK) return ST_HOST;
    out[0] = (uint8_t)index; out[1] = (uint8_t)(index >> 8);
    out[2] = (uint8_t)(index >> 16); out[3] = (uint8_t)(index >> 24);
    return ispc_set_return_data(out, 4) == ISPC_OK ? ST_OK : ST_HOST;
}
