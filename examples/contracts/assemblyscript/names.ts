// names.ts: the name registry of examples/contracts/c/names.c in AssemblyScript (same methods,
// inputs, storage layout, statuses and effects; see that file).
import {
  caller, emit_event, set_return_data, state_delete, state_exists, STATUS_NOT_FOUND, STATUS_OK,
} from "../../../sdk/assemblyscript/ispc";
import { getAddress, makeKey, setAddress } from "../../../sdk/assemblyscript/state";
import { bytesEqual, INPUT, readInput, ST_BAD_INPUT, ST_EXISTS, ST_HOST, ST_OK,
  ST_UNAUTHORISED } from "./lib";

const ST_UNREGISTERED: i32 = 6;
const MAX_NAME: u32 = 64;
const PREFIX: usize = memory.data<u8>([0x6e, 0x3a]);   // "n:"
const REGISTERED: usize = memory.data<u8>([
  0x72, 0x65, 0x67, 0x69, 0x73, 0x74, 0x65, 0x72, 0x65, 0x64]);
const KEY: usize = memory.data(128);
const CALLER: usize = memory.data(32);
const OWNER: usize = memory.data(32);

/** The key of the name at INPUT + offset; 0 if the name is empty or too long. */
function nameKey(len: i32, offset: u32): u32 {
  if (len < 0 || <u32>len <= offset || <u32>len - offset > MAX_NAME) return 0;
  return makeKey(KEY, PREFIX, 2, INPUT + offset, <u32>len - offset);
}

function ownerOf(keyLen: u32): i32 {
  const st = getAddress(KEY, keyLen, OWNER);
  return st == STATUS_OK ? ST_OK : st == STATUS_NOT_FOUND ? ST_UNREGISTERED : ST_HOST;
}

function checkOwner(keyLen: u32): i32 {
  const st = ownerOf(keyLen);
  if (st != ST_OK) return st;
  if (caller(CALLER) != STATUS_OK) return ST_HOST;
  return bytesEqual(CALLER, OWNER, 32) ? ST_OK : ST_UNAUTHORISED;
}

export function register(): i32 {
  const keyLen = nameKey(readInput(), 0);
  if (keyLen == 0) return ST_BAD_INPUT;
  if (state_exists(KEY, keyLen) == STATUS_OK) return ST_EXISTS;
  if (caller(CALLER) != STATUS_OK) return ST_HOST;
  if (setAddress(KEY, keyLen, CALLER) != STATUS_OK) return ST_HOST;
  return emit_event(REGISTERED, 10, KEY + 2, keyLen - 2) == STATUS_OK ? ST_OK : ST_HOST;
}

export function transfer(): i32 {
  const keyLen = nameKey(readInput(), 32);
  if (keyLen == 0) return ST_BAD_INPUT;
  const st = checkOwner(keyLen);
  if (st != ST_OK) return st;
  return setAddress(KEY, keyLen, INPUT) == STATUS_OK ? ST_OK : ST_HOST;
}

export function release(): i32 {
  const keyLen = nameKey(readInput(), 0);
  if (keyLen == 0) return ST_BAD_INPUT;
  const st = checkOwner(keyLen);
  if (st != ST_OK) return st;
  return state_delete(KEY, keyLen) == STATUS_OK ? ST_OK : ST_HOST;
}

export function lookup(): i32 {
  const keyLen = nameKey(readInput(), 0);
  if (keyLen == 0) return ST_BAD_INPUT;
  const st = ownerOf(keyLen);
  if (st != ST_OK) return st;
  return set_return_data(OWNER, 32) == STATUS_OK ? ST_OK : ST_HOST;
}
