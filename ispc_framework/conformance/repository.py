"""Repository conformance: a plugin's repository must behave like the core's MemoryRepository.

Checks: the same ids, hashes and lookups as the reference for a fixed script and for seeded
random operation sequences (a stateful test written here rather than with hypothesis, so an
operator's `ispc conformance` needs no test libraries); contract storage history, versions and
roots as the reference's, with stale or wrongly rooted deltas refused and nothing written; atomic
apply (a draft mixing good and bad
inputs leaves every earlier output, resource and block exactly as it was); views that expose only
the ChainView read methods and cannot write through any attribute they hold; concurrent readers.
As pytest tests: subclass :class:`RepositorySuite` (``make_plugin`` returns a factory of fresh,
empty repositories).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from .._errors import (InputMissing, InputSpent, ISPCError, NotFound, ReadOnlyViolation,
                      StateConflict, ValidationError)
from .._model import (AssetOutput, Event, NativeCoin, OutPoint, ResourceCategory,
                     ResourceOutput, SealedDraft, StateDelta, TxInput, TxOutput)
from .._repository import ChainView, MemoryRepository, content_hash
from .._state import EMPTY_ROOT, build_delta
from . import Report, run_checks
from .suite import PluginSuite, add_checks

__all__ = ["run", "CHECKS", "RepositorySuite", "READ_METHODS", "SUITE_VERSION"]

SUITE_VERSION = "3"
#: What a view may offer: the ChainView protocol, plus read methods the core knows of.
READ_METHODS = frozenset(name for name in vars(ChainView) if not name.startswith("_")) | {
    "close", "was_spent", "block", "state_outputs", "query"}
_WRITE_METHODS = ("create_genesis", "store_resource", "apply", "writer")

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


def _inspection_script(repo: Any) -> list:
    """What `ispc block`, `tx`, `events` and `contracts` read: block records, transactions by
    block or signed id, events, resource outputs; at the head and from a past view."""
    writer = repo.writer()
    genesis = writer.create_genesis("inspection", 1, [_coin(ALICE, 3)])
    code = b"\x00asm inspection"
    key = writer.store_resource(code)
    deploy = writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(code), "c")),), ()))
    events = (Event(CONTRACT, "minted", b"\x01"), Event(OTHER, "noted", b""))
    signed_id = b"\x5a" * 32
    applied = writer.apply(SealedDraft((TxInput(genesis.created[0]),), (_coin(BOB, 3),), events),
                           record=(signed_id, b"a stored result"))
    writer.apply(SealedDraft((), (), (Event(CONTRACT, "later", b"\x02"),)))
    seen: list = []
    for view in (repo.view(), repo.view_at(applied.block.height)):
        seen += [[view.block_record(h) for h in range(-1, 6)],
                 view.find_transaction(deploy.block.transaction_id),
                 view.find_transaction(signed_id), view.find_transaction(b"\x00" * 32),
                 view.events(), view.events(since=3), view.events(contract=OTHER),
                 view.resource_outputs(), view.resource_outputs(ResourceCategory.AI_MODEL)]
    return seen


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


def _bind(make_repository: Callable[[], Any]) -> dict[str, Callable[[], None]]:
    """Every check as a closure over the factory of fresh, empty repositories."""

    def same_as_reference():
        expected, actual = _script(MemoryRepository()), _script(make_repository())
        for index, (want, got) in enumerate(zip(expected, actual)):
            assert want == got, f"step {index}: expected {want!r:.120}, got {got!r:.120}"

    def inspection_same_as_reference():
        expected = _inspection_script(MemoryRepository())
        actual = _inspection_script(make_repository())
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            assert want == got, f"read {index}: expected {want!r:.120}, got {got!r:.120}"

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
        genesis = repo.writer().create_genesis("c", 1, [_coin(ALICE, 1)])
        view = repo.view()
        extra = sorted(n for n in dir(view) if not n.startswith("_") and n not in READ_METHODS)
        assert not extra, (f"a view may offer only the ChainView read methods; it also offers "
                           f"{', '.join(extra)}")
        for name in ("anything", "head"):
            try:
                setattr(view, name, 1)
            except (ReadOnlyViolation, AttributeError):
                pass
            else:
                raise AssertionError(f"setting view.{name} must fail (ReadOnlyViolation)")
        revision = view.revision()
        for path, held in _reachable(view):
            for name in _WRITE_METHODS:
                assert not callable(getattr(held, name, None)), \
                    f"the view holds a writer: {path}.{name}() is reachable"
            if callable(getattr(held, "execute", None)):   # a DB-API connection or cursor
                _refuses(partial(held.execute, "CREATE TABLE ispc_conformance_probe (x)"),
                         f"{path}.execute() of a write statement")
        if callable(getattr(view, "query", None)):
            _refuses(lambda: view.query("DELETE FROM utxos"), "view.query() of a write")
        assert view.revision() == revision and view.utxo_exists(genesis.created[0]), \
            "writing through the view changed the repository"

    def apply_is_atomic():
        repo = make_repository()
        writer = repo.writer()
        genesis = writer.create_genesis("atomic", 1, [_coin(ALICE, 4), _coin(BOB, 6)])
        key = writer.store_resource(b"kept")
        view = repo.view()
        before = _snapshot(view, genesis.created, key)
        missing = OutPoint(b"\x07" * 32, 3)
        good = [TxInput(o) for o in genesis.created]
        bad_drafts: list[tuple[str, SealedDraft, type[ISPCError]]] = [
            ("good inputs then a missing one", SealedDraft((*good, TxInput(missing)),
                                                           (_coin(BOB, 10),), ()), InputMissing),
            ("a missing input then good ones", SealedDraft((TxInput(missing), *good),
                                                           (_coin(BOB, 10),), ()), InputMissing),
            ("a good input spent twice", SealedDraft((good[0], good[1], good[0]),
                                                     (_coin(BOB, 10),), ()), ValidationError),
        ]
        for label, draft, error in bad_drafts:
            try:
                writer.apply(draft)
            except error:
                pass
            except ISPCError as exc:
                raise AssertionError(f"{label}: expected {error.__name__}, got "
                                     f"{type(exc).__name__}: {exc}") from None
            else:
                raise AssertionError(f"{label}: apply must fail with {error.__name__}")
            after = _snapshot(repo.view(), genesis.created, key)  # views are snapshots: a new one
            changed = [k for k in before if before[k] != after[k]]
            assert not changed, (f"{label}: the failed apply was not atomic, it changed "
                                 f"{', '.join(changed)}")
        writer.apply(SealedDraft(tuple(good), (_coin(BOB, 10),), ()))   # still spendable
        assert not repo.view().utxo_exists(genesis.created[0]), \
            "a valid apply did not spend its input"

    def same_as_reference_random():
        for seed in range(4):
            expected, actual = _random_script(seed, MemoryRepository()), \
                _random_script(seed, make_repository())
            for step, (want, got) in enumerate(zip(expected, actual)):
                assert want == got, (f"seed {seed} step {step}: MemoryRepository gives "
                                     f"{want!r:.140}, this repository {got!r:.140}")
            assert len(expected) == len(actual), f"seed {seed}: different number of steps"

    def concurrent_readers():
        repo = make_repository()
        writer = repo.writer()
        genesis = writer.create_genesis("readers", 1, [_coin(ALICE, n + 1) for n in range(8)])
        key = writer.store_resource(b"shared")
        view = repo.view()
        expected = _snapshot(view, genesis.created, key)
        with ThreadPoolExecutor(max_workers=8) as pool:
            seen = list(pool.map(lambda _: _snapshot(view, genesis.created, key), range(32)))
        wrong = [i for i, got in enumerate(seen) if got != expected]
        assert not wrong, f"{len(wrong)} of 32 concurrent reads of one view saw other data"

    def views_follow_commits():
        """A repository may reuse a view's read state for the next one (ispc-sqlite keeps a
        thread's snapshot while nothing is committed): a new view must still show every
        commit before it, and a view open across a commit keeps its own snapshot."""
        repo = make_repository()
        writer = repo.writer()
        outpoint = writer.create_genesis("follow", 1, [_coin(ALICE, 9)]).created[0]
        for height in range(1, 6):
            view = repo.view()
            assert view.head().height == height - 1 and view.utxo_exists(outpoint), \
                f"a view opened after block {height - 1} does not show it"
            _close_view(view)
            held = repo.view()
            outpoint = writer.apply(SealedDraft((TxInput(outpoint),), (_coin(ALICE, 9),),
                                                ())).created[0]
            assert held.head().height == height - 1 and not held.utxo_exists(outpoint), \
                "a view open across a commit did not keep its snapshot"
            _close_view(held)
        view = repo.view()
        assert view.head().height == 5 and view.utxo_exists(outpoint), \
            "a view opened after the last commit does not show it"
        _close_view(view)

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

    return {name: check for name, check in locals().items() if callable(check)
            and name in _IDS}


CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("same_as_reference", "same ids, hashes and lookups as MemoryRepository", None),
    ("same_as_reference_random", "seeded random operations match MemoryRepository", None),
    ("inspection_same_as_reference",
     "block records, transactions, events and resource outputs as MemoryRepository", None),
    ("storage_same_as_reference",
     "contract storage history, versions and roots as MemoryRepository", None),
    ("storage_conflicts_write_nothing",
     "storage conflicts and wrong roots are refused, nothing written", None),
    ("head_needs_genesis", "head() needs a genesis block", None),
    ("failures_write_nothing", "failed applies write nothing; double spends fail", None),
    ("apply_is_atomic", "a draft mixing good and bad inputs leaves everything intact", None),
    ("views_are_read_only", "views offer only read methods and cannot write by any path", None),
    ("apply_is_compare_and_swap",
     "apply is a compare-and-swap with replay records; past views", None),
    ("concurrent_readers", "concurrent readers of one view see the same data", None),
    ("views_follow_commits",
     "every new view shows the commits before it; an open view keeps its snapshot", None),
    ("errors_are_typed", "bad input gives typed errors", None),
)
_IDS = {check for check, _title, _needs in CHECKS}
LEVELS: dict[str, tuple[str, ...]] = {}


def run(make_repository: Callable[[], Any]) -> Report:
    """``make_repository()`` must return a fresh, empty repository each time it is called."""
    bound = _bind(make_repository)
    return run_checks("repository", [(title, bound[check]) for check, title, _ in CHECKS])


class RepositorySuite(PluginSuite):
    """:data:`CHECKS` as pytest tests; ``make_plugin`` returns a factory of fresh repositories.
    (The ``plugin`` fixture is not used: every check makes the repositories it needs.)"""

    suite = "repository"
    suite_version = SUITE_VERSION

    @pytest.fixture
    def plugin(self, make_plugin: Callable[[], Any]) -> Any:
        made: list[Any] = []

        def fresh() -> Any:
            made.append(make_plugin())
            return made[-1]

        yield fresh
        for repo in made:
            close = getattr(repo, "close", None)
            if callable(close):
                close()


add_checks(RepositorySuite, CHECKS, _bind)


def _close_view(view: Any) -> None:
    """Close a view if it can be closed (``close`` is optional in the ChainView protocol)."""
    close = getattr(view, "close", None)
    if callable(close):
        close()


def _reachable(view: Any) -> list[tuple[str, Any]]:
    """The objects a view holds in its attributes (slots and __dict__), one level deep."""
    names = set(getattr(view, "__dict__", {}) or {})
    for cls in type(view).__mro__:
        slots = getattr(cls, "__slots__", ())
        names |= {slots} if isinstance(slots, str) else set(slots)
    names -= {"__weakref__", "__dict__"}
    out = []
    for name in sorted(names):
        try:
            out.append((f"view.{name}", object.__getattribute__(view, name)))
        except AttributeError:
            continue
    return out


def _refuses(write: Callable[[], Any], what: str) -> None:
    try:
        write()
    except Exception:  # noqa: BLE001 - any refusal will do; acceptance is the failure
        return
    raise AssertionError(f"{what} succeeded: the view can write")


def _snapshot(view: Any, outpoints: Any, key: bytes) -> dict[str, Any]:
    return {"revision": view.revision(), "head": view.head(),
            "blocks": [b.block_hash for b in view.blocks(50)],
            "utxos": [view.utxo(o) for o in outpoints],
            "alice": sorted(view.utxos_of(ALICE), key=repr),
            "bob": sorted(view.utxos_of(BOB), key=repr),
            "resource": (view.resource_exists(key), view.resource_content(key))}


def _random_script(seed: int, repo: Any) -> list[Any]:
    """A seeded sequence of spends (valid and invalid), resource stores and reads."""
    rng = random.Random(seed)
    owners = [ALICE, BOB, b"\xc0" * 32]
    writer = repo.writer()
    genesis = writer.create_genesis(f"random-{seed}", 10, [_coin(rng.choice(owners), 1 + n)
                                                           for n in range(6)])
    unspent, seen = list(genesis.created), [genesis]
    for step in range(30):
        action = rng.choice(("spend", "spend", "bad", "resource", "read"))
        if action == "spend" and unspent:
            chosen = rng.sample(unspent, rng.randint(1, min(3, len(unspent))))
            outputs = tuple(_coin(rng.choice(owners), rng.randint(1, 9))
                            for _ in range(rng.randint(0, 3)))
            try:
                applied = writer.apply(SealedDraft(tuple(TxInput(o) for o in chosen), outputs,
                                                   ()), timestamp=100 + step)
            except ISPCError as exc:
                seen.append(type(exc).__name__)
                continue
            unspent = [o for o in unspent if o not in chosen] + list(applied.created)
            seen.append(applied)
        elif action == "bad":
            inputs = [TxInput(OutPoint(bytes([step]) * 32, 0))]
            if unspent:
                inputs.insert(0, TxInput(rng.choice(unspent)))
            try:
                writer.apply(SealedDraft(tuple(inputs), (_coin(BOB, 1),), ()))
                seen.append("accepted a missing input")
            except ISPCError as exc:
                seen.append(type(exc).__name__)
        elif action == "resource":
            content = rng.randbytes(rng.randint(1, 64))
            seen.append(writer.store_resource(content) == content_hash(content))
        else:  # views are snapshots: a read after writes opens a new one
            view = repo.view()
            seen.append((view.head(), sorted(view.utxos_of(rng.choice(owners)), key=repr),
                         [b.height for b in view.blocks(5)]))
    view = repo.view()
    seen.append(sorted(((o, view.utxo(o)) for o in unspent), key=repr))
    return seen
