/* dao.c: a DAO vote whose treasury is the contract's own native-coin outputs. Members propose
 * payments, vote once each, and a proposal with a majority of all members is paid out with
 * ispc.state transfer (automatic input selection from the contract's outputs, change back).
 *
 * Storage: "admin", "members" (u64), "m:" + address -> 1, "next" (u64 proposal counter),
 *          "p:" + id (u64 LE) -> to (32) | amount (u64) | yes (u64) | no (u64) | paid (u8),
 *          "v:" + id + address -> 1 (voted).
 * init        no input. The caller becomes the admin and first member (status 5 if set).
 * add_member  input: address (32). Admin only; status 5 if already a member.
 * propose     input: to (32) | amount (u64 LE). Members only. Returns the id (u64 LE).
 * vote        input: id (u64 LE) | choice (u8: 1 yes, 0 no). Members only, once (status 5).
 * execute     input: id (u64 LE). Anyone. Pays if yes * 2 > members and not yet paid.
 * treasury    no input. Returns the contract's native balance (u64 LE). Read-only.
 * Statuses: 1 bad input, 2 not allowed, 3 treasury too small, 4 unexpected host status,
 *           5 already done, 6 no such proposal, 8 not passed.
 */
#include "contract.h"
#include "ispc_state.h"

#define ST_NO_PROPOSAL 6
#define ST_NOT_PASSED 8
#define PROPOSAL_LEN 57

static const uint8_t ADMIN_KEY[] = "admin";
static const uint8_t MEMBERS_KEY[] = "members";
static const uint8_t NEXT_KEY[] = "next";
static const uint8_t ONE[1] = {1};
static uint8_t CALLER[32];
static uint8_t KEY[ISPC_STATE_MAX_KEY];
static uint8_t PROPOSAL[PROPOSAL_LEN];

static int32_t load_caller(void) { return ispc_caller(CALLER) == ISPC_OK ? ST_OK : ST_HOST; }

static int32_t is_member(const uint8_t *address) {
    uint32_t n = ispc_key(KEY, "m:", address, 32);
    int32_t st = ispc_state_exists(KEY, n);
    return st == ISPC_OK ? 1 : st == ISPC_NOT_FOUND ? 0 : -1;
}

static int32_t add(const uint8_t *address) {
    uint64_t members;
    int32_t st = ispc_storage_get_u64(MEMBERS_KEY, 7, &members);
    if (st != ISPC_OK && st != ISPC_NOT_FOUND) return ST_HOST;
    if (ispc_state_set(KEY, ispc_key(KEY, "m:", address, 32), ONE, 1) != ISPC_OK) return ST_HOST;
    return ispc_storage_set_u64(MEMBERS_KEY, 7, members + 1) == ISPC_OK ? ST_OK : ST_HOST;
}

static int32_t load_proposal(const uint8_t *id_le, uint32_t *key_len) {
    uint32_t len = 0;
    int32_t st;
    *key_len = ispc_key(KEY, "p:", id_le, 8);
    st = ispc_storage_get(KEY, *key_len, PROPOSAL, PROPOSAL_LEN, &len);
    if (st == ISPC_NOT_FOUND) return ST_NO_PROPOSAL;
    return st == ISPC_OK && len == PROPOSAL_LEN ? ST_OK : ST_HOST;
}

EXPORT("init") int32_t init(void) {
    uint8_t admin[32];
    int32_t st = ispc_storage_get_address(ADMIN_KEY, 5, admin);
    if (st == ISPC_OK) return ST_EXISTS;
    if (st != ISPC_NOT_FOUND || load_caller() != ST_OK) return ST_HOST;
    if (ispc_storage_set_address(ADMIN_KEY, 5, CALLER) != ISPC_OK) return ST_HOST;
    return add(CALLER);
}

EXPORT("add_member") int32_t add_member(void) {
    uint8_t admin[32];
    int32_t member;
    if (read_input() != 32) return ST_BAD_INPUT;
    if (ispc_storage_get_address(ADMIN_KEY, 5, admin) != ISPC_OK) return ST_UNAUTHORISED;
    if (load_caller() != ST_OK) return ST_HOST;
    if (!bytes_equal(CALLER, admin, 32)) return ST_UNAUTHORISED;
    member = is_member(INPUT);
    if (member != 0) return member < 0 ? ST_HOST : ST_EXISTS;
    return add(INPUT);
}

EXPORT("propose") int32_t propose(void) {
    uint64_t next;
    uint8_t id[8];
    int32_t st, member;
    if (read_input() != 40) return ST_BAD_INPUT;
    if (load_caller() != ST_OK) return ST_HOST;
    member = is_member(CALLER);
    if (member != 1) return member < 0 ? ST_HOST : ST_UNAUTHORISED;
    st = ispc_storage_get_u64(NEXT_KEY, 4, &next);
    if (st != ISPC_OK && st != ISPC_NOT_FOUND) return ST_HOST;
    memset(PROPOSAL, 0, PROPOSAL_LEN);
    memcpy(PROPOSAL, INPUT, 40);
    write_u64le(id, next);
    if (ispc_storage_set(KEY, ispc_key(KEY, "p:", id, 8), PROPOSAL, PROPOSAL_LEN) != ISPC_OK)
        return ST_HOST;
    if (ispc_storage_set_u64(NEXT_KEY, 4, next + 1) != ISPC_OK) return ST_HOST;
    return ispc_set_return_data(id, 8) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("vote") int32_t vote(void) {
    uint8_t vote_key[ISPC_STATE_MAX_KEY], voter[40];
    uint32_t key_len, vote_len;
    uint64_t count;
    int32_t st, member;
    if (read_input() != 9 || INPUT[8] > 1) return ST_BAD_INPUT;
    if (load_caller() != ST_OK) return ST_HOST;
    member = is_member(CALLER);
    if (member != 1) return member < 0 ? ST_HOST : ST_UNAUTHORISED;
    if ((st = load_proposal(INPUT, &key_len)) != ST_OK) return st;
    memcpy(voter, INPUT, 8);
    memcpy(voter + 8, CALLER, 32);
    vote_len = ispc_key(vote_key, "v:", voter, 40);
    st = ispc_state_exists(vote_key, vote_len);
    if (st == ISPC_OK) return ST_EXISTS;
    if (st != ISPC_NOT_FOUND) return ST_HOST;
    count = read_u64le(PROPOSAL + (INPUT[8] ? 40 : 48));
    write_u64le(PROPOSAL + (INPUT[8] ? 40 : 48), count + 1);
    if (ispc_storage_set(KEY, key_len, PROPOSAL, PROPOSAL_LEN) != ISPC_OK) return ST_HOST;
    return ispc_state_set(vote_key, vote_len, ONE, 1) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("execute") int32_t execute(void) {
    uint64_t members;
    uint32_t key_len, index = 0;
    int32_t st;
    if (read_input() != 8) return ST_BAD_INPUT;
    if ((st = load_proposal(INPUT, &key_len)) != ST_OK) return st;
    if (PROPOSAL[56]) return ST_EXISTS;
    if (ispc_storage_get_u64(MEMBERS_KEY, 7, &members) != ISPC_OK) return ST_HOST;
    if (read_u64le(PROPOSAL + 40) * 2 <= members) return ST_NOT_PASSED;
    st = ispc_pay_native(ISPC_SOURCE_CONTRACT, PROPOSAL, read_u64le(PROPOSAL + 32), &index);
    if (st == ISPC_INSUFFICIENT_FUNDS) return ST_INSUFFICIENT;
    if (st != ISPC_OK) return ST_HOST;
    PROPOSAL[56] = 1;
    return ispc_storage_set(KEY, key_len, PROPOSAL, PROPOSAL_LEN) == ISPC_OK ? ST_OK : ST_HOST;
}

EXPORT("treasury") int32_t treasury(void) {
    uint8_t self[32], out[8];
    uint64_t amount = 0;
    if (ispc_contract_address(self) != ISPC_OK) return ST_HOST;
    if (ispc_balance_native(self, &amount) != ISPC_OK) return ST_HOST;
    write_u64le(out, amount);
    return ispc_set_return_data(out, 8) == ISPC_OK ? ST_OK : ST_HOST;
}
