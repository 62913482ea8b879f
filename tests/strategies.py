"""Hypothesis strategies for every model type (shared by the core's property tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from ispc_framework import _model as m

hash32 = st.binary(min_size=32, max_size=32)
u32 = st.integers(0, m.MAX_U32)
u64 = st.integers(0, m.MAX_U64)
text = st.text(max_size=20)
short_bytes = st.binary(max_size=32)

outpoints = st.builds(m.OutPoint, hash32, u32)
tx_inputs = st.builds(m.TxInput, outpoints, st.booleans(), st.binary(max_size=64))
public_keys = st.sampled_from([32, 33, 65]).flatmap(lambda n: st.binary(min_size=n, max_size=n))
base_locks = st.one_of(
    st.builds(m.SingleKeyLock, public_keys),
    st.lists(public_keys, min_size=1, max_size=4).flatmap(
        lambda keys: st.builds(m.MultiKeyLock, st.integers(1, len(keys)), st.just(tuple(keys)))),
    st.builds(m.ContractLock, hash32),
)
locks = st.recursive(base_locks, lambda inner: st.one_of(
    st.builds(m.TimeLock, u64, inner), st.builds(m.HeightLock, u64, inner)), max_leaves=3)
tokens = st.one_of(st.just(m.NativeCoin()), st.builds(m.FungibleToken, hash32, short_bytes))
assets = st.one_of(st.builds(m.AssetOutput, tokens, u64),
                   st.builds(m.AssetOutput, st.builds(m.NonFungibleToken, hash32, short_bytes),
                             st.just(1)))
metadata = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)
resources = st.builds(m.ResourceOutput, hash32, st.sampled_from(list(m.ResourceCategory)),
                      st.text(max_size=16), u64, text, metadata=metadata)
field_elements = st.integers(0, m.BN254_FR - 1)
proofs = st.builds(m.ZKStateProof, st.binary(max_size=256),
                   st.lists(field_elements, max_size=4).map(tuple), hash32,
                   st.text(min_size=1, max_size=16), u32, u64)
states = st.builds(m.StateOutput, hash32, u64, hash32, st.none() | proofs, st.none() | hash32,
                   metadata=metadata)
tx_outputs = st.one_of(
    st.builds(m.TxOutput, hash32, st.lists(locks, max_size=2).map(tuple), asset=assets),
    st.builds(m.TxOutput, hash32, st.lists(locks, max_size=2).map(tuple), resource=resources),
    st.builds(m.TxOutput, hash32, st.lists(locks, max_size=2).map(tuple), state=states),
)
events = st.builds(m.Event, hash32, st.text(min_size=1, max_size=16), st.binary(max_size=64))
tensors = st.sampled_from(["uint8", "int32", "float32", "float64"]).flatmap(
    lambda dtype: st.lists(st.integers(0, 3), max_size=3).flatmap(
        lambda shape: st.builds(
            m.Tensor, text, st.just(dtype), st.just(tuple(shape)),
            st.binary(min_size=_size(shape, dtype), max_size=_size(shape, dtype)))))
drafts = st.builds(m.SealedDraft, st.lists(tx_inputs, max_size=3).map(tuple),
                   st.lists(tx_outputs, max_size=3).map(tuple), st.lists(events, max_size=2).map(tuple))


def _size(shape, dtype):
    count = 1
    for dim in shape:
        count *= dim
    return count * m.TENSOR_DTYPES[dtype]


every_model = st.one_of(outpoints, tx_inputs, locks, tokens, assets, resources, proofs, states,
                        tx_outputs, events, tensors, drafts)


# Composite values with a normalising converter (request tensors sorted by name, an empty spend
# allowance stored as None, metadata sorted): the canonical-decoding tests need them.
def _requests():
    from ispc_framework._context import ExecutionRequest

    named = st.lists(tensors, max_size=3, unique_by=lambda tensor: tensor.name)
    return st.builds(ExecutionRequest, hash32, text, st.binary(max_size=16),
                     st.binary(min_size=32, max_size=32), named.map(tuple), u64)


requests = st.deferred(_requests)


def _transactions():
    from ispc_framework._transaction import SignedTransaction

    keys = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=3, unique=True)
    return keys.flatmap(lambda signers: st.builds(
        SignedTransaction, requests, st.text(min_size=1, max_size=8), u64, st.just(tuple(signers)),
        st.just(tuple(b"\x07" * 64 for _ in signers)),
        st.none() | st.lists(outpoints, min_size=1, max_size=3, unique=True).map(tuple)))


transactions = st.deferred(_transactions)
pins = st.builds(m.ChainPins, u64, u64, hash32, st.text(min_size=1, max_size=8))
commitments = st.builds(
    m.ResultCommitment, st.just("wasm"), transactions, pins, text, text, hash32, hash32, u64,
    st.none() | hash32, state_metadata=metadata, status=u32, return_data=short_bytes,
    gas_used=u64, draft=drafts)
