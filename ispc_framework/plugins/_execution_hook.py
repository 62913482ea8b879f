"""Calling the ``ispc_execution`` wrappers so that they can only observe an execution.

pluggy's own ``call_extra`` lets a wrapper return anything in place of the run's result (a failed
mint came back as status 0) or swallow the run's error, and it reports a wrapper's exception as a
raw traceback without saying whose it was. So the core drives the wrapper generators itself, in
pluggy's order (outermost first), and checks each step:

- the value a new-style wrapper returns must be the run's own result object, and an old-style
  ``hookwrapper`` must not ``force_result``/``force_exception``;
- a run that raised must stay raised: a wrapper that returns instead is replacing the outcome;
- the run's context (return data, draft, trace, host gas) must not change outside the run;
- any other exception from a wrapper becomes a :class:`PluginError` naming the plugin.

The run's result is kept by the core; wrappers see it, never substitute it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from .._errors import PluginError

__all__ = ["call_execution_wrappers", "context_state"]


def context_state(ctx: Any) -> tuple[Any, ...]:
    """What a wrapper must not change about a run's context (cheap: no hashing, no sealing)."""
    draft = ctx.draft
    return (ctx.return_data, draft.inputs, draft.outputs, draft.events, ctx.trace.root,
            ctx.gas_used)


def _name(impl: Any) -> str:
    return impl.plugin_name


def _error(impl: Any, what: str, *, code: str,
           cause: BaseException | None = None) -> PluginError:
    detail = f": {type(cause).__name__}: {cause}" if cause is not None else ""
    error = PluginError(f"ispc_execution wrapper of plugin {_name(impl)!r} {what}{detail}",
                        code=code, plugin=_name(impl),
                        hint="an execution wrapper may only observe the run: `return (yield)`; "
                             "fix or block that plugin in [plugins] block = [...]")
    error.__cause__ = cause
    return error


def call_execution_wrappers(hook: Any, request: Any, context: Any,
                            run: Callable[[], Any]) -> Any:
    """Run ``run()`` inside every registered ``ispc_execution`` wrapper; return its own result."""
    impls = hook.get_hookimpls()
    if not impls:  # nobody to observe the run, so nothing can alter it
        return run()
    kwargs = {"request": request, "context": context}
    before = context_state(context)
    started: list[tuple[Any, Any]] = []

    def unwind(error: BaseException) -> None:
        for _impl, gen in reversed(started):
            gen.close()
        raise error

    for impl in reversed(impls):   # pluggy calls the last-registered (and tryfirst) first
        if not (impl.wrapper or impl.hookwrapper):
            unwind(_error(impl, "is not a wrapper (it would replace the execution)",
                          code="hook-not-wrapper"))
        try:
            gen = impl.function(*(kwargs[name] for name in impl.argnames))
            next(gen)
        except StopIteration:
            unwind(_error(impl, "returned without yielding: the run would be skipped",
                          code="hook-no-yield"))
        except Exception as exc:
            unwind(_error(impl, "raised before the run", code="hook-failed", cause=exc))
        started.append((impl, gen))
    if context_state(context) != before:
        unwind(_error(started[-1][0] if started else impls[0],
                      "changed the run's context before the run", code="hook-altered-context"))

    result: Any = None
    error: BaseException | None = None
    try:
        result = run()
    except BaseException as exc:  # handed to the wrappers, re-raised below
        error = exc
    after = context_state(context)

    failure: PluginError | None = None
    for impl, gen in reversed(started):
        if failure is not None:
            gen.close()
            continue
        failure = _resume(impl, gen, result, error)
        if failure is None and context_state(context) != after:
            failure = _error(impl, "changed the run's context after the run",
                             code="hook-altered-context")
    if failure is not None:
        raise failure
    if error is not None:
        raise error
    return result


def _resume(impl: Any, gen: Any, result: Any, error: BaseException | None) -> PluginError | None:
    """Resume one wrapper with the run's outcome; the error to raise if it misbehaved."""
    if impl.hookwrapper:   # old style: gets a Result object and must leave it alone
        outcome = pluggy.Result(result, None if error is None else error)
        try:
            gen.send(outcome)
        except StopIteration:
            pass
        except Exception as exc:
            return _error(impl, "raised after the run", code="hook-failed", cause=exc)
        else:
            gen.close()
            return _error(impl, "yielded more than once", code="hook-yielded-twice")
        if outcome._exception is not error or (error is None and outcome._result is not result):
            return _error(impl, "replaced the run's outcome (force_result/force_exception)",
                          code="hook-replaced-outcome")
        return None
    try:
        if error is None:
            gen.send(result)
        else:
            gen.throw(error)
    except StopIteration as stop:
        if error is not None:
            return _error(impl, f"swallowed the run's {type(error).__name__} and returned a "
                          "result instead: it would replace the outcome", code="hook-replaced-outcome")
        if stop.value is not result:
            return _error(impl, f"returned {type(stop.value).__name__} instead of the run's "
                          "result: a wrapper cannot replace the outcome",
                          code="hook-replaced-outcome")
        return None
    except BaseException as exc:
        if exc is error:
            return None   # the run's own error, passed on: fine
        if not isinstance(exc, Exception):
            raise
        return _error(impl, "raised after the run", code="hook-failed", cause=exc)
    gen.close()
    return _error(impl, "yielded more than once", code="hook-yielded-twice")
