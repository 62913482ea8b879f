"""How chain objects read for people and scripts: tokens, locks, outputs and events.

Used by ``utxo``, ``balance``, ``block``, ``tx``, ``events`` and ``contracts``. Addresses are named
where a name is known (a key of the key directory, a deployed contract's resource name), so
``ispc utxo alice`` says ``500 TOK (token of token_c.wasm 9c1d…)  locked to key alice`` rather
than a type name. The JSON forms keep every byte string as full lowercase hex.
"""

from __future__ import annotations

from typing import Any

from .._model import (ContractLock, FungibleToken, HeightLock, MultiKeyLock, NativeCoin,
                     NonFungibleToken, ResourceCategory, SingleKeyLock, TimeLock, TxOutput)

__all__ = ["Names", "short", "token_text", "token_json", "lock_text", "output_row",
           "output_json", "event_json", "bytes_text"]


def short(value: bytes) -> str:
    return value.hex()[:12] + "…"


def bytes_text(value: bytes) -> str:
    """Printable UTF-8 as text, anything else as hex (event types, class ids, log lines)."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return value.hex()
    return text if text and text.isprintable() else value.hex()


class Names:
    """Address -> a name people know: the key directory's keys and deployed resources."""

    def __init__(self, view: Any = None, key_dir: str | None = None) -> None:
        self._names: dict[bytes, str] = {}
        if view is not None:
            for _, _, output in view.resource_outputs(ResourceCategory.CONTRACT):
                self._names.setdefault(output.resource.content_hash, output.resource.name)
        try:
            from ._loaders import key_store

            store = key_store(key_dir)
            for name in store.names():
                self._names[bytes.fromhex(store.info(name)["address"])] = name
        except Exception:  # names are a courtesy: an unreadable key directory shows hex
            pass

    def __call__(self, address: bytes) -> str:
        return self._names.get(address) or short(address)

    def get(self, address: bytes) -> str | None:
        return self._names.get(address)


def token_text(token: Any, names: Names) -> str:
    if isinstance(token, NativeCoin):
        return "coin"
    if isinstance(token, FungibleToken):
        return f"{bytes_text(token.class_id) or '(no class)'} (token of {names(token.contract)})"
    if isinstance(token, NonFungibleToken):
        return f"NFT {bytes_text(token.nft_id)} (of {names(token.contract)})"
    return type(token).__name__


def token_json(token: Any) -> dict[str, Any]:
    if isinstance(token, NativeCoin):
        return {"kind": "coin", "contract": None, "id": None, "label": "coin"}
    kind, raw = (("fungible", token.class_id) if isinstance(token, FungibleToken)
                 else ("nft", token.nft_id))
    return {"kind": kind, "contract": token.contract.hex(), "id": raw.hex(),
            "label": bytes_text(raw)}


def lock_text(lock: Any, names: Names) -> str:
    if isinstance(lock, SingleKeyLock):
        return f"key {names(lock.public_key)}"
    if isinstance(lock, MultiKeyLock):
        return (f"{lock.threshold} of {len(lock.public_keys)} keys "
                f"({', '.join(names(k) for k in lock.public_keys)})")
    if isinstance(lock, ContractLock):
        return f"contract {names(lock.contract)}"
    if isinstance(lock, TimeLock):
        return f"{lock_text(lock.base, names)} from time {lock.not_before_timestamp}"
    if isinstance(lock, HeightLock):
        return f"{lock_text(lock.base, names)} from height {lock.not_before_height}"
    return type(lock).__name__


def lock_json(lock: Any) -> dict[str, Any]:
    if isinstance(lock, SingleKeyLock):
        return {"kind": "key", "public_key": lock.public_key.hex()}
    if isinstance(lock, MultiKeyLock):
        return {"kind": "multi-key", "threshold": lock.threshold,
                "public_keys": [k.hex() for k in lock.public_keys]}
    if isinstance(lock, ContractLock):
        return {"kind": "contract", "contract": lock.contract.hex()}
    if isinstance(lock, TimeLock):
        return {"kind": "time", "not_before_timestamp": lock.not_before_timestamp,
                "base": lock_json(lock.base)}
    return {"kind": "height", "not_before_height": lock.not_before_height,
            "base": lock_json(lock.base)}


def output_row(output: TxOutput, names: Names) -> tuple[str, str, str]:
    """(kind, what, locks) of an output, one line each."""
    if output.asset is not None:
        what = f"{output.asset.amount} {token_text(output.asset.token, names)}"
        kind = "asset"
    elif output.resource is not None:
        resource = output.resource
        what = (f"{resource.category.name.lower().replace('ai_', '')} {resource.name!r} "
                f"{short(resource.content_hash)} ({resource.size} bytes)")
        kind = "resource"
    else:
        state = output.state
        assert state is not None  # a TxOutput holds exactly one of asset, resource, state
        what = f"state {short(state.state_id)} v{state.version}"
        kind = "state"
    locks = "; ".join(lock_text(lock, names) for lock in output.locks) or "none (the owner signs)"
    return kind, what, locks


def output_json(output: TxOutput) -> dict[str, Any]:
    """An output's readable JSON: owner, kind, what it holds, locks (docs/cli.md)."""
    out: dict[str, Any] = {"owner": output.owner.hex(),
                           "locks": [lock_json(lock) for lock in output.locks]}
    if output.asset is not None:
        out.update(kind="asset", amount=output.asset.amount, token=token_json(output.asset.token))
    elif output.resource is not None:
        resource = output.resource
        out.update(kind="resource", content_hash=resource.content_hash.hex(),
                   category=resource.category.name.lower(), name=resource.name,
                   size=resource.size, mime_type=resource.mime_type)
    else:
        state = output.state
        assert state is not None  # a TxOutput holds exactly one of asset, resource, state
        out.update(kind="state", state_id=state.state_id.hex(), version=state.version,
                   execution_result_hash=state.execution_result_hash.hex())
    return out


def event_json(height: int, index: int, event: Any) -> dict[str, Any]:
    return {"height": height, "index": index, "contract": event.contract.hex(),
            "type": event.event_type, "data": event.data.hex()}
