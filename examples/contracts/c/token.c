/* token.c: a fungible token (class "TOK") issued by this contract.
 *
 * mint      input: amount (u64 LE). Only OWNER may mint; creates one asset output of `amount`
 *           owned by and locked to the caller. Event "mint" (amount LE). Returns the output index
 *           (u32 LE).
 * transfer  input: recipient (32) | amount (u64 LE) | n (u8, 1..16) | n x (tx_id (32) | index
 *           (u32 LE)). Spends the caller's listed token outputs, creates `amount` for the recipient
 *           and the change (if any) for the caller. Event "transfer" (recipient | amount LE).
 *           Returns the change (u64 LE).
 * Statuses: 1 bad input, 2 not the owner / not the caller's output, 3 insufficient funds,
 *           4 unexpected host status.
 */
#include "contract.h"

/* devnet_key("alice").public_key (ispc_framework.signing): a well-known, insecure devnet key. */
static const uint8_t OWNER[32] = {
    0x25, 0x78, 0xd0, 0xf5, 0x30, 0xb2, 0x41, 0x71, 0xc7, 0x83, 0xf8, 0x3c, 0x61, 0x22, 0x4d, 0x5d,
    0x95, 0xe9, 0x16, 0xf9, 0xce, 0x8e, 0xdd, 0x34, 0x79, 0x23, 0x9e, 0xbb, 0xb4, 0xa4, 0x38, 0xc2};
static const uint8_t CLASS_ID[3] = {'T', 'O', 'K'};

static uint8_t self_address[32];
static uint8_t caller[32];
static uint8_t token[48];
static uint32_t token_len;

static int32_t load_identity(void) {
    uint32_t n = 0;
    if (ispc_contract_address(self_address) != ISPC_OK) return ST_HOST;
    if (ispc_caller(caller) != ISPC_OK) return ST_HOST;
    /* FungibleToken(contract, class_id) = [21, contract, class_id] */
    token[n++] = 0x83; token[n++] = 21;
    n += ispc__cbor_hash(token + n, self_address);
    token[n++] = 0x40 | sizeof CLASS_ID;
    memcpy(token + n, CLASS_ID, sizeof CLASS_ID);
    token_len = n + sizeof CLASS_ID;
    return ST_OK;
}

static int32_t pay(const uint8_t *owner, uint64_t amount, uint32_t *index) {
    uint8_t locks[ISPC_LOCKS_ONE_KEY_LEN];
    uint32_t locks_len = ispc_encode_single_key_lock_list(locks, owner);
    int32_t st = ispc_tx_add_asset_output(owner, amount, token, token_len, locks, locks_len, index);
    return st == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("mint") int32_t mint(void) {
    uint32_t index = 0;
    uint64_t amount;
    uint8_t out[8];
    int32_t st;
    if (read_input() != 8) return ST_BAD_INPUT;
    amount = read_u64le(INPUT);
    if ((st = load_identity()) != ST_OK) return st;
    if (!bytes_equal(caller, OWNER, 32)) return ST_UNAUTHORISED;
    if (amount == 0) return ST_BAD_INPUT;
    if ((st = pay(caller, amount, &index)) != ST_OK) return st;
    if (ispc_emit_event((const uint8_t *)"mint", 4, INPUT, 8) != ISPC_OK) return ST_HOST;
    out[0] = (uint8_t)index; out[1] = (uint8_t)(index >> 8);
    out[2] = (uint8_t)(index >> 16); out[3] = (uint8_t)(index >> 24);
    return ispc_set_return_data(out, 4) == ISPC_OK ? ST_OK : ST_HOST;
}

/* The amount of a TxOutput holding this contract's token owned by the caller, or -1 status. */
static int32_t owned_amount(const uint8_t *encoded, uint32_t len, uint64_t *amount) {
    cbor c = {encoded, len, 0, 1};
    const uint8_t *owner, *contract, *class_id;
    cbor_expect(&c, 4, 6); cbor_expect(&c, 0, 34);          /* TxOutput */
    owner = cbor_bytes(&c, 32);
    cbor_skip(&c);                                          /* locks */
    cbor_expect(&c, 4, 3); cbor_expect(&c, 0, 30);          /* AssetOutput */
    cbor_expect(&c, 4, 3); cbor_expect(&c, 0, 21);          /* FungibleToken */
    contract = cbor_bytes(&c, 32);
    class_id = cbor_bytes(&c, sizeof CLASS_ID);
    *amount = cbor_uint(&c);
    if (!c.ok) return ST_BAD_INPUT;
    if (!bytes_equal(owner, caller, 32)) return ST_UNAUTHORISED;
    if (!bytes_equal(contract, self_address, 32) || !bytes_equal(class_id, CLASS_ID, 3))
        return ST_BAD_INPUT;
    return ST_OK;
}

EXPORT("transfer") int32_t transfer(void) {
    static uint8_t output[512];
    uint8_t outpoint[ISPC_OUTPOINT_MAX_LEN], change_le[8];
    const uint8_t *recipient, *entry;
    uint64_t amount, total = 0, value, change;
    uint32_t n, i, outpoint_len, output_len, index;
    int32_t len = read_input(), st;
    if (len < 41) return ST_BAD_INPUT;
    recipient = INPUT;
    amount = read_u64le(INPUT + 32);
    n = INPUT[40];
    if (n == 0 || n > 16 || (uint32_t)len != 41 + 36 * n || amount == 0) return ST_BAD_INPUT;
    if ((st = load_identity()) != ST_OK) return st;
    for (i = 0; i < n; i++) {
        entry = INPUT + 41 + 36 * i;
        outpoint_len = ispc_encode_outpoint(outpoint, entry, read_u32le(entry + 32));
        st = ispc_utxo_lookup(outpoint, outpoint_len, output, sizeof output, &output_len);
        if (st == ISPC_NOT_FOUND) return ST_BAD_INPUT;
        if (st != ISPC_OK) return ST_HOST;
        if ((st = owned_amount(output, output_len, &value)) != ST_OK) return st;
        if (total + value < total) return ST_BAD_INPUT;        /* overflow */
        total += value;
        st = ispc_tx_add_input(outpoint, outpoint_len, 0, 0, 0, &index);
        if (st == ISPC_DUPLICATE) return ST_BAD_INPUT;
        if (st == ISPC_INPUT_NOT_AUTHORIZED) return ST_UNAUTHORISED;  /* not the signer's */
        if (st != ISPC_OK) return ST_HOST;
    }
    if (total < amount) return ST_INSUFFICIENT;
    change = total - amount;
    if ((st = pay(recipient, amount, &index)) != ST_OK) return st;
    if (change > 0 && (st = pay(caller, change, &index)) != ST_OK) return st;
    if (ispc_emit_event((const uint8_t *)"transfer", 8, INPUT, 40) != ISPC_OK) return ST_HOST;
    write_u64le(change_le, change);
    return ispc_set_return_data(change_le, 8) == ISPC_OK ? ST_OK : ST_HOST;
}
