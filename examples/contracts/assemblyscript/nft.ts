// nft.ts: the NFT collection of examples/contracts/c/nft.c in AssemblyScript (same methods,
// inputs, storage layout, statuses and effects; see that file for why ownership is storage).
import {
  caller, emit_event, set_return_data, STATUS_NOT_FOUND, STATUS_OK,
} from "../../../sdk/assemblyscript/ispc";
import { getAddress, getU64, makeKey, setAddress, setU64 } from "../../../sdk/assemblyscript/state";
import { bytesEqual, INPUT, readInput, ST_BAD_INPUT, ST_EXISTS, ST_HOST, ST_OK,
  ST_UNAUTHORISED } from "./lib";

const ST_NO_TOKEN: i32 = 6;
const ADMIN_KEY: usize = memory.data<u8>([0x61, 0x64, 0x6d, 0x69, 0x6e]);          // "admin"
const SUPPLY_KEY: usize = memory.data<u8>([0x73, 0x75, 0x70, 0x70, 0x6c, 0x79]);   // "supply"
const PREFIX: usize = memory.data<u8>([0x6f, 0x3a]);                               // "o:"
const TRANSFER: usize = memory.data<u8>([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]);
const KEY: usize = memory.data(16);
const ID: usize = memory.data(8);
const CALLER: usize = memory.data(32);
const ADDRESS: usize = memory.data(32);

function ownerKey(id: usize): u32 { return makeKey(KEY, PREFIX, 2, id, 8); }

/** 1 if the caller is the 32-byte address at `address`, 0 if not, -1 on a host error. */
function callerIs(address: usize): i32 {
  if (caller(CALLER) != STATUS_OK) return -1;
  return bytesEqual(CALLER, address, 32) ? 1 : 0;
}

export function init(): i32 {
  const st = getAddress(ADMIN_KEY, 5, ADDRESS);
  if (st == STATUS_OK) return ST_EXISTS;
  if (st != STATUS_NOT_FOUND || caller(CALLER) != STATUS_OK) return ST_HOST;
  return setAddress(ADMIN_KEY, 5, CALLER) == STATUS_OK ? ST_OK : ST_HOST;
}

export function mint(): i32 {
  if (readInput() != 32) return ST_BAD_INPUT;
  if (getAddress(ADMIN_KEY, 5, ADDRESS) != STATUS_OK) return ST_UNAUTHORISED;
  const admin = callerIs(ADDRESS);
  if (admin != 1) return admin < 0 ? ST_HOST : ST_UNAUTHORISED;
  const st = getU64(SUPPLY_KEY, 6, ID);
  if (st != STATUS_OK && st != STATUS_NOT_FOUND) return ST_HOST;
  const supply = load<u64>(ID);
  if (setAddress(KEY, ownerKey(ID), INPUT) != STATUS_OK) return ST_HOST;
  if (setU64(SUPPLY_KEY, 6, supply + 1) != STATUS_OK) return ST_HOST;
  store<u64>(ID, supply);
  return set_return_data(ID, 8) == STATUS_OK ? ST_OK : ST_HOST;
}

export function transfer(): i32 {
  if (readInput() != 40) return ST_BAD_INPUT;
  const keyLen = ownerKey(INPUT);
  const st = getAddress(KEY, keyLen, ADDRESS);
  if (st == STATUS_NOT_FOUND) return ST_NO_TOKEN;
  if (st != STATUS_OK) return ST_HOST;
  const owner = callerIs(ADDRESS);
  if (owner != 1) return owner < 0 ? ST_HOST : ST_UNAUTHORISED;
  if (setAddress(KEY, keyLen, INPUT + 8) != STATUS_OK) return ST_HOST;
  return emit_event(TRANSFER, 8, INPUT, 40) == STATUS_OK ? ST_OK : ST_HOST;
}

export function owner_of(): i32 {
  if (readInput() != 8) return ST_BAD_INPUT;
  const st = getAddress(KEY, ownerKey(INPUT), ADDRESS);
  if (st == STATUS_NOT_FOUND) return ST_NO_TOKEN;
  if (st != STATUS_OK) return ST_HOST;
  return set_return_data(ADDRESS, 32) == STATUS_OK ? ST_OK : ST_HOST;
}
