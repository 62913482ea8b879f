"""The ExecutionPool's wire format (ispc_framework/_pool.py): records travel as their class and
field values, and a worker's reply names the chunk's transactions by their place. Whatever goes
through must come out equal, of the same classes all the way down, as plain pickle gives it."""

from __future__ import annotations

import pickle

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import commitments, every_model, transactions

from ispc_framework import _model as m
from ispc_framework._encoding import encode, type_ids
from ispc_framework._pool import _dump_reply, _dumps, _reducers, _ReplyUnpickler


def classes(value: object) -> list[type]:
    """Every class in a record tree, depth first (equality alone would let a tuple stand in for
    a list, or a subclass for its base)."""
    found = [type(value)]
    if attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            found += classes(getattr(value, field.name))
    elif isinstance(value, (tuple, list)):
        for item in value:
            found += classes(item)
    return found


def round_trip(value: object) -> object:
    return pickle.loads(_dumps(value, _reducers()))


def test_every_record_with_an_encoding_has_a_reducer():
    assert set(_reducers()) == set(type_ids())


@settings(max_examples=200, deadline=None)
@given(st.one_of(every_model, transactions, commitments))
def test_records_come_back_equal_and_of_the_same_classes(value):
    back = round_trip(value)
    assert back == value == pickle.loads(pickle.dumps(value))
    assert classes(back) == classes(value)
    assert encode(back) == encode(value)  # nothing memoised came along to stand for the bytes


@settings(max_examples=60, deadline=None)
@given(st.lists(commitments, min_size=1, max_size=4), transactions)
def test_a_reply_names_the_chunks_transactions_and_nothing_else(results, stranger):
    """Results whose commitment holds a transaction of the chunk get the parent's own object
    back; one holding any other transaction (equal or not) gets a copy of it."""
    sent = [result.transaction for result in results]
    results.append(attrs.evolve(results[0], transaction=stranger))
    outcomes = [("ok", result) for result in results] + [("error", ("NotFound", "m", "c", "", {}))]
    parents = [pickle.loads(pickle.dumps(tx)) for tx in sent]  # the parent's: equal, not the same
    back = _ReplyUnpickler(_dump_reply(outcomes, sent), parents).load()
    assert back == outcomes
    for place, (_, result) in enumerate(back[:len(sent)]):
        assert result.transaction is parents[place]
    assert back[len(sent)][1].transaction is not stranger
    assert back[len(sent)][1].transaction == stranger


def test_a_zero_field_record_and_a_one_field_record():
    for value in (m.NativeCoin(), m.SingleKeyLock(b"\x01" * 32)):
        assert round_trip(value) == value and type(round_trip(value)) is type(value)
