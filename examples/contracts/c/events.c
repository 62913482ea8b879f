/* events.c: an event emitter.
 *
 * emit      input: a sequence of records type_len (u8, 1..64) | type | data_len (u16 LE) | data.
 *           Emits one event per record in order and logs a summary with log_debug.
 *           Returns the number of events (u32 LE).
 * Statuses: 1 bad input, 4 unexpected host status.
 */
#include "contract.h"

EXPORT("emit") int32_t emit(void) {
    uint8_t out[4];
    uint32_t pos = 0, count = 0, type_len, data_len;
    int32_t len = read_input(), st;
    if (len < 0) return ST_BAD_INPUT;
    while (pos < (uint32_t)len) {
        type_len = INPUT[pos];
        if (type_len == 0 || pos + 1 + type_len + 2 > (uint32_t)len) return ST_BAD_INPUT;
        data_len = (uint32_t)INPUT[pos + 1 + type_len] | ((uint32_t)INPUT[pos + 2 + type_len] << 8);
        if (pos + 3 + type_len + data_len > (uint32_t)len) return ST_BAD_INPUT;
        st = ispc_emit_event(INPUT + pos + 1, type_len, INPUT + pos + 3 + type_len, data_len);
        if (st == ISPC_INVALID_ARGUMENT) return ST_BAD_INPUT;
        if (st != ISPC_OK) return ST_HOST;
        pos += 3 + type_len + data_len;
        count++;
    }
    out[0] = (uint8_t)count; out[1] = (uint8_t)(count >> 8);
    out[2] = (uint8_t)(count >> 16); out[3] = (uint8_t)(count >> 24);
    st = ispc_log_debug((const uint8_t *)"events emitted", 14);
    if (st != ISPC_OK && st != ISPC_LIMIT_REACHED) return ST_HOST;
    return ispc_set_return_data(out, 4) == ISPC_OK ? ST_OK : ST_HOST;
}
