/* Compile check and round-trip contract for sdk/c/ispc.h (built by scripts/check_sdk.sh and run
 * by tests/hostabi/test_hostabi_sdk.py with wasmtime and the real ispc.v1/ispc.crypto providers). */
#include "../../../sdk/c/ispc.h"

static uint8_t buffer[4096];
static uint8_t scratch[256];

#define EXPORT(name) __attribute__((export_name(name)))
#define CHECK(call) do { int32_t s_ = (call); if (s_ != ISPC_OK) return 100 + s_; } while (0)

/* Echo the call input back as return data. */
EXPORT("echo") int32_t echo(void) {
    uint32_t len = 0;
    int32_t status = ispc_call_input(buffer, 0, &len);
    if (status != ISPC_BUFFER_TOO_SMALL && status != ISPC_OK) return 100 + status;
    if (len > sizeof buffer) return 99;
    CHECK(ispc_call_input(buffer, sizeof buffer, &len));
    CHECK(ispc_set_return_data(buffer, len));
    return 0;
}

/* Return the context: abi version, height, timestamp, caller, contract, tx id, chain id. */
EXPORT("context") int32_t context(void) {
    uint32_t n = 0, len = 0;
    uint32_t version = ispc_abi_version();
    uint64_t height = ispc_block_height(), ts = ispc_block_timestamp();
    for (int i = 0; i < 4; i++) buffer[n++] = (uint8_t)(version >> (8 * i));
    for (int i = 0; i < 8; i++) buffer[n++] = (uint8_t)(height >> (8 * i));
    for (int i = 0; i < 8; i++) buffer[n++] = (uint8_t)(ts >> (8 * i));
    CHECK(ispc_caller(buffer + n)); n += 32;
    CHECK(ispc_contract_address(buffer + n)); n += 32;
    CHECK(ispc_transaction_id(buffer + n)); n += 32;
    CHECK(ispc_block_hash(height, buffer + n)); n += 32;
    CHECK(ispc_chain_id(buffer + n, sizeof buffer - n, &len)); n += len;
    CHECK(ispc_set_return_data(buffer, n));
    return 0;
}

/* Input: tx_id (32 bytes) || index (u32 LE). Spend the outpoint, pay 7 native coins to the
 * caller locked to their key, anchor a state, emit an event, and return the output found. */
EXPORT("spend") int32_t spend(void) {
    uint8_t outpoint[ISPC_OUTPOINT_MAX_LEN], token[2], locks[ISPC_LOCKS_ONE_KEY_LEN], me[32];
    uint8_t empty[1], caller[32];
    uint32_t len = 0, index = 0, out_len = 0;
    CHECK(ispc_call_input(buffer, 36, &len));
    if (len != 36) return 98;
    uint32_t op_index = buffer[32] | buffer[33] << 8 | buffer[34] << 16 | (uint32_t)buffer[35] << 24;
    uint32_t op_len = ispc_encode_outpoint(outpoint, buffer, op_index);
    CHECK(ispc_utxo_exists(outpoint, op_len));
    CHECK(ispc_utxo_lookup(outpoint, op_len, buffer, sizeof buffer, &out_len));
    CHECK(ispc_tx_add_input(outpoint, op_len, 0, 0, 0, &index));
    CHECK(ispc_caller(caller));
    ispc_encode_native_coin(token);
    ispc_encode_single_key_lock_list(locks, caller);
    CHECK(ispc_tx_add_asset_output(caller, 7, token, 2, locks, ISPC_LOCKS_ONE_KEY_LEN, &index));
    CHECK(ispc_contract_address(me));
    ispc_encode_empty_array(empty);
    CHECK(ispc_crypto_sha256(buffer, out_len, scratch));
    CHECK(ispc_tx_add_state_output(me, 1, scratch, empty, 1, 0, 0, &index));
    CHECK(ispc_emit_event((const uint8_t *)"spent", 5, buffer, out_len));
    CHECK(ispc_log_debug((const uint8_t *)"spent one", 9));
    CHECK(ispc_crypto_random_bytes(scratch, 16));
    CHECK(ispc_set_return_data(buffer, out_len));
    return 0;
}

/* Pass a pointer past the end of memory: the host must answer OUT_OF_BOUNDS, not crash. */
EXPORT("bad_pointer") int32_t bad_pointer(void) {
    int32_t status = ispc_caller((uint8_t *)0xFFFFFFF0u);
    return status == ISPC_OUT_OF_BOUNDS ? 0 : 200 + status;
}
