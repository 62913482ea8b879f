"""The worker process: runs onnxruntime sessions for the engine, one request at a time.

Started by ``_isolation`` (``main()``) with stdin/stdout as the frame pipe. Each load
and run happens under a soft RLIMIT_AS of (address space in use now + the request's memory cap),
so an allocation past the cap fails inside onnxruntime with a clean error; the parent's kill timer
covers what the in-worker terminate watchdog cannot stop (one long kernel).
"""

from __future__ import annotations

import os
import resource
import sys
from collections import OrderedDict
from contextlib import contextmanager

from ._protocol import FrameError, encode_frame, read_frame

SESSION_CACHE_SIZE = 32


def _address_space_in_use() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize in /proc/self/status")


@contextmanager
def _memory_cap(memory_bytes: int):
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space_in_use() + memory_bytes
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def main() -> None:
    # fd 1 carries frames only: anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    stdin = sys.stdin.buffer

    import numpy as np
    import onnxruntime as ort

    from ._session import Watchdog, classify, create_session
    from ._session import run_options as new_run_options

    watchdog = Watchdog()
    sessions: OrderedDict[str, ort.InferenceSession] = OrderedDict()
    out.write(encode_frame({"status": "ready", "onnxruntime": ort.__version__, "pid": os.getpid()}))

    while True:
        try:
            request, blobs = read_frame(stdin)
        except FrameError:
            return  # the parent closed the pipe
        reply: dict
        reply_blobs: list[bytes] = []
        try:
            key = request["key"]
            if request["op"] == "load":
                if key not in sessions:
                    with _memory_cap(request["memory_bytes"]):
                        sessions[key] = create_session(blobs[0], request["optimization_level"])
                    while len(sessions) > SESSION_CACHE_SIZE:
                        sessions.popitem(last=False)
                sessions.move_to_end(key)
                reply = {"status": "ok"}
            elif request["op"] == "run":
                session = sessions.get(key)
                if session is None:
                    reply = {"status": "need-model"}
                else:
                    sessions.move_to_end(key)
                    feeds = {name: np.frombuffer(blob, dtype=np.dtype(dtype).newbyteorder("<"))
                             .reshape(shape)
                             for (name, dtype, shape), blob in zip(request["inputs"], blobs)}
                    run_options = new_run_options()
                    token = watchdog.arm(run_options, request["timeout_s"])
                    try:
                        with _memory_cap(request["memory_bytes"]):
                            arrays = session.run(None, feeds, run_options)
                    finally:
                        watchdog.disarm(token)
                    outputs = []
                    for array in arrays:
                        array = np.asarray(array)
                        if array.nbytes > request["max_tensor_bytes"]:
                            raise _OutputTooLarge(f"an output holds {array.nbytes} bytes")
                        outputs.append([array.dtype.name, list(array.shape)])
                        reply_blobs.append(np.ascontiguousarray(
                            array, dtype=array.dtype.newbyteorder("<")).tobytes())
                    reply = {"status": "ok", "outputs": outputs}
            else:
                reply = {"status": "error", "kind": "protocol", "message": "unknown op"}
        except _OutputTooLarge as exc:
            reply, reply_blobs = {"status": "error", "kind": "output-too-large",
                                  "message": str(exc)}, []
        except Exception as exc:  # every onnxruntime failure becomes a typed reply
            kind = "session" if request.get("op") == "load" and classify(exc) == "run" \
                else classify(exc)
            reply, reply_blobs = {"status": "error", "kind": kind,
                                  "message": str(exc)[:2000]}, []
        out.write(encode_frame(reply, reply_blobs))


class _OutputTooLarge(Exception):
    pass


if __name__ == "__main__":
    main()
