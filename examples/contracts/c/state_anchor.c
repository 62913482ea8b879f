/* state_anchor.c: anchors versions of an off-chain state as state outputs.
 *
 * anchor    input: state_id (32) | version (u64 LE) | result_hash (32) | has_parent (u8 0/1) |
 *           parent_hash (32, only if has_parent). Version 0 has no parent, later versions must
 *           name one. Public inputs: [version]. Event "anchored" (state_id | version LE).
 *           Returns the output index (u32 LE).
 * Statuses: 1 bad input, 4 unexpected host status.
 */
#include "contract.h"

EXPORT("anchor") int32_t anchor(void) {
    uint8_t public_inputs[16], out[4];
    uint32_t n = 0, index = 0, parent_len;
    uint64_t version;
    int32_t len = read_input(), st;
    if (len != 73 && len != 105) return ST_BAD_INPUT;
    version = read_u64le(INPUT + 32);
    parent_len = INPUT[72] ? 32 : 0;
    if (INPUT[72] > 1 || (uint32_t)len != 73 + parent_len) return ST_BAD_INPUT;
    if ((version == 0) != (parent_len == 0)) return ST_BAD_INPUT;
    public_inputs[n++] = 0x81;
    n += ispc__cbor_uint(public_inputs + n, 0, version);
    st = ispc_tx_add_state_output(INPUT, version, INPUT + 40, public_inputs, n, INPUT + 73,
                                  parent_len, &index);
    if (st == ISPC_INVALID_ARGUMENT) return ST_BAD_INPUT;
    if (st != ISPC_OK) return ST_HOST;
    if (ispc_emit_event((const uint8_t *)"anchored", 8, INPUT, 40) != ISPC_OK) return ST_HOST;
    out[0] = (uint8_t)index; out[1] = (uint8_t)(index >> 8);
    out[2] = (uint8_t)(index >> 16); out[3] = (uint8_t)(index >> 24);
    return ispc_set_return_data(out, 4) == ISPC_OK ? ST_OK : ST_HOST;
}
