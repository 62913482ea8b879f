// ispc.ts: ISPC HostABI v1 declarations for AssemblyScript (asc).
// GENERATED from hostabi_spec/abi_v1.json by `python -m ispc_framework._hostabi.generate`; do not edit.
//
// Calling convention (HostABI v1):
// - A contract method is an exported function `() -> i32`; the i32 is the contract's own status
//   (0 = success; anything else fails the run with ContractFailed). The module must export `memory`
//   and must not have a start function.
// - The method reads its input with `call_input` and sets its result with `set_return_data`.
// - Every host function returning a status returns ONLY a status (table below); lengths, indices and
//   values are written to guest buffers the contract passes. A status is never a length.
// - The host writes only into buffers the guest passes: fixed-size outputs at a pointer (size in the
//   spec), variable-size outputs as (ptr, cap, len_ptr): the needed length is always written at
//   len_ptr, the data only if cap >= needed, else BUFFER_TOO_SMALL. Call with cap 0 to learn a size.
// - Every pointer range is bounds-checked (OUT_OF_BOUNDS, nothing read or written); every input has
//   a maximum length (TOO_LARGE, nothing read); structured values (outpoints, tokens, locks, outputs)
//   use ISPC's canonical encoding (deterministic CBOR, ispc_framework._encoding).
// - A call either completes or changes nothing: the draft is touched only after every argument was
//   read and every output range checked.
// - Bad arguments never abort: they return a status. Only host-side limits abort the run, with a
//   typed error (out of gas, return data/draft/trace caps).
// - Every call, reads included, is charged gas (base + gas_per_byte x bytes read and written) and
//   recorded in the execution trace.
// Pointers are usize offsets into linear memory (e.g. changetype<usize>(buffer)).

export const ABI_VERSION: u32 = 1;

export const STATUS_OK: i32 = 0; // success; outputs were written
export const STATUS_NOT_FOUND: i32 = 1; // the block, UTXO or resource does not exist in the pinned view (also utxo_exists/resource_exists: false)
export const STATUS_BUFFER_TOO_SMALL: i32 = 2; // an out_bytes buffer is smaller than the result; the needed length was written at len_ptr, nothing else
export const STATUS_OUT_OF_BOUNDS: i32 = 3; // a pointer range lies outside linear memory; nothing was read or written
export const STATUS_INVALID_ARGUMENT: i32 = 4; // an argument is malformed: not a canonical encoding, wrong type, invalid UTF-8, out-of-range value
export const STATUS_TOO_LARGE: i32 = 5; // an input length exceeds the parameter's max_len; nothing was read
export const STATUS_DUPLICATE: i32 = 6; // the outpoint is already an input of this execution's draft
export const STATUS_LIMIT_REACHED: i32 = 7; // log_debug only: the per-run log cap is reached, the message was not kept
export const STATUS_VERIFY_FAILED: i32 = 8; // a signature does not verify
export const STATUS_INPUT_NOT_AUTHORIZED: i32 = 9; // tx_add_input only: the output's lock or owner does not let this transaction's signers or this contract spend it (docs/authorization.md); nothing was added
export const STATUS_INSUFFICIENT_FUNDS: i32 = 16; // transfer only: the source's spendable outputs of the token (not already inputs of this draft) sum to less than the amount; nothing was added
export const STATUS_NOT_AUTHORIZED: i32 = 17; // transfer only: this execution may not spend the source's outputs (source 1, the caller, is usable only when the caller signed the transaction); nothing was added

// AssemblyScript's runtime imports env.abort, which no HostABI provider offers (the host rejects
// the module naming it). Compile with `asc ... --use abort=<path to this file>/ispc_abort` so an
// abort (failed assertion, bad allocation) traps instead.
export function ispc_abort(message: usize, fileName: usize, line: u32, column: u32): void {
  unreachable();
}

// ==== import module "ispc.v1": The seventeen primitives of the design plus the calling convention.

// abi_version: The HostABI version this host implements (1).
// category read; gas 10 + 0/byte; statuses: none (returns a value)
// @ts-ignore: decorator
@external("ispc.v1", "abi_version")
export declare function abi_version(): u32;

// call_input: Copy the call input into the guest buffer. Call with cap 0 to learn its length.
//   input (out_bytes): receives the call input (ExecutionRequest.input)
// category read; gas 50 + 1/byte; statuses: OK, BUFFER_TOO_SMALL, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "call_input")
export declare function call_input(input_ptr: usize, input_cap: u32, input_len: usize): i32;

// set_return_data: Set the return data of the call. More than limits.max_return_bytes aborts
// the run (LimitExceeded, return-too-large).
//   data (bytes, max limits.max_return_bytes): the return data; replaces any earlier value
// category write; gas 50 + 1/byte; statuses: OK, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "set_return_data")
export declare function set_return_data(data_ptr: usize, data_len: u32): i32;

// block_height: Height of the pinned head block.
// category read; gas 10 + 0/byte; statuses: none (returns a value)
// @ts-ignore: decorator
@external("ispc.v1", "block_height")
export declare function block_height(): u64;

// block_timestamp: Timestamp (seconds) of the pinned head block; never the wall clock.
// category read; gas 10 + 0/byte; statuses: none (returns a value)
// @ts-ignore: decorator
@external("ispc.v1", "block_timestamp")
export declare function block_timestamp(): u64;

// block_hash: Hash of the block at `height`. Heights above the pinned head are NOT_FOUND, even
// if the chain has grown since.
//   height (u64): a height at or below block_height()
//   hash (out_fixed): receives the 32-byte block hash
// category read; gas 200 + 0/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "block_hash")
export declare function block_hash(height: u64, hash_out: usize): i32;

// chain_id: The chain id (UTF-8 text, no terminator).
//   chain_id (out_bytes): receives the chain id as UTF-8
// category read; gas 20 + 1/byte; statuses: OK, BUFFER_TOO_SMALL, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "chain_id")
export declare function chain_id(chain_id_ptr: usize, chain_id_cap: u32, chain_id_len: usize): i32;

// caller: Address of the caller of this execution.
//   address (out_fixed): receives the caller's 32-byte address
// category read; gas 20 + 0/byte; statuses: OK, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "caller")
export declare function caller(address_out: usize): i32;

// contract_address: Address of the running contract.
//   address (out_fixed): receives the contract's 32-byte address (its code's content hash)
// category read; gas 20 + 0/byte; statuses: OK, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "contract_address")
export declare function contract_address(address_out: usize): i32;

// transaction_id: Id of this execution's transaction: a digest of the pins and the request.
//   id (out_fixed): receives the 32-byte transaction id of this execution
// category read; gas 20 + 0/byte; statuses: OK, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "transaction_id")
export declare function transaction_id(id_out: usize): i32;

// utxo_lookup: Look up an unspent output.
//   outpoint (bytes, max 64): canonical encoding of an OutPoint
//   output (out_bytes): receives the canonical encoding of the unspent TxOutput
// category read; gas 500 + 1/byte; statuses: OK, NOT_FOUND, BUFFER_TOO_SMALL, OUT_OF_BOUNDS,
// INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.v1", "utxo_lookup")
export declare function utxo_lookup(outpoint_ptr: usize, outpoint_len: u32, output_ptr: usize, output_cap: u32, output_len: usize): i32;

// utxo_exists: OK if the outpoint is unspent, NOT_FOUND otherwise.
//   outpoint (bytes, max 64): canonical encoding of an OutPoint
// category read; gas 300 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
// TOO_LARGE
// @ts-ignore: decorator
@external("ispc.v1", "utxo_exists")
export declare function utxo_exists(outpoint_ptr: usize, outpoint_len: u32): i32;

// resource_lookup: Look up a resource (contract, model or static data) by content hash.
//   content_hash (fixed): the resource's SHA-256 content hash
//   resource (out_bytes): receives the canonical encoding of the ResourceOutput
// category read; gas 500 + 1/byte; statuses: OK, NOT_FOUND, BUFFER_TOO_SMALL, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "resource_lookup")
export declare function resource_lookup(content_hash: usize, resource_ptr: usize, resource_cap: u32, resource_len: usize): i32;

// resource_exists: OK if a resource output with this content hash exists, NOT_FOUND otherwise.
//   content_hash (fixed): the resource's SHA-256 content hash
// category read; gas 300 + 0/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS
// @ts-ignore: decorator
@external("ispc.v1", "resource_exists")
export declare function resource_exists(content_hash: usize): i32;

// tx_add_input: Add an input to the draft. The outpoint must be unspent in the pinned view
// (NOT_FOUND otherwise) and not already an input (DUPLICATE). Spending (not reference_only)
// needs the output's lock/owner to allow this transaction's signers or this contract, and an
// output spendable only on a signer's authority must be in the signed transaction's spend
// allowance (INPUT_NOT_AUTHORIZED otherwise; docs/authorization.md).
//   outpoint (bytes, max 64): canonical encoding of the OutPoint to spend or reference
//   reference_only (bool): 1: read the output without spending it
//   proof (bytes, max 4096): unlocking proof (may be empty)
//   index (out_u32): receives the input's index in the draft
// category write; gas 1000 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
// TOO_LARGE, DUPLICATE, INPUT_NOT_AUTHORIZED
// @ts-ignore: decorator
@external("ispc.v1", "tx_add_input")
export declare function tx_add_input(outpoint_ptr: usize, outpoint_len: u32, reference_only: u32, proof_ptr: usize, proof_len: u32, index_out: usize): i32;

// tx_add_asset_output: Add an asset output to the draft.
//   owner (fixed): owner address
//   amount (u64): amount (an NFT's must be 1)
//   token (bytes, max 128): canonical encoding of NativeCoin, FungibleToken or NonFungibleToken
//   locks (bytes, max 8192): canonical encoding of an array of 0 to 8 locking conditions
//   index (out_u32): receives the output's index in the draft
// category write; gas 2000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.v1", "tx_add_asset_output")
export declare function tx_add_asset_output(owner: usize, amount: u64, token_ptr: usize, token_len: u32, locks_ptr: usize, locks_len: u32, index_out: usize): i32;

// tx_add_resource_output: Add a resource output to the draft. If the content is stored in the
// repository its size is taken from it (a given size must match); otherwise size is required
// (NOT_FOUND without it).
//   content_hash (fixed): SHA-256 of the resource content
//   category (u32): 1 contract, 2 AI model, 3 static
//   owner (fixed): owner address
//   locks (bytes, max 8192): canonical encoding of an array of 0 to 8 locking conditions
//   metadata (bytes, max 8192): canonical encoding of a map with optional keys mime_type
//     (text), name (text), size (uint), metadata (map text to text)
//   index (out_u32): receives the output's index in the draft
// category write; gas 2000 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
// TOO_LARGE
// @ts-ignore: decorator
@external("ispc.v1", "tx_add_resource_output")
export declare function tx_add_resource_output(content_hash: usize, category: u32, owner: usize, locks_ptr: usize, locks_len: u32, metadata_ptr: usize, metadata_len: u32, index_out: usize): i32;

// tx_add_state_output: Add a state output owned by and locked to the running contract
// (ContractLock). The stored state id is namespaced by the contract: SHA-256 domain digest
// "ispc/contract-state" over contract_address || state_id
// (ispc_framework._authorization.contract_state_id), so no contract can write under another
// contract's state ids or its execution-state id; the given state_id is kept in the output's
// metadata under "state_key" (hex) so verify rechecks the namespacing. The public inputs are
// kept in the output's metadata under "public_inputs" (decimal, comma-separated); the proof is
// attached after execution.
//   state_id (fixed): the state's id
//   version (u64): the state's version
//   result_hash (fixed): the execution result hash the state commits to
//   public_inputs (bytes, max 2048): canonical encoding of an array of 0 to 32 BN254 field
//     elements (uints below the field modulus)
//   parent_hash (bytes, max 32): empty for a first version, else the 32-byte parent state hash
//   index (out_u32): receives the output's index in the draft
// category write; gas 2000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.v1", "tx_add_state_output")
export declare function tx_add_state_output(state_id: usize, version: u64, result_hash: usize, public_inputs_ptr: usize, public_inputs_len: u32, parent_hash_ptr: usize, parent_hash_len: u32, index_out: usize): i32;

// emit_event: Emit an event from the running contract (kept in the draft).
//   event_type (bytes, max 64): UTF-8 event type, 1 to 64 bytes
//   data (bytes, max 65536): event payload
// category trace; gas 500 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.v1", "emit_event")
export declare function emit_event(event_type_ptr: usize, event_type_len: u32, data_ptr: usize, data_len: u32): i32;

// log_debug: Keep a debug message in the run's log (not part of the draft; recorded in the
// trace).
//   message (bytes, max 4096): UTF-8 message
// category trace; gas 50 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE,
// LIMIT_REACHED
// @ts-ignore: decorator
@external("ispc.v1", "log_debug")
export declare function log_debug(message_ptr: usize, message_len: u32): i32;

// ==== import module "ispc.crypto": Optional cryptographic helpers; shows that providers compose.

// sha256: Plain SHA-256 (no domain separation).
//   data (bytes, max 1048576): the bytes to hash
//   digest (out_fixed): receives SHA-256(data)
// category read; gas 100 + 1/byte; statuses: OK, OUT_OF_BOUNDS, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.crypto", "sha256")
export declare function crypto_sha256(data_ptr: usize, data_len: u32, digest_out: usize): i32;

// ed25519_verify: OK if the signature verifies, VERIFY_FAILED otherwise. The rule is
// libsodium's, the same function that checks transaction signatures (docs/authorization.md):
// cofactorless RFC 8032 equation, S < L, canonical A and R that are not of small order.
//   public_key (fixed): Ed25519 public key
//   message (bytes, max 65536): the signed message
//   signature (fixed): Ed25519 signature (R || S)
// category read; gas 50000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, TOO_LARGE, VERIFY_FAILED
// @ts-ignore: decorator
@external("ispc.crypto", "ed25519_verify")
export declare function crypto_ed25519_verify(public_key: usize, message_ptr: usize, message_len: u32, signature: usize): i32;

// random_bytes: Deterministic random stream: SHA-256 in counter mode seeded from the
// transaction id, so the same request on the same pins gets the same bytes. Predictable by
// anyone who knows the request: not for secrets.
//   out (out_fill, max 65536): filled with the next bytes of the run's random stream
// category read; gas 100 + 1/byte; statuses: OK, OUT_OF_BOUNDS, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.crypto", "random_bytes")
export declare function crypto_random_bytes(out_ptr: usize, out_len: u32): i32;

// ==== import module "ispc.state": Contract storage (key/value, keyed by the running contract, committed by a sparse Merkle root) and balance/transfer helpers over the UTXO set.

// get: Read a key of the running contract's own storage: its value at the pinned block, or this
// run's own last write of it. NOT_FOUND if absent or deleted. A contract can address only its
// own storage.
//   key (bytes, max 128): the storage key, 1 to 128 bytes
//   value (out_bytes): receives the stored value (0 to 16384 bytes)
// category read; gas 800 + 3/byte; statuses: OK, NOT_FOUND, BUFFER_TOO_SMALL, OUT_OF_BOUNDS,
// INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.state", "get")
export declare function state_get(key_ptr: usize, key_len: u32, value_ptr: usize, value_cap: u32, value_len: usize): i32;

// exists: OK if the key holds a value (as get sees it), NOT_FOUND otherwise.
//   key (bytes, max 128): the storage key, 1 to 128 bytes
// category read; gas 500 + 1/byte; statuses: OK, NOT_FOUND, OUT_OF_BOUNDS, INVALID_ARGUMENT,
// TOO_LARGE
// @ts-ignore: decorator
@external("ispc.state", "exists")
export declare function state_exists(key_ptr: usize, key_len: u32): i32;

// set: Set a key of the running contract's storage, in this run's draft only (its state delta);
// applying the result writes it. The delta counts against limits.max_draft_bytes
// (DraftLimitExceeded aborts the run).
//   key (bytes, max 128): the storage key, 1 to 128 bytes
//   value (bytes, max 16384): the value, 0 to 16384 bytes
// category write; gas 5000 + 20/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.state", "set")
export declare function state_set(key_ptr: usize, key_len: u32, value_ptr: usize, value_len: u32): i32;

// delete: Delete a key of the running contract's storage (in the draft; deleting an absent key
// is a write that changes nothing but the version).
//   key (bytes, max 128): the storage key, 1 to 128 bytes
// category write; gas 2000 + 20/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.state", "delete")
export declare function state_delete(key_ptr: usize, key_len: u32): i32;

// balance: Sum of the owner's unspent asset outputs of the token in the pinned view, whatever
// their locks. Costs 100 gas more per output of the owner scanned; the outpoints counted are
// recorded in the trace (read set).
//   owner (fixed): the owner address
//   token (bytes, max 128): canonical encoding of NativeCoin, FungibleToken or NonFungibleToken
//   amount (out_u64): receives the sum (u64 little-endian; saturates at 2^64-1)
// category read; gas 1000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE
// @ts-ignore: decorator
@external("ispc.state", "balance")
export declare function state_balance(owner: usize, token_ptr: usize, token_len: u32, amount_out: usize): i32;

// transfer: Pay `amount` of `token` to `to` from the source's outputs. Selection rule: the
// source's unspent asset outputs of the token in the pinned view that this execution may spend
// (for source 1, only outpoints in the signed transaction's spend allowance) and that are not
// yet inputs of the draft, largest amount first, ties by outpoint (tx_id, then index)
// ascending, taken until they cover the amount. Adds them as inputs, one output of `amount`
// owned by `to` (no locks), and, if they exceed it, one change output owned by the source (no
// locks). Costs 100 gas per candidate output scanned and 1500 per input added; the outpoints
// read and spent are recorded in the trace. All or nothing: on any status but OK the draft is
// unchanged.
//   source (u32): whose outputs to spend: 0 the running contract's, 1 the caller's (only if the
//     caller signed the transaction)
//   to (fixed): the recipient's address
//   token (bytes, max 128): canonical encoding of NativeCoin, FungibleToken or NonFungibleToken
//   amount (u64): the amount, at least 1 (an NFT's is 1)
//   index (out_u32): receives the draft index of the recipient's output
// category write; gas 3000 + 1/byte; statuses: OK, OUT_OF_BOUNDS, INVALID_ARGUMENT, TOO_LARGE,
// INSUFFICIENT_FUNDS, NOT_AUTHORIZED
// @ts-ignore: decorator
@external("ispc.state", "transfer")
export declare function state_transfer(source: u32, to: usize, token_ptr: usize, token_len: u32, amount: u64, index_out: usize): i32;
