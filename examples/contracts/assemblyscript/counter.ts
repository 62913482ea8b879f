// counter.ts: the counter with an owner of examples/contracts/c/counter.c in AssemblyScript
// (same methods, inputs, storage layout, statuses and effects; see that file).
import { caller, set_return_data, STATUS_NOT_FOUND, STATUS_OK } from "../../../sdk/assemblyscript/ispc";
import { getAddress, getU64, setAddress, setU64 } from "../../../sdk/assemblyscript/state";
import { bytesEqual, INPUT, readInput, readU64, ST_BAD_INPUT, ST_EXISTS, ST_HOST, ST_OK,
  ST_UNAUTHORISED } from "./lib";

const ST_UNINITIALISED: i32 = 6;
const ST_OVERFLOW: i32 = 7;
const OWNER_KEY: usize = memory.data<u8>([0x6f, 0x77, 0x6e, 0x65, 0x72]);   // "owner"
const COUNT_KEY: usize = memory.data<u8>([0x63, 0x6f, 0x75, 0x6e, 0x74]);   // "count"
const CALLER: usize = memory.data(32);
const OWNER: usize = memory.data(32);
const VALUE: usize = memory.data(8);

function returnU64(value: u64): i32 {
  store<u64>(VALUE, value);
  return set_return_data(VALUE, 8) == STATUS_OK ? ST_OK : ST_HOST;
}

function loadCount(): bool {
  const st = getU64(COUNT_KEY, 5, VALUE);
  return st == STATUS_OK || st == STATUS_NOT_FOUND;
}

export function init(): i32 {
  const st = getAddress(OWNER_KEY, 5, OWNER);
  if (st == STATUS_OK) return ST_EXISTS;
  if (st != STATUS_NOT_FOUND || caller(CALLER) != STATUS_OK) return ST_HOST;
  return setAddress(OWNER_KEY, 5, CALLER) == STATUS_OK ? ST_OK : ST_HOST;
}

export function increment(): i32 {
  const len = readInput();
  let step: u64 = 1;
  if (len == 8) step = readU64(INPUT);
  else if (len != 0) return ST_BAD_INPUT;
  if (!loadCount()) return ST_HOST;
  const count = load<u64>(VALUE);
  if (count + step < count) return ST_OVERFLOW;
  if (setU64(COUNT_KEY, 5, count + step) != STATUS_OK) return ST_HOST;
  return returnU64(count + step);
}

export function reset(): i32 {
  const st = getAddress(OWNER_KEY, 5, OWNER);
  if (st == STATUS_NOT_FOUND) return ST_UNINITIALISED;
  if (st != STATUS_OK || caller(CALLER) != STATUS_OK) return ST_HOST;
  if (!bytesEqual(CALLER, OWNER, 32)) return ST_UNAUTHORISED;
  return setU64(COUNT_KEY, 5, 0) == STATUS_OK ? ST_OK : ST_HOST;
}

export function get(): i32 {
  if (!loadCount()) return ST_HOST;
  return returnU64(load<u64>(VALUE));
}
