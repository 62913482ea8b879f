"""Repository conformance: a plugin's repository must behave like the core's MemoryRepository."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import (InputMissing, InputSpent, ISPCError, NotFound, ReadOnlyViolation,
                      StateConflict, ValidationError)
from .._model import (AssetOutput, NativeCoin, OutPoint, ResourceCategory, ResourceOutput,
                     SealedDraft, StateDelta, TxInput, TxOutput)
from .._repository import MemoryRepository, content_hash
from .._state import EMPTY_ROOT, build_delta
from . import Report, run_checks

__all__ = ["run"]

ALICE, BOB = b"\xa1" * 32, b"\xb0" * 32


def _coin(owner: bytes, amount: int) -> TxOutput:
    return TxOutput(owner, asset=AssetOutput(NativeCoin(), amount))


def _script(repo: Any) -> list:
    """The same operations on any repository; returns what an observer can see."""
    seen: list = []
    writer = repo.writer()
    genesis = writer.create_genesis("conformance", 100, [_coin(ALICE, 10), _coin(BOB, 5)])
    seen.append(genesis)
    content = b"\x00asm conformance"
    key = writer.store_resource(content)
    seen.append(key == content_hash(content))
    seen.append(writer.store_resource(content) == key)  # deduplicated, same key
    resource = ResourceOutput(key, ResourceCategory.STATIC, "application/octet-stream",
                              len(content), "blob")
    seen.append(writer.apply(SealedDraft((), (TxOutput(ALICE, resource=resource),), ())))
    spend = SealedDraft((TxInput(genesis.created[0]), TxInput(genesis.created[1], True)),
                        (_coin(BOB, 7), _coin(ALICE, 3)), ())
    seen.append(writer.apply(spend, timestamp=500))
    view = repo.view()
    seen += [view.head(), view.block_hash(0), view.block_hash(99), view.utxo(genesis.created[0]),
             view.utxo_exists(genesis.created[1]), view.resource(key), view.resource_exists(key),
             view.resource_content(key), sorted(view.utxos_of(BOB), key=repr),
             [b.height for b in view.blocks(10)], view.blocks(0)]
    return seen


CONTRACT, OTHER = b"\xc0" * 32, b"\xc1" * 32


def _storage_script(repo: Any) -> list:
    """Contract storage through applies: history at every height, versions, roots."""
    writer = repo.writer()
    writer.create_genesis("conformance", 1, [])
    first = build_delta(CONTRACT, {}, 0, EMPTY_ROOT, [b"a"], {b"a": b"1", b"b": b"2"})
    writer.apply(SealedDraft(state=first))
    committed = {b"a": b"1", b"b": b"2"}
    second = build_delta(CONTRACT, committed, 1, first.root, [], {b"a": None, b"c": b""})
    writer.apply(SealedDraft(state=second))
    reader = build_delta(CONTRACT, {}, 2, second.root, [b"b"], {})  # reads only: no new version
    writer.apply(SealedDraft(state=reader))
    view = repo.view()
    seen: list = []
    for height in range(5):
        seen += [view.state_items(CONTRACT, height), view.state_version(CONTRACT, height),
                 view.state_get(CONTRACT, b"a", height), view.state_get(CONTRACT, b"c", height),
                 view.state_items(OTHER, height), view.state_version(OTHER, height)]
    return seen


def run(make_repository: Callable[[], Any]) -> Report:
    """``make_repository()`` must return a fresh, empty repository each time it is called."""

    def same_as_reference():
        expected, actual = _script(MemoryRepository()), _script(make_repository())
        for index, (want, got) in enumerate(zip(expected, actual)):
            assert want == got, f"step {index}: expected {want!r:.120}, got {got!r:.120}"

    def storage_same_as_reference():
        expected, actual = _storage_script(MemoryRepository()), _storage_script(make_repository())
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            assert want == got, f"step {index}: expected {want!r:.120}, got {got!r:.120}"

    def storage_conflicts_write_nothing():
        repo = make_repository()
        writer = repo.writer()
        writer.create_genesis("c", 1, [])
        base = build_delta(CONTRACT, {}, 0, EMPTY_ROOT, [], {b"k": b"v"})
        writer.apply(SealedDraft(state=base))
        view = repo.view()
        revision, height = view.revision(), view.head().height
        stale = build_delta(CONTRACT, {}, 0, EMPTY_ROOT, [], {b"k": b"w"})  # parent superseded
        wrong_root = StateDelta(CONTRACT, 1, base.root, 2, b"\x01" * 32, (),
                                build_delta(CONTRACT, {}, 1, base.root, [], {b"x": b"y"}).writes)
        deltas: list[tuple[StateDelta, type[ISPCError], str]] = [
            (stale, StateConflict, "state-conflict"),
            (wrong_root, ValidationError, "state-root-mismatch")]
        for delta, error, code in deltas:
            try:
                writer.apply(SealedDraft(outputs=(_coin(ALICE, 1),), state=delta))
            except error as exc:
                assert exc.code == code, f"expected [{code}], got [{exc.code}]"
            else:
                raise AssertionError(f"applying {delta!r:.80} must raise {error.__name__}")
            now = repo.view()
            assert now.revision() == revision and now.head().height == height, \
                "a refused storage delta wrote something"
            assert now.state_get(CONTRACT, b"k", height + 5) == b"v"
            assert now.state_version(CONTRACT, height) == (1, base.root)

    def head_needs_genesis():
        repo = make_repository()
        try:
            repo.view().head()
        except NotFound:
            return
        raise AssertionError("head() of an empty repository must raise NotFound")

    def failures_write_nothing():
        repo = make_repository()
        writer = repo.writer()
        genesis = writer.create_genesis("c", 1, [_coin(ALICE, 1)])
        view = repo.view()
        revision = view.revision()
        missing = OutPoint(b"\x07" * 32, 0)
        cases: list[tuple[SealedDraft, type[ISPCError]]] = [
                (SealedDraft((TxInput(missing),), (_coin(BOB, 1),), ()), InputMissing),
                 (SealedDraft((TxInput(genesis.created[0]), TxInput(genesis.created[0])), (), ()),
                  ValidationError)]
        for draft, error in cases:
            try:
                writer.apply(draft)
            except error:
                pass
            else:
                raise AssertionError(f"applying {draft!r:.80} must raise {error.__name__}")
            now = repo.view()
            assert now.revision() == revision, "a failed apply changed the revision"
            assert now.head().height == 0, "a failed apply added a block"
        writer.apply(SealedDraft((TxInput(genesis.created[0]),), (), ()))
        try:
            writer.apply(SealedDraft((TxInput(genesis.created[0]),), (), ()))
        except InputSpent:
            return
        except InputMissing:
            return  # acceptable for repositories that do not remember spent outputs
        raise AssertionError("spending an output twice must fail")

    def views_are_read_only():
        repo = make_repository()
        repo.writer().create_genesis("c", 1, [])
        view = repo.view()
        for name in ("create_genesis", "store_resource", "apply"):
            assert not hasattr(view, name), f"a view must not offer {name}()"
        try:
            view.anything = 1
        except (ReadOnlyViolation, AttributeError):
            pass
        else:
            raise AssertionError("setting an attribute on a view must fail")

    def apply_is_compare_and_swap():
        """docs/authorization.md: head, replay and the caller's check decided in the write."""
        repo = make_repository()
        writer = repo.writer()
        genesis = writer.create_genesis("c", 1, [_coin(ALICE, 1), _coin(BOB, 1)])
        view = repo.view()
        pins = view.head()
        record = (b"\x5a" * 32, b"result")
        writer.apply(SealedDraft((TxInput(genesis.created[0]),), (), ()), expected_head=pins,
                     record=record)
        for kwargs, code in [({"expected_head": pins}, "result-stale"),
                             ({"expected_head": repo.view().head(), "record": record},
                              "transaction-replayed")]:
            try:
                writer.apply(SealedDraft(), **kwargs)
            except ISPCError as exc:
                assert exc.code == code, f"expected [{code}], got [{exc.code}]"
            else:
                raise AssertionError(f"apply must refuse with [{code}]")
        seen = []

        def refuse(reader):
            seen.append(reader.utxo(genesis.created[1]))
            raise InputSpent("refused by the check", code="check-refused")

        try:
            writer.apply(SealedDraft((TxInput(genesis.created[1]),), (), ()), check=refuse)
        except InputSpent:
            pass
        assert seen == [_coin(BOB, 1)], "check() must see the unspent output through utxo()"
        now = repo.view()  # a view may be a snapshot (the built-in ones are): look again
        assert now.head().height == 1, "a refused apply wrote a block"
        assert now.applied_transaction(record[0]) == (1, record[1])
        past = repo.view_at(0)
        assert past.head() == pins and past.utxo(genesis.created[0]) == _coin(ALICE, 1)
        assert past.applied_transaction(record[0]) is None

    def errors_are_typed():
        repo = make_repository()
        try:
            repo.writer().create_genesis("c", -1, [])
        except ISPCError:
            return
        raise AssertionError("a negative timestamp must raise a typed ISPCError")

    return run_checks("repository", [
        ("same ids, hashes and lookups as MemoryRepository", same_as_reference),
        ("contract storage history, versions and roots as MemoryRepository",
         storage_same_as_reference),
        ("storage conflicts and wrong roots are refused, nothing written",
         storage_conflicts_write_nothing),
        ("head() needs a genesis block", head_needs_genesis),
        ("failed applies write nothing; double spends fail", failures_write_nothing),
        ("execution views cannot write", views_are_read_only),
        ("apply is a compare-and-swap with replay records; past views", apply_is_compare_and_swap),
        ("bad input gives typed errors", errors_are_typed),
    ])
