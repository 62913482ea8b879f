/* ispc.h: ISPC HostABI v1 for C contracts (clang --target=wasm32).
 * GENERATED from hostabi_spec/abi_v1.json by `python -m ispc_framework._hostabi.generate`; do not edit.
 *
 * Calling convention (HostABI v1):
 * - A contract method is an exported function `() -> i32`; the i32 is the contract's own status
 *   (0 = success; anything else fails the run with ContractFailed). The module must export `memory`
 *   and must not have a start function.
 * - The method reads its input with `call_input` and sets its result with `set_return_data`.
 * - Every host function returning a status returns ONLY a status (table below); lengths, indices and
 *   values are written to guest buffers the contract passes. A status is never a length.
 * - The host writes only into buffers the guest passes: fixed-size outputs at a pointer (size in the
 *   spec), variable-size outputs as (ptr, cap, len_ptr): the needed length is always written at
 *   len_ptr, the data only if cap >= needed, else BUFFER_TOO_SMALL. Call with cap 0 to learn a size.
 * - Every pointer range is bounds-checked (OUT_OF_BOUNDS, nothing read or written); every input has
 *   a maximum length (TOO_LARGE, nothing read); structured values (outpoints, tokens, locks, outputs)
 *   use ISPC's canonical encoding (deterministic CBOR, ispc_framework._encoding).
 * - A call either completes or changes nothing: the draft is touched only after every argument was
 *   read and every output range checked.
 * - Bad arguments never abort: they return a status. Only host-side limits abort the run, with a
 *   typed error (out of gas, return data/draft/trace caps).
 * - Every call, reads included, is charged gas (base + gas_per_byte x bytes read and written) and
 *   recorded in the execution trace.
 */
#ifndef ISPC_H
#define ISPC_H

/* Fixed-width types from the compiler, so no libc or sysroot is needed. */
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __INT32_TYPE__ int32_t;
typedef __UINT64_TYPE__ uint64_t;

#define ISPC_ABI_VERSION 1

/* Status codes: the only thing a status-returning host function returns. */
#define ISPC_OK 0 /* success; outputs were written */
#define ISPC_NOT_FOUND 1 /* the block, UTXO or resource does not exist in the pinned view (also utxo_exists/resource_exists: false) */
#define ISPC_BUFFER_TOO_SMALL 2 /* an out_bytes buffer is smaller than the result; the needed length was written at len_ptr, nothing else */
#define ISPC_OUT_OF_BOUNDS 3 /* a pointer range lies outside linear memory; nothing was read or written */
#define ISPC_INVALID_ARGUMENT 4 /* an argument is malformed: not a canonical encoding, wrong type, invalid UTF-8, out-of-range value */
#define ISPC_TOO_LARGE 5 /* an input length exceeds the parameter's max_len; nothing was read */
#define ISPC_DUPLICATE 6 /* the outpoint is already an input of this execution's draft */
#define ISPC_LIMIT_REACHED 7 /* log_debug only: the per-run log cap is reached, the message was not kept */
#define ISPC_VERIFY_FAILED 8 /* a signature does not verify */
#define ISPC_INPUT_NOT_AUTHORIZED 9 /* tx_add_input only: the output's lock or owner does not let this transaction's signers or this contract spend it (docs/authorization.md); nothing was added */
#define ISPC_INSUFFICIENT_FUNDS 16 /* transfer only: the source's spendable outputs of the token (not already inputs of this draft) sum to less than the amount; nothing was added */
#define ISPC_NOT_AUTHORIZED 17 /* transfer only: this execution may not spend the source's outputs (source 1, the caller, is usable only when the caller signed the transaction); nothing was added */

#define ISPC_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

/* ==== import module "ispc.v1": The seventeen primitives of the design plus the calling convention. */

/* abi_version: The HostABI version this host implements (1).
 * category read; gas 10 + 0/byte; statuses: none (returns a value) */
ISPC_IMPORT("ispc.v1", "abi_version")
uint32_t ispc_abi_version(void);

/* call_input: Copy the call input into the guest buffer. Call with cap 0 to learn its length.
 *   input (out_bytes): receives the call input (ExecutionRequest.input)
 * category read; gas 50 + 1/byte; statuses: OK, BUFFER_TOO_SMALL, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "call_input")
int32_t ispc_call_input(uint8_t *input_ptr, uint32_t input_cap, uint32_t *input_len);

/* set_return_data: Set the return data of the call. More than limits.max_return_bytes aborts
 * the run (LimitExceeded, return-too-large).
 *   data (bytes, max limits.max_return_bytes): the return data; replaces any earlier value
 * category write; gas 50 + 1/byte; statuses: OK, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "set_return_data")
int32_t ispc_set_return_data(const uint8_t *data_ptr, uint32_t data_len);

/* block_height: Height of the pinned head block.
 * category read; gas 10 + 0/byte; statuses: none (returns a value) */
ISPC_IMPORT("ispc.v1", "block_height")
uint64_t ispc_block_height(void);

/* block_timestamp: Timestamp (seconds) of the pinned head block; never the wall clock.
 * category read; gas 10 + 0/byte; statuses: none (returns a value) */
ISPC_IMPORT("ispc.v1", "block_timestamp")
uint64_t ispc_block_timestamp(void);

/* block_hash: Hash of the block at `height`. Heights above the pinned head are NOT_FOUND, even
 * if the chain has grown since.
 *   height (u64): a height at or below block_height()
 *   hash (out_fixed): receives the 32-byte block hash
 * category read; gas 200 + 0/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "block_hash")
int32_t ispc_block_hash(uint64_t height, uint8_t *hash_out /* 32 bytes */);

/* chain_id: The chain id (UTF-8 text, no terminator).
 *   chain_id (out_bytes): receives the chain id as UTF-8
 * category read; gas 20 + 1/byte; statuses: OK, BUFFER_TOO_SMALL, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "chain_id")
int32_t ispc_chain_id(uint8_t *chain_id_ptr, uint32_t chain_id_cap, uint32_t *chain_id_len);

/* caller: Address of the caller of this execution.
 *   address (out_fixed): receives the caller's 32-byte address
 * category read; gas 20 + 0/byte; statuses: OK, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "caller")
int32_t ispc_caller(uint8_t *address_out /* 32 bytes */);

/* contract_address: Address of the running contract.
 *   address (out_fixed): receives the contract's 32-byte address (its code's content hash)
 * category read; gas 20 + 0/byte; statuses: OK, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "contract_address")
int32_t ispc_contract_address(uint8_t *address_out /* 32 bytes */);

/* transaction_id: Id of this execution's transaction: a digest of the pins and the request.
 *   id (out_fixed): receives the 32-byte transaction id of this execution
 * category read; gas 20 + 0/byte; statuses: OK, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "transaction_id")
int32_t ispc_transaction_id(uint8_t *id_out /* 32 bytes */);

/* utxo_lookup: Look up an unspent output.
 *   outpoint (bytes, max 64): canonical encoding of an OutPoint
 *   output (out_bytes): receives the canonical encoding of the unspent TxOutput
 * category read; gas 500 + 1/byte; statuses: OK, NOT_FOUND, BUFFER_TOO_SMALL, OUT_OF_BOUNDS,
 * INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.v1", "utxo_lookup")
int32_t ispc_utxo_lookup(const uint8_t *outpoint_ptr, uint32_t outpoint_len, uint8_t *output_ptr, uint32_t output_cap, uint32_t *output_len);

/* utxo_exists: OK if the outpoint is unspent, NOT_FOUND otherwise.
 *   outpoint (bytes, max 64): canonical encoding of an OutPoint
 * category read; gas 300 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
 * TOO_LARGE */
ISPC_IMPORT("ispc.v1", "utxo_exists")
int32_t ispc_utxo_exists(const uint8_t *outpoint_ptr, uint32_t outpoint_len);

/* resource_lookup: Look up a resource (contract, model or static data) by content hash.
 *   content_hash (fixed): the resource's SHA-256 content hash
 *   resource (out_bytes): receives the canonical encoding of the ResourceOutput
 * category read; gas 500 + 1/byte; statuses: OK, NOT_FOUND, BUFFER_TOO_SMALL, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "resource_lookup")
int32_t ispc_resource_lookup(const uint8_t *content_hash /* 32 bytes */, uint8_t *resource_ptr, uint32_t resource_cap, uint32_t *resource_len);

/* resource_exists: OK if a resource output with this content hash exists, NOT_FOUND otherwise.
 *   content_hash (fixed): the resource's SHA-256 content hash
 * category read; gas 300 + 0/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS */
ISPC_IMPORT("ispc.v1", "resource_exists")
int32_t ispc_resource_exists(const uint8_t *content_hash /* 32 bytes */);

/* tx_add_input: Add an input to the draft. The outpoint must be unspent in the pinned view
 * (NOT_FOUND otherwise) and not already an input (DUPLICATE). Spending (not reference_only)
 * needs the output's lock/owner to allow this transaction's signers or this contract, and an
 * output spendable only on a signer's authority must be in the signed transaction's spend
 * allowance (INPUT_NOT_AUTHORIZED otherwise; docs/authorization.md).
 *   outpoint (bytes, max 64): canonical encoding of the OutPoint to spend or reference
 *   reference_only (bool): 1: read the output without spending it
 *   proof (bytes, max 4096): unlocking proof (may be empty)
 *   index (out_u32): receives the input's index in the draft
 * category write; gas 1000 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
 * TOO_LARGE, DUPLICATE, INPUT_NOT_AUTHORIZED */
ISPC_IMPORT("ispc.v1", "tx_add_input")
int32_t ispc_tx_add_input(const uint8_t *outpoint_ptr, uint32_t outpoint_len, uint32_t reference_only, const uint8_t *proof_ptr, uint32_t proof_len, uint32_t *index_out);

/* tx_add_asset_output: Add an asset output to the draft.
 *   owner (fixed): owner address
 *   amount (u64): amount (an NFT's must be 1)
 *   token (bytes, max 128): canonical encoding of NativeCoin, FungibleToken or NonFungibleToken
 *   locks (bytes, max 8192): canonical encoding of an array of 0 to 8 locking conditions
 *   index (out_u32): receives the output's index in the draft
 * category write; gas 2000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.v1", "tx_add_asset_output")
int32_t ispc_tx_add_asset_output(const uint8_t *owner /* 32 bytes */, uint64_t amount, const uint8_t *token_ptr, uint32_t token_len, const uint8_t *locks_ptr, uint32_t locks_len, uint32_t *index_out);

/* tx_add_resource_output: Add a resource output to the draft. If the content is stored in the
 * repository its size is taken from it (a given size must match); otherwise size is required
 * (NOT_FOUND without it).
 *   content_hash (fixed): SHA-256 of the resource content
 *   category (u32): 1 contract, 2 AI model, 3 static
 *   owner (fixed): owner address
 *   locks (bytes, max 8192): canonical encoding of an array of 0 to 8 locking conditions
 *   metadata (bytes, max 8192): canonical encoding of a map with optional keys mime_type
 *     (text), name (text), size (uint), metadata (map text to text)
 *   index (out_u32): receives the output's index in the draft
 * category write; gas 2000 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
 * TOO_LARGE */
ISPC_IMPORT("ispc.v1", "tx_add_resource_output")
int32_t ispc_tx_add_resource_output(const uint8_t *content_hash /* 32 bytes */, uint32_t category, const uint8_t *owner /* 32 bytes */, const uint8_t *locks_ptr, uint32_t locks_len, const uint8_t *metadata_ptr, uint32_t metadata_len, uint32_t *index_out);

/* tx_add_state_output: Add a state output owned by and locked to the running contract
 * (ContractLock). The stored state id is namespaced by the contract: SHA-256 domain digest
 * "ispc/contract-state" over contract_address || state_id
 * (ispc_framework._authorization.contract_state_id), so no contract can write under another
 * contract's state ids or its execution-state id; the given state_id is kept in the output's
 * metadata under "state_key" (hex) so verify rechecks the namespacing. The public inputs are
 * kept in the output's metadata under "public_inputs" (decimal, comma-separated); the proof is
 * attached after execution.
 *   state_id (fixed): the state's id
 *   version (u64): the state's version
 *   result_hash (fixed): the execution result hash the state commits to
 *   public_inputs (bytes, max 2048): canonical encoding of an array of 0 to 32 BN254 field
 *     elements (uints below the field modulus)
 *   parent_hash (bytes, max 32): empty for a first version, else the 32-byte parent state hash
 *   index (out_u32): receives the output's index in the draft
 * category write; gas 2000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.v1", "tx_add_state_output")
int32_t ispc_tx_add_state_output(const uint8_t *state_id /* 32 bytes */, uint64_t version, const uint8_t *result_hash /* 32 bytes */, const uint8_t *public_inputs_ptr, uint32_t public_inputs_len, const uint8_t *parent_hash_ptr, uint32_t parent_hash_len, uint32_t *index_out);

/* emit_event: Emit an event from the running contract (kept in the draft).
 *   event_type (bytes, max 64): UTF-8 event type, 1 to 64 bytes
 *   data (bytes, max 65536): event payload
 * category trace; gas 500 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.v1", "emit_event")
int32_t ispc_emit_event(const uint8_t *event_type_ptr, uint32_t event_type_len, const uint8_t *data_ptr, uint32_t data_len);

/* log_debug: Keep a debug message in the run's log (not part of the draft; recorded in the
 * trace).
 *   message (bytes, max 4096): UTF-8 message
 * category trace; gas 50 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE,
 * LIMIT_REACHED */
ISPC_IMPORT("ispc.v1", "log_debug")
int32_t ispc_log_debug(const uint8_t *message_ptr, uint32_t message_len);

/* ==== import module "ispc.crypto": Optional cryptographic helpers; shows that providers compose. */

/* sha256: Plain SHA-256 (no domain separation).
 *   data (bytes, max 1048576): the bytes to hash
 *   digest (out_fixed): receives SHA-256(data)
 * category read; gas 100 + 1/byte; statuses: OK, OUT_OF_BOUNDS, TOO_LARGE */
ISPC_IMPORT("ispc.crypto", "sha256")
int32_t ispc_crypto_sha256(const uint8_t *data_ptr, uint32_t data_len, uint8_t *digest_out /* 32 bytes */);

/* ed25519_verify: OK if the signature verifies, VERIFY_FAILED otherwise. The rule is
 * libsodium's, the same function that checks transaction signatures (docs/authorization.md):
 * cofactorless RFC 8032 equation, S < L, canonical A and R that are not of small order.
 *   public_key (fixed): Ed25519 public key
 *   message (bytes, max 65536): the signed message
 *   signature (fixed): Ed25519 signature (R || S)
 * category read; gas 50000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, TOO_LARGE, VERIFY_FAILED */
ISPC_IMPORT("ispc.crypto", "ed25519_verify")
int32_t ispc_crypto_ed25519_verify(const uint8_t *public_key /* 32 bytes */, const uint8_t *message_ptr, uint32_t message_len, const uint8_t *signature /* 64 bytes */);

/* random_bytes: Deterministic random stream: SHA-256 in counter mode seeded from the
 * transaction id, so the same request on the same pins gets the same bytes. Predictable by
 * anyone who knows the request: not for secrets.
 *   out (out_fill, max 65536): filled with the next bytes of the run's random stream
 * category read; gas 100 + 1/byte; statuses: OK, OUT_OF_BOUNDS, TOO_LARGE */
ISPC_IMPORT("ispc.crypto", "random_bytes")
int32_t ispc_crypto_random_bytes(uint8_t *out_ptr, uint32_t out_len);

/* ==== import module "ispc.state": Contract storage (key/value, keyed by the running contract, committed by a sparse Merkle root) and balance/transfer helpers over the UTXO set. */

/* get: Read a key of the running contract's own storage: its value at the pinned block, or this
 * run's own last write of it. NOT_FOUND if absent or deleted. A contract can address only its
 * own storage.
 *   key (bytes, max 128): the storage key, 1 to 128 bytes
 *   value (out_bytes): receives the stored value (0 to 16384 bytes)
 * category read; gas 800 + 3/byte; statuses: OK, NOT_FOUND, BUFFER_TOO_SMALL, OUT_OF_BOUNDS,
 * INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.state", "get")
int32_t ispc_state_get(const uint8_t *key_ptr, uint32_t key_len, uint8_t *value_ptr, uint32_t value_cap, uint32_t *value_len);

/* exists: OK if the key holds a value (as get sees it), NOT_FOUND otherwise.
 *   key (bytes, max 128): the storage key, 1 to 128 bytes
 * category read; gas 500 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
 * TOO_LARGE */
ISPC_IMPORT("ispc.state", "exists")
int32_t ispc_state_exists(const uint8_t *key_ptr, uint32_t key_len);

/* set: Set a key of the running contract's storage, in this run's draft only (its state delta);
 * applying the result writes it. The delta counts against limits.max_draft_bytes
 * (DraftLimitExceeded aborts the run).
 *   key (bytes, max 128): the storage key, 1 to 128 bytes
 *   value (bytes, max 16384): the value, 0 to 16384 bytes
 * category write; gas 5000 + 20/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.state", "set")
int32_t ispc_state_set(const uint8_t *key_ptr, uint32_t key_len, const uint8_t *value_ptr, uint32_t value_len);

/* delete: Delete a key of the running contract's storage (in the draft; deleting an absent key
 * is a write that changes nothing but the version).
 *   key (bytes, max 128): the storage key, 1 to 128 bytes
 * category write; gas 2000 + 20/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.state", "delete")
int32_t ispc_state_delete(const uint8_t *key_ptr, uint32_t key_len);

/* balance: Sum of the owner's unspent asset outputs of the token in the pinned view, whatever
 * their locks. Costs 100 gas more per output of the owner scanned; the outpoints counted are
 * recorded in the trace (read set).
 *   owner (fixed): the owner address
 *   token (bytes, max 128): canonical encoding of NativeCoin, FungibleToken or NonFungibleToken
 *   amount (out_u64): receives the sum (u64 little-endian; saturates at 2^64-1)
 * category read; gas 1000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE */
ISPC_IMPORT("ispc.state", "balance")
int32_t ispc_state_balance(const uint8_t *owner /* 32 bytes */, const uint8_t *token_ptr, uint32_t token_len, uint64_t *amount_out);

/* transfer: Pay `amount` of `token` to `to` from the source's outputs. Selection rule: the
 * source's unspent asset outputs of the token in the pinned view that this execution may spend
 * (for source 1, only outpoints in the signed transaction's spend allowance) and that are not
 * yet inputs of the draft, largest amount first, ties by outpoint (tx_id, then index)
 * ascending, taken until they cover the amount. Adds them as inputs, one output of `amount`
 * owned by `to` (no locks), and, if they exceed it, one change output owned by the source (no
 * locks). Costs 100 gas per candidate output scanned and 1500 per input added; the outpoints
 * read and spent are recorded in the trace. All or nothing: on any status but OK the draft is
 * unchanged.
 *   source (u32): whose outputs to spend: 0 the running contract's, 1 the caller's (only if the
 *     caller signed the transaction)
 *   to (fixed): the recipient's address
 *   token (bytes, max 128): canonical encoding of NativeCoin, FungibleToken or NonFungibleToken
 *   amount (u64): the amount, at least 1 (an NFT's is 1)
 *   index (out_u32): receives the draft index of the recipient's output
 * category write; gas 3000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE,
 * INSUFFICIENT_FUNDS, NOT_AUTHORIZED */
ISPC_IMPORT("ispc.state", "transfer")
int32_t ispc_state_transfer(uint32_t source, const uint8_t *to /* 32 bytes */, const uint8_t *token_ptr, uint32_t token_len, uint64_t amount, uint32_t *index_out);

/* ---- canonical-encoding helpers (ispc_framework._encoding: deterministic CBOR) ----------------- */

#define ISPC_HASH_LEN 32
#define ISPC_ADDRESS_LEN 32
#define ISPC_OUTPOINT_MAX_LEN 41
#define ISPC_LOCKS_ONE_KEY_LEN 37

static inline uint32_t ispc__cbor_uint(uint8_t *out, uint8_t major, uint64_t value) {
    uint8_t m = (uint8_t)(major << 5);
    uint32_t n, i;
    if (value < 24) { out[0] = (uint8_t)(m | value); return 1; }
    if (value < 0x100) { out[0] = m | 24; n = 1; }
    else if (value < 0x10000) { out[0] = m | 25; n = 2; }
    else if (value < 0x100000000ULL) { out[0] = m | 26; n = 4; }
    else { out[0] = m | 27; n = 8; }
    for (i = 0; i < n; i++) out[1 + i] = (uint8_t)(value >> (8 * (n - 1 - i)));
    return 1 + n;
}

static inline uint32_t ispc__cbor_hash(uint8_t *out, const uint8_t *hash32) {
    uint32_t i;
    out[0] = 0x58; out[1] = 32;
    for (i = 0; i < 32; i++) out[2 + i] = hash32[i];
    return 34;
}

/* OutPoint(tx_id, index) -> out (at least ISPC_OUTPOINT_MAX_LEN bytes); returns the length. */
static inline uint32_t ispc_encode_outpoint(uint8_t *out, const uint8_t *tx_id32, uint32_t index) {
    uint32_t n = 0;
    out[n++] = 0x83; out[n++] = 1;
    n += ispc__cbor_hash(out + n, tx_id32);
    return n + ispc__cbor_uint(out + n, 0, index);
}

/* NativeCoin() as a token: 2 bytes. */
static inline uint32_t ispc_encode_native_coin(uint8_t *out) {
    out[0] = 0x81; out[1] = 20;
    return 2;
}

/* An empty array: no locks, or no public inputs. 1 byte. */
static inline uint32_t ispc_encode_empty_array(uint8_t *out) { out[0] = 0x80; return 1; }

/* An empty map: resource metadata with every key defaulted. 1 byte. */
static inline uint32_t ispc_encode_empty_map(uint8_t *out) { out[0] = 0xa0; return 1; }

/* [ContractLock(contract)]: a lock list of one contract lock, ISPC_LOCKS_ONE_KEY_LEN bytes. */
static inline uint32_t ispc_encode_contract_lock_list(uint8_t *out, const uint8_t *contract32) {
    out[0] = 0x81; out[1] = 0x82; out[2] = 12;
    return 3 + ispc__cbor_hash(out + 3, contract32);
}

/* [SingleKeyLock(public_key)] for a 32-byte key, ISPC_LOCKS_ONE_KEY_LEN bytes. */
static inline uint32_t ispc_encode_single_key_lock_list(uint8_t *out, const uint8_t *key32) {
    out[0] = 0x81; out[1] = 0x82; out[2] = 10;
    return 3 + ispc__cbor_hash(out + 3, key32);
}

#endif /* ISPC_H */
