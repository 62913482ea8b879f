/* counter.c: a counter with an owner, kept in contract storage (ispc.state).
 *
 * Storage: "owner" -> 32-byte address, "count" -> u64 LE.
 * init       no input. The caller becomes the owner (status 5 if there already is one).
 * increment  input: optional u64 LE step (default 1). Anyone. Returns the new count (u64 LE).
 * reset      no input. Owner only (status 2). Sets the count to 0.
 * get        no input. Returns the count (u64 LE; 0 before the first increment). Read-only.
 * Statuses: 1 bad input, 2 not the owner, 4 unexpected host status, 5 already initialised,
 *           6 not initialised, 7 overflow.
 */
#include "contract.h"
#include "ispc_state.h"

#define ST_UNINITIALISED 6
#define ST_OVERFLOW 7

static const uint8_t OWNER_KEY[] = "owner";
static const uint8_t COUNT_KEY[] = "count";

static int32_t return_u64(uint64_t value) {
    uint8_t out[8];
    write_u64le(out, value);
    return ispc_set_return_data(out, 8) == ISPC_OK ? ST_OK : ST_HOST;
}

static int32_t load_count(uint64_t *count) {
    int32_t st = ispc_storage_get_u64(COUNT_KEY, 5, count);
    return st == ISPC_OK || st == ISPC_NOT_FOUND ? ST_OK : ST_HOST;
}

EXPORT("init") int32_t init(void) {
    uint8_t caller[32], owner[32];
    int32_t st = ispc_storage_get_address(OWNER_KEY, 5, owner);
    if (st == ISPC_OK) return ST_EXISTS;
    if (st != ISPC_NOT_FOUND || ispc_caller(caller) != ISPC_OK) return ST_HOST;
    return ispc_storage_set_address(OWNER_KEY, 5, caller) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("increment") int32_t increment(void) {
    uint64_t count, step = 1;
    int32_t len = read_input();
    if (len == 8) step = read_u64le(INPUT);
    else if (len != 0) return ST_BAD_INPUT;
    if (load_count(&count) != ST_OK) return ST_HOST;
    if (count + step < count) return ST_OVERFLOW;
    count += step;
    if (ispc_storage_set_u64(COUNT_KEY, 5, count) != ISPC_OK) return ST_HOST;
    return return_u64(count);
}

EXPORT("reset") int32_t reset(void) {
    uint8_t caller[32], owner[32];
    int32_t st = ispc_storage_get_address(OWNER_KEY, 5, owner);
    if (st == ISPC_NOT_FOUND) return ST_UNINITIALISED;
    if (st != ISPC_OK || ispc_caller(caller) != ISPC_OK) return ST_HOST;
    if (!bytes_equal(caller, owner, 32)) return ST_UNAUTHORISED;
    return ispc_storage_set_u64(COUNT_KEY, 5, 0) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("get") int32_t get(void) {
    uint64_t count;
    if (load_count(&count) != ST_OK) return ST_HOST;
    return return_u64(count);
}
