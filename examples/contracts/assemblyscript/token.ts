// token.ts: the token contract of examples/contracts/c/token.c in AssemblyScript (same methods,
// inputs, statuses and effects; see that file for the call formats).
import {
  caller, contract_address, emit_event, set_return_data, tx_add_asset_output, tx_add_input,
  utxo_lookup, STATUS_DUPLICATE, STATUS_INPUT_NOT_AUTHORIZED, STATUS_NOT_FOUND, STATUS_OK,
} from "../../../sdk/assemblyscript/ispc";
import {
  bytesEqual, cborBytes, cborExpect, cborHash, cborOk, cborReadUint, cborSkip, cborStart, copy, encodeOutpoint, encodeSingleKeyLocks, INPUT, readInput,
  readU32, readU64, returnU32, ST_BAD_INPUT, ST_HOST, ST_INSUFFICIENT, ST_OK, ST_UNAUTHORISED,
} from "./lib";

// devnet_key("alice").public_key (ispc_framework.signing): a well-known, insecure devnet key.
const OWNER: usize = memory.data<u8>([
  0x25, 0x78, 0xd0, 0xf5, 0x30, 0xb2, 0x41, 0x71, 0xc7, 0x83, 0xf8, 0x3c, 0x61, 0x22, 0x4d, 0x5d,
  0x95, 0xe9, 0x16, 0xf9, 0xce, 0x8e, 0xdd, 0x34, 0x79, 0x23, 0x9e, 0xbb, 0xb4, 0xa4, 0x38, 0xc2]);
const CLASS_ID: usize = memory.data<u8>([0x54, 0x4f, 0x4b]);   // "TOK"
const MINT: usize = memory.data<u8>([0x6d, 0x69, 0x6e, 0x74]);
const TRANSFER: usize = memory.data<u8>([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]);

const SELF: usize = memory.data(32);
const CALLER: usize = memory.data(32);
const TOKEN: usize = memory.data(48);
const LOCKS: usize = memory.data(40);
const INDEX: usize = memory.data(4);
const OUTPOINT: usize = memory.data(48);
const OUTPUT: usize = memory.data(512);
const OUTPUT_LEN: usize = memory.data(4);
const OUT: usize = memory.data(8);
let tokenLen: u32 = 0;

function loadIdentity(): i32 {
  if (contract_address(SELF) != STATUS_OK) return ST_HOST;
  if (caller(CALLER) != STATUS_OK) return ST_HOST;
  // FungibleToken(contract, class_id) = [21, contract, class_id]
  store<u8>(TOKEN, 0x83); store<u8>(TOKEN + 1, 21);
  let n: u32 = 2 + cborHash(TOKEN + 2, SELF);
  store<u8>(TOKEN + n, 0x43); n += 1;
  copy(TOKEN + n, CLASS_ID, 3);
  tokenLen = n + 3;
  return ST_OK;
}

function pay(owner: usize, amount: u64): i32 {
  const locksLen = encodeSingleKeyLocks(LOCKS, owner);
  const st = tx_add_asset_output(owner, amount, TOKEN, tokenLen, LOCKS, locksLen, INDEX);
  return st == STATUS_OK ? ST_OK : ST_HOST;
}

export function mint(): i32 {
  if (readInput() != 8) return ST_BAD_INPUT;
  const amount = readU64(INPUT);
  let st = loadIdentity();
  if (st != ST_OK) return st;
  if (!bytesEqual(CALLER, OWNER, 32)) return ST_UNAUTHORISED;
  if (amount == 0) return ST_BAD_INPUT;
  if ((st = pay(CALLER, amount)) != ST_OK) return st;
  if (emit_event(MINT, 4, INPUT, 8) != STATUS_OK) return ST_HOST;
  return set_return_data(INDEX, 4) == STATUS_OK ? ST_OK : ST_HOST;
}

/** Checks a TxOutput holds this contract's token owned by the caller; amount in OUT. */
function ownedAmount(encoded: usize, len: u32): i32 {
  cborStart(encoded, len);
  cborExpect(4, 6); cborExpect(0, 34);         // TxOutput
  const owner = cborBytes(32);
  cborSkip();                                  // locks
  cborExpect(4, 3); cborExpect(0, 30);         // AssetOutput
  cborExpect(4, 3); cborExpect(0, 21);         // FungibleToken
  const contract = cborBytes(32);
  const classId = cborBytes(3);
  const amount = cborReadUint();
  if (!cborOk) return ST_BAD_INPUT;
  if (!bytesEqual(owner, CALLER, 32)) return ST_UNAUTHORISED;
  if (!bytesEqual(contract, SELF, 32) || !bytesEqual(classId, CLASS_ID, 3)) return ST_BAD_INPUT;
  store<u64>(OUT, amount);
  return ST_OK;
}

export function transfer(): i32 {
  const len = readInput();
  if (len < 41) return ST_BAD_INPUT;
  const recipient = INPUT;
  const amount = readU64(INPUT + 32);
  const n = <u32>load<u8>(INPUT + 40);
  if (n == 0 || n > 16 || <u32>len != 41 + 36 * n || amount == 0) return ST_BAD_INPUT;
  let st = loadIdentity();
  if (st != ST_OK) return st;
  let total: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const entry = INPUT + 41 + 36 * i;
    const outpointLen = encodeOutpoint(OUTPOINT, entry, readU32(entry + 32));
    st = utxo_lookup(OUTPOINT, outpointLen, OUTPUT, 512, OUTPUT_LEN);
    if (st == STATUS_NOT_FOUND) return ST_BAD_INPUT;
    if (st != STATUS_OK) return ST_HOST;
    if ((st = ownedAmount(OUTPUT, load<u32>(OUTPUT_LEN))) != ST_OK) return st;
    const value = load<u64>(OUT);
    if (total + value < total) return ST_BAD_INPUT;      // overflow
    total += value;
    st = tx_add_input(OUTPOINT, outpointLen, 0, 0, 0, INDEX);
    if (st == STATUS_DUPLICATE) return ST_BAD_INPUT;
    if (st == STATUS_INPUT_NOT_AUTHORIZED) return ST_UNAUTHORISED;  // not the signer's
    if (st != STATUS_OK) return ST_HOST;
  }
  if (total < amount) return ST_INSUFFICIENT;
  const change = total - amount;
  if ((st = pay(recipient, amount)) != ST_OK) return st;
  if (change > 0 && (st = pay(CALLER, change)) != ST_OK) return st;
  if (emit_event(TRANSFER, 8, INPUT, 40) != STATUS_OK) return ST_HOST;
  store<u64>(OUT, change);
  return set_return_data(OUT, 8) == STATUS_OK ? ST_OK : ST_HOST;
}
