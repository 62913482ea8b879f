// lib.ts: helpers shared by the AssemblyScript example contracts (raw linear memory, no GC
// objects: every buffer is static, so a run allocates nothing and behaves the same every time).
// Call inputs are little-endian binary records; host values use ISPC's canonical encoding
// (deterministic CBOR), written and read here with the few shapes the examples need.
import { call_input, STATUS_OK } from "../../../sdk/assemblyscript/ispc";

export const ST_OK: i32 = 0;
export const ST_BAD_INPUT: i32 = 1;
export const ST_UNAUTHORISED: i32 = 2;
export const ST_INSUFFICIENT: i32 = 3;
export const ST_HOST: i32 = 4;
export const ST_EXISTS: i32 = 5;

export const INPUT_CAP: u32 = 4096;
export const INPUT: usize = memory.data(4096);
const INPUT_LEN: usize = memory.data(4);

/** Reads the call input into INPUT; returns its length or -1. */
export function readInput(): i32 {
  if (call_input(INPUT, INPUT_CAP, INPUT_LEN) != STATUS_OK) return -1;
  return load<u32>(INPUT_LEN) as i32;
}

export function readU64(p: usize): u64 { return load<u64>(p); }      // wasm is little-endian
export function readU32(p: usize): u32 { return load<u32>(p); }

export function bytesEqual(a: usize, b: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

export function copy(dst: usize, src: usize, n: u32): void { memory.copy(dst, src, n); }

// ---- canonical CBOR writers ------------------------------------------------------------------

/** Head of major type `major` with `value`, shortest form; returns the bytes written. */
export function cborUint(out: usize, major: u8, value: u64): u32 {
  const m = <u8>(major << 5);
  let n: u32;
  if (value < 24) { store<u8>(out, m | <u8>value); return 1; }
  if (value < 0x100) { store<u8>(out, m | 24); n = 1; }
  else if (value < 0x10000) { store<u8>(out, m | 25); n = 2; }
  else if (value < 0x100000000) { store<u8>(out, m | 26); n = 4; }
  else { store<u8>(out, m | 27); n = 8; }
  for (let i: u32 = 0; i < n; i++) store<u8>(out + 1 + i, <u8>(value >> (8 * (n - 1 - i))));
  return 1 + n;
}

/** A 32-byte byte string. */
export function cborHash(out: usize, hash: usize): u32 {
  store<u8>(out, 0x58); store<u8>(out + 1, 32);
  copy(out + 2, hash, 32);
  return 34;
}

/** OutPoint(tx_id, index) = [1, tx_id, index]. */
export function encodeOutpoint(out: usize, txId: usize, index: u32): u32 {
  store<u8>(out, 0x83); store<u8>(out + 1, 0x01);
  const n = 2 + cborHash(out + 2, txId);
  return n + cborUint(out + n, 0, index);
}

/** [SingleKeyLock(key)] = [[10, key]]. */
export function encodeSingleKeyLocks(out: usize, key: usize): u32 {
  store<u8>(out, 0x81); store<u8>(out + 1, 0x82); store<u8>(out + 2, 10);
  return 3 + cborHash(out + 3, key);
}

export function returnU32(out: usize, value: u32): usize { store<u32>(out, value); return out; }

// ---- a minimal canonical CBOR reader -----------------------------------------------------------

// State of the one reader a contract uses at a time: module globals rather than an object, so no
// allocation (and no runtime start function) is ever needed.
let cPtr: usize = 0;
let cLen: u32 = 0;
let cPos: u32 = 0;
let cMajor: u8 = 0;
let cValue: u64 = 0;
export let cborOk: bool = true;

export function cborStart(p: usize, len: u32): void {
  cPtr = p; cLen = len; cPos = 0; cborOk = true;
}

function cborHead(): bool {
  if (!cborOk || cPos >= cLen) { cborOk = false; return false; }
  const b = load<u8>(cPtr + cPos++);
  cMajor = b >> 5;
  const info = b & 31;
  if (info < 24) { cValue = info; return true; }
  let n: u32 = 0;
  if (info == 24) n = 1; else if (info == 25) n = 2; else if (info == 26) n = 4;
  else if (info == 27) n = 8; else { cValue = info; return cMajor == 7; }
  if (cPos + n > cLen) { cborOk = false; return false; }
  let v: u64 = 0;
  for (let i: u32 = 0; i < n; i++) v = (v << 8) | load<u8>(cPtr + cPos++);
  cValue = v;
  return true;
}

/** Skips one item of any supported shape. */
export function cborSkip(): void {
  if (!cborHead()) { cborOk = false; return; }
  const major = cMajor, v = cValue;
  if (major == 2 || major == 3) {
    if (v > <u64>(cLen - cPos)) { cborOk = false; return; }
    cPos += <u32>v;
  } else if (major == 4) {
    for (let i: u64 = 0; i < v && cborOk; i++) cborSkip();
  } else if (major == 5) {
    for (let i: u64 = 0; i < 2 * v && cborOk; i++) cborSkip();
  } else if (major == 6) {
    cborSkip();
  }
}

export function cborExpect(major: u8, value: u64): void {
  if (!cborHead() || cMajor != major || cValue != value) cborOk = false;
}

export function cborReadUint(): u64 {
  if (!cborHead() || cMajor != 0) { cborOk = false; return 0; }
  return cValue;
}

/** A byte string of exactly n bytes; returns its address or 0. */
export function cborBytes(n: u32): usize {
  cborExpect(2, n);
  if (!cborOk || cPos + n > cLen) { cborOk = false; return 0; }
  const at = cPtr + cPos;
  cPos += n;
  return at;
}
