// registry.ts: the resource registry of examples/contracts/c/registry.c in AssemblyScript (same
// method, input, statuses and effects; see that file for the call format).
import {
  caller, emit_event, resource_exists, set_return_data, tx_add_resource_output,
  STATUS_INVALID_ARGUMENT, STATUS_NOT_FOUND, STATUS_OK,
} from "../../../sdk/assemblyscript/ispc";
import {
  cborUint, copy, encodeSingleKeyLocks, INPUT, readInput, readU64, ST_BAD_INPUT, ST_EXISTS,
  ST_HOST, ST_OK,
} from "./lib";

const NAME_KEY: usize = memory.data<u8>([0x64, 0x6e, 0x61, 0x6d, 0x65]);   // text "name"
const SIZE_KEY: usize = memory.data<u8>([0x64, 0x73, 0x69, 0x7a, 0x65]);   // text "size"
const REGISTERED: usize = memory.data<u8>([
  0x72, 0x65, 0x67, 0x69, 0x73, 0x74, 0x65, 0x72, 0x65, 0x64]);
const CALLER: usize = memory.data(32);
const LOCKS: usize = memory.data(40);
const METADATA: usize = memory.data(128);
const INDEX: usize = memory.data(4);

export function register(): i32 {
  const len = readInput();
  if (len < 42 || len > 41 + 64) return ST_BAD_INPUT;
  const category = <u32>load<u8>(INPUT + 32);
  const size = readU64(INPUT + 33);
  const nameLen = <u32>len - 41;
  if (category < 1 || category > 3) return ST_BAD_INPUT;
  let st = resource_exists(INPUT);
  if (st == STATUS_OK) return ST_EXISTS;
  if (st != STATUS_NOT_FOUND) return ST_HOST;
  if (caller(CALLER) != STATUS_OK) return ST_HOST;
  // {"name": name, "size": size}: canonical order sorts the encoded keys bytewise.
  let n: u32 = 0;
  store<u8>(METADATA, 0xa2); n += 1;
  copy(METADATA + n, NAME_KEY, 5); n += 5;
  n += cborUint(METADATA + n, 3, nameLen);
  copy(METADATA + n, INPUT + 41, nameLen); n += nameLen;
  copy(METADATA + n, SIZE_KEY, 5); n += 5;
  n += cborUint(METADATA + n, 0, size);
  const locksLen = encodeSingleKeyLocks(LOCKS, CALLER);
  st = tx_add_resource_output(INPUT, category, CALLER, LOCKS, locksLen, METADATA, n, INDEX);
  if (st == STATUS_INVALID_ARGUMENT || st == STATUS_NOT_FOUND) return ST_BAD_INPUT;
  if (st != STATUS_OK) return ST_HOST;
  if (emit_event(REGISTERED, 10, INPUT, 32) != STATUS_OK) return ST_HOST;
  return set_return_data(INDEX, 4) == STATUS_OK ? ST_OK : ST_HOST;
}
