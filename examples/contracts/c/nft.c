/* nft.c: an NFT collection whose ownership lives in contract storage.
 *
 * Why storage and not NFT outputs: a collection is one contract's bookkeeping (who owns id N,
 * how many exist); in storage a transfer is one key write that the contract alone controls and
 * any query can read, with no outpoints for the caller to find. Fungible coins stay outputs
 * (see dao.c and token.c): they move between accounts and contracts the chain knows nothing of.
 *
 * Storage: "admin" -> address, "supply" -> u64 LE, "o:" + id (u64 LE) -> owner address.
 * init      no input. The caller becomes the admin (status 5 if set).
 * mint      input: recipient (32). Admin only. Mints id = supply; returns the id (u64 LE).
 * transfer  input: id (u64 LE) | recipient (32). Owner of the id only. Event "transfer" (id|to).
 * owner_of  input: id (u64 LE). Returns the owner (32); status 6 if no such id. Read-only.
 * Statuses: 1 bad input, 2 not allowed, 4 unexpected host status, 5 initialised, 6 no such id.
 */
#include "contract.h"
#include "ispc_state.h"

#define ST_NO_TOKEN 6

static const uint8_t ADMIN_KEY[] = "admin";
static const uint8_t SUPPLY_KEY[] = "supply";

static uint32_t owner_key(uint8_t *key, const uint8_t *id_le) { return ispc_key(key, "o:", id_le, 8); }

static int32_t caller_is(const uint8_t *address) {
    uint8_t caller[32];
    if (ispc_caller(caller) != ISPC_OK) return -1;
    return bytes_equal(caller, address, 32);
}

EXPORT("init") int32_t init(void) {
    uint8_t admin[32], caller[32];
    int32_t st = ispc_storage_get_address(ADMIN_KEY, 5, admin);
    if (st == ISPC_OK) return ST_EXISTS;
    if (st != ISPC_NOT_FOUND || ispc_caller(caller) != ISPC_OK) return ST_HOST;
    return ispc_storage_set_address(ADMIN_KEY, 5, caller) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("mint") int32_t mint(void) {
    uint8_t admin[32], key[16], id[8];
    uint64_t supply;
    int32_t st;
    if (read_input() != 32) return ST_BAD_INPUT;
    if (ispc_storage_get_address(ADMIN_KEY, 5, admin) != ISPC_OK) return ST_UNAUTHORISED;
    if ((st = caller_is(admin)) != 1) return st < 0 ? ST_HOST : ST_UNAUTHORISED;
    st = ispc_storage_get_u64(SUPPLY_KEY, 6, &supply);
    if (st != ISPC_OK && st != ISPC_NOT_FOUND) return ST_HOST;
    write_u64le(id, supply);
    if (ispc_storage_set_address(key, owner_key(key, id), INPUT) != ISPC_OK) return ST_HOST;
    if (ispc_storage_set_u64(SUPPLY_KEY, 6, supply + 1) != ISPC_OK) return ST_HOST;
    return ispc_set_return_data(id, 8) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("transfer") int32_t transfer(void) {
    uint8_t key[16], owner[32];
    uint32_t key_len;
    int32_t st;
    if (read_input() != 40) return ST_BAD_INPUT;
    key_len = owner_key(key, INPUT);
    st = ispc_storage_get_address(key, key_len, owner);
    if (st == ISPC_NOT_FOUND) return ST_NO_TOKEN;
    if (st != ISPC_OK) return ST_HOST;
    if ((st = caller_is(owner)) != 1) return st < 0 ? ST_HOST : ST_UNAUTHORISED;
    if (ispc_storage_set_address(key, key_len, INPUT + 8) != ISPC_OK) return ST_HOST;
    return ispc_emit_event((const uint8_t *)"transfer", 8, INPUT, 40) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("owner_of") int32_t owner_of(void) {
    uint8_t key[16], owner[32];
    int32_t st;
    if (read_input() != 8) return ST_BAD_INPUT;
    st = ispc_storage_get_address(key, owner_key(key, INPUT), owner);
    if (st == ISPC_NOT_FOUND) return ST_NO_TOKEN;
    if (st != ISPC_OK) return ST_HOST;
    return ispc_set_return_data(owner, 32) == ISPC_OK ? ST_OK : ST_HOST;
}
