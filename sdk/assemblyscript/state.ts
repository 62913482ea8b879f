// state.ts: typed helpers over the ispc.state host functions (contract storage, balance,
// transfer) for AssemblyScript contracts; raw linear memory, no allocation. Hand-written on top
// of the generated ispc.ts. Keys are 1..128 bytes, values 0..16384; every function returns an
// ispc status (STATUS_NOT_FOUND for an absent key).
import {
  state_balance, state_get, state_set, state_transfer, STATUS_BUFFER_TOO_SMALL,
  STATUS_INVALID_ARGUMENT, STATUS_OK,
} from "./ispc";

export const SOURCE_CONTRACT: u32 = 0;
export const SOURCE_CALLER: u32 = 1;

const RAW: usize = memory.data(8);
const LEN: usize = memory.data(4);
const NATIVE: usize = memory.data<u8>([0x81, 20]);   // NativeCoin()

/** Reads a u64 (8 bytes little-endian) into `out`; absent: STATUS_NOT_FOUND and 0 stored. */
export function getU64(key: usize, keyLen: u32, out: usize): i32 {
  store<u64>(out, 0);
  const st = state_get(key, keyLen, RAW, 8, LEN);
  if (st == STATUS_BUFFER_TOO_SMALL) return STATUS_INVALID_ARGUMENT;
  if (st != STATUS_OK) return st;
  if (load<u32>(LEN) != 8) return STATUS_INVALID_ARGUMENT;
  store<u64>(out, load<u64>(RAW));
  return STATUS_OK;
}

export function setU64(key: usize, keyLen: u32, value: u64): i32 {
  store<u64>(RAW, value);
  return state_set(key, keyLen, RAW, 8);
}

/** Reads a 32-byte address into `out`. */
export function getAddress(key: usize, keyLen: u32, out: usize): i32 {
  const st = state_get(key, keyLen, out, 32, LEN);
  if (st == STATUS_BUFFER_TOO_SMALL || (st == STATUS_OK && load<u32>(LEN) != 32)) {
    return STATUS_INVALID_ARGUMENT;
  }
  return st;
}

export function setAddress(key: usize, keyLen: u32, address: usize): i32 {
  return state_set(key, keyLen, address, 32);
}

/** key = prefix || id written at `out`; returns its length (0 if over 128 bytes). */
export function makeKey(out: usize, prefix: usize, prefixLen: u32, id: usize, idLen: u32): u32 {
  if (prefixLen + idLen > 128) return 0;
  memory.copy(out, prefix, prefixLen);
  memory.copy(out + prefixLen, id, idLen);
  return prefixLen + idLen;
}

export function balanceNative(owner: usize, out: usize): i32 {
  return state_balance(owner, NATIVE, 2, out);
}

/** Pays `amount` of the native coin to `to`; automatic input selection and change. */
export function payNative(source: u32, to: usize, amount: u64, index: usize): i32 {
  return state_transfer(source, to, NATIVE, 2, amount, index);
}
