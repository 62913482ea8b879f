/* names.c: a name registry in contract storage: "n:" + name -> the owner's 32-byte address.
 *
 * register  input: name (1..64 bytes). The caller owns it; status 5 if taken. Event "registered".
 * transfer  input: new owner (32) | name. Owner only (status 2); status 6 if unregistered.
 * release   input: name. Owner only; deletes the entry.
 * lookup    input: name. Returns the owner (32 bytes); status 6 if unregistered. Read-only.
 * Statuses: 1 bad input, 2 not the owner, 4 unexpected host status, 5 taken, 6 not registered.
 */
#include "contract.h"
#include "ispc_state.h"

#define ST_UNREGISTERED 6
#define MAX_NAME 64

static uint8_t KEY[ISPC_STATE_MAX_KEY];

/* The storage key of the name at INPUT + offset (input length len); 0 if the name is invalid. */
static uint32_t name_key(int32_t len, uint32_t offset) {
    if (len < 0 || (uint32_t)len <= offset || (uint32_t)len - offset > MAX_NAME) return 0;
    return ispc_key(KEY, "n:", INPUT + offset, (uint32_t)len - offset);
}

/* Loads the owner of KEY; returns ST_OK, ST_UNREGISTERED or ST_HOST. */
static int32_t owner_of(uint32_t key_len, uint8_t *owner) {
    int32_t st = ispc_storage_get_address(KEY, key_len, owner);
    return st == ISPC_OK ? ST_OK : st == ISPC_NOT_FOUND ? ST_UNREGISTERED : ST_HOST;
}

static int32_t check_owner(uint32_t key_len) {
    uint8_t caller[32], owner[32];
    int32_t st = owner_of(key_len, owner);
    if (st != ST_OK) return st;
    if (ispc_caller(caller) != ISPC_OK) return ST_HOST;
    return bytes_equal(caller, owner, 32) ? ST_OK : ST_UNAUTHORISED;
}

EXPORT("register") int32_t register_name(void) {
    uint8_t caller[32];
    uint32_t key_len = name_key(read_input(), 0);
    if (key_len == 0) return ST_BAD_INPUT;
    if (ispc_state_exists(KEY, key_len) == ISPC_OK) return ST_EXISTS;
    if (ispc_caller(caller) != ISPC_OK) return ST_HOST;
    if (ispc_storage_set_address(KEY, key_len, caller) != ISPC_OK) return ST_HOST;
    return ispc_emit_event((const uint8_t *)"registered", 10, KEY + 2, key_len - 2) == ISPC_OK
        ? ST_OK : ST_HOST;
}

EXPORT("transfer") int32_t transfer_name(void) {
    int32_t len = read_input(), st;
    uint32_t key_len = name_key(len, 32);
    if (key_len == 0) return ST_BAD_INPUT;
    if ((st = check_owner(key_len)) != ST_OK) return st;
    return ispc_storage_set_address(KEY, key_len, INPUT) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("release") int32_t release_name(void) {
    int32_t st;
    uint32_t key_len = name_key(read_input(), 0);
    if (key_len == 0) return ST_BAD_INPUT;
    if ((st = check_owner(key_len)) != ST_OK) return st;
    return ispc_state_delete(KEY, key_len) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("lookup") int32_t lookup_name(void) {
    uint8_t owner[32];
    int32_t st;
    uint32_t key_len = name_key(read_input(), 0);
    if (key_len == 0) return ST_BAD_INPUT;
    if ((st = owner_of(key_len, owner)) != ST_OK) return st;
    return ispc_set_return_data(owner, 32) == ISPC_OK ? ST_OK : ST_HOST;
}
