// dao.ts: the DAO vote of examples/contracts/c/dao.c in AssemblyScript (same methods, inputs,
// storage layout, statuses and effects; see that file). Its treasury is the contract's own
// native-coin outputs, paid out with the ispc.state transfer helper.
import {
  caller, contract_address, set_return_data, state_exists, state_get, state_set,
  STATUS_INSUFFICIENT_FUNDS, STATUS_NOT_FOUND, STATUS_OK,
} from "../../../sdk/assemblyscript/ispc";
import {
  balanceNative, getAddress, getU64, makeKey, payNative, setAddress, setU64, SOURCE_CONTRACT,
} from "../../../sdk/assemblyscript/state";
import { bytesEqual, INPUT, readInput, readU64, ST_BAD_INPUT, ST_EXISTS, ST_HOST,
  ST_INSUFFICIENT, ST_OK, ST_UNAUTHORISED } from "./lib";

const ST_NO_PROPOSAL: i32 = 6;
const ST_NOT_PASSED: i32 = 8;
const PROPOSAL_LEN: u32 = 57;
const ADMIN_KEY: usize = memory.data<u8>([0x61, 0x64, 0x6d, 0x69, 0x6e]);                   // admin
const MEMBERS_KEY: usize = memory.data<u8>([0x6d, 0x65, 0x6d, 0x62, 0x65, 0x72, 0x73]);     // members
const NEXT_KEY: usize = memory.data<u8>([0x6e, 0x65, 0x78, 0x74]);                          // next
const M_PREFIX: usize = memory.data<u8>([0x6d, 0x3a]);                                      // m:
const P_PREFIX: usize = memory.data<u8>([0x70, 0x3a]);                                      // p:
const V_PREFIX: usize = memory.data<u8>([0x76, 0x3a]);                                      // v:
const ONE: usize = memory.data<u8>([1]);
const CALLER: usize = memory.data(32);
const ADMIN: usize = memory.data(32);
const KEY: usize = memory.data(128);
const VOTE_KEY: usize = memory.data(128);
const VOTER: usize = memory.data(40);
const PROPOSAL: usize = memory.data(57);
const LEN: usize = memory.data(4);
const U64: usize = memory.data(8);
const INDEX: usize = memory.data(4);
const SELF: usize = memory.data(32);

/** 1 member, 0 not, -1 host error. */
function isMember(address: usize): i32 {
  const st = state_exists(KEY, makeKey(KEY, M_PREFIX, 2, address, 32));
  return st == STATUS_OK ? 1 : st == STATUS_NOT_FOUND ? 0 : -1;
}

function add(address: usize): i32 {
  const st = getU64(MEMBERS_KEY, 7, U64);
  if (st != STATUS_OK && st != STATUS_NOT_FOUND) return ST_HOST;
  const members = load<u64>(U64);
  if (state_set(KEY, makeKey(KEY, M_PREFIX, 2, address, 32), ONE, 1) != STATUS_OK) return ST_HOST;
  return setU64(MEMBERS_KEY, 7, members + 1) == STATUS_OK ? ST_OK : ST_HOST;
}

/** Loads proposal `id` into PROPOSAL (its key stays in KEY); returns a contract status. */
function loadProposal(id: usize): i32 {
  const keyLen = makeKey(KEY, P_PREFIX, 2, id, 8);
  const st = state_get(KEY, keyLen, PROPOSAL, PROPOSAL_LEN, LEN);
  if (st == STATUS_NOT_FOUND) return ST_NO_PROPOSAL;
  return st == STATUS_OK && load<u32>(LEN) == PROPOSAL_LEN ? ST_OK : ST_HOST;
}

function saveProposal(): i32 {
  return state_set(KEY, 10, PROPOSAL, PROPOSAL_LEN) == STATUS_OK ? ST_OK : ST_HOST;
}

export function init(): i32 {
  const st = getAddress(ADMIN_KEY, 5, ADMIN);
  if (st == STATUS_OK) return ST_EXISTS;
  if (st != STATUS_NOT_FOUND || caller(CALLER) != STATUS_OK) return ST_HOST;
  if (setAddress(ADMIN_KEY, 5, CALLER) != STATUS_OK) return ST_HOST;
  return add(CALLER);
}

export function add_member(): i32 {
  if (readInput() != 32) return ST_BAD_INPUT;
  if (getAddress(ADMIN_KEY, 5, ADMIN) != STATUS_OK) return ST_UNAUTHORISED;
  if (caller(CALLER) != STATUS_OK) return ST_HOST;
  if (!bytesEqual(CALLER, ADMIN, 32)) return ST_UNAUTHORISED;
  const member = isMember(INPUT);
  if (member != 0) return member < 0 ? ST_HOST : ST_EXISTS;
  return add(INPUT);
}

export function propose(): i32 {
  if (readInput() != 40) return ST_BAD_INPUT;
  if (caller(CALLER) != STATUS_OK) return ST_HOST;
  const member = isMember(CALLER);
  if (member != 1) return member < 0 ? ST_HOST : ST_UNAUTHORISED;
  const st = getU64(NEXT_KEY, 4, U64);
  if (st != STATUS_OK && st != STATUS_NOT_FOUND) return ST_HOST;
  const next = load<u64>(U64);
  memory.fill(PROPOSAL, 0, PROPOSAL_LEN);
  memory.copy(PROPOSAL, INPUT, 40);
  makeKey(KEY, P_PREFIX, 2, U64, 8);
  if (saveProposal() != ST_OK) return ST_HOST;
  if (setU64(NEXT_KEY, 4, next + 1) != STATUS_OK) return ST_HOST;
  store<u64>(U64, next);
  return set_return_data(U64, 8) == STATUS_OK ? ST_OK : ST_HOST;
}

export function vote(): i32 {
  if (readInput() != 9 || load<u8>(INPUT + 8) > 1) return ST_BAD_INPUT;
  if (caller(CALLER) != STATUS_OK) return ST_HOST;
  const member = isMember(CALLER);
  if (member != 1) return member < 0 ? ST_HOST : ST_UNAUTHORISED;
  const found = loadProposal(INPUT);
  if (found != ST_OK) return found;
  memory.copy(VOTER, INPUT, 8);
  memory.copy(VOTER + 8, CALLER, 32);
  const voteLen = makeKey(VOTE_KEY, V_PREFIX, 2, VOTER, 40);
  const st = state_exists(VOTE_KEY, voteLen);
  if (st == STATUS_OK) return ST_EXISTS;
  if (st != STATUS_NOT_FOUND) return ST_HOST;
  const at = PROPOSAL + (load<u8>(INPUT + 8) ? 40 : 48);
  store<u64>(at, load<u64>(at) + 1);
  if (saveProposal() != ST_OK) return ST_HOST;
  return state_set(VOTE_KEY, voteLen, ONE, 1) == STATUS_OK ? ST_OK : ST_HOST;
}

export function execute(): i32 {
  if (readInput() != 8) return ST_BAD_INPUT;
  const found = loadProposal(INPUT);
  if (found != ST_OK) return found;
  if (load<u8>(PROPOSAL + 56)) return ST_EXISTS;
  if (getU64(MEMBERS_KEY, 7, U64) != STATUS_OK) return ST_HOST;
  if (readU64(PROPOSAL + 40) * 2 <= load<u64>(U64)) return ST_NOT_PASSED;
  const st = payNative(SOURCE_CONTRACT, PROPOSAL, readU64(PROPOSAL + 32), INDEX);
  if (st == STATUS_INSUFFICIENT_FUNDS) return ST_INSUFFICIENT;
  if (st != STATUS_OK) return ST_HOST;
  store<u8>(PROPOSAL + 56, 1);
  return saveProposal();
}

export function treasury(): i32 {
  if (contract_address(SELF) != STATUS_OK) return ST_HOST;
  if (balanceNative(SELF, U64) != STATUS_OK) return ST_HOST;
  return set_return_data(U64, 8) == STATUS_OK ? ST_OK : ST_HOST;
}
