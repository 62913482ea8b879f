"""Frames between the engine and its worker process: a JSON header plus raw byte blobs.

``u32 LE header length | header JSON | blob 0 | blob 1 | ...`` with ``header["blobs"]`` listing
the blob lengths. No pickle: the worker runs untrusted models, so the parent parses only JSON and
lengths it checks, never objects the worker chose.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from collections.abc import Sequence
from typing import BinaryIO

__all__ = ["MAX_HEADER_BYTES", "encode_frame", "read_frame", "read_frame_fd", "FrameError"]

MAX_HEADER_BYTES = 1 << 20


class FrameError(Exception):
    """The other side closed the pipe, or sent something that is not a frame."""


def encode_frame(header: dict, blobs: Sequence[bytes] = ()) -> bytes:
    body = json.dumps({**header, "blobs": [len(b) for b in blobs]}, separators=(",", ":")).encode()
    return b"".join([struct.pack("<I", len(body)), body, *blobs])


def _split(header_bytes: bytes) -> tuple[dict, list[int]]:
    try:
        header = json.loads(header_bytes)
        lengths = [int(n) for n in header.pop("blobs")]
    except (ValueError, KeyError, TypeError) as exc:
        raise FrameError(f"bad frame header: {exc}") from None
    if not isinstance(header, dict) or any(n < 0 for n in lengths):
        raise FrameError("bad frame header")
    return header, lengths


def read_frame(stream: BinaryIO) -> tuple[dict, list[bytes]]:
    """Blocking read (the worker side)."""
    def exact(n: int) -> bytes:
        data = stream.read(n)
        if data is None or len(data) != n:
            raise FrameError("pipe closed")
        return data

    (size,) = struct.unpack("<I", exact(4))
    if size > MAX_HEADER_BYTES:
        raise FrameError("frame header too large")
    header, lengths = _split(exact(size))
    return header, [exact(n) for n in lengths]


def read_frame_fd(fd: int, deadline: float, max_blob_bytes: int) -> tuple[dict, list[bytes]]:
    """Read one frame from a pipe, giving up at ``deadline`` (time.monotonic) with TimeoutError."""
    buffer = bytearray()

    def exact(n: int) -> bytes:
        while len(buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(n - len(buffer), 1 << 20))
            if not chunk:
                raise FrameError("pipe closed")
            buffer.extend(chunk)
        data = bytes(buffer[:n])
        del buffer[:n]
        return data

    (size,) = struct.unpack("<I", exact(4))
    if size > MAX_HEADER_BYTES:
        raise FrameError("frame header too large")
    header, lengths = _split(exact(size))
    if any(n > max_blob_bytes for n in lengths):
        raise FrameError("frame blob over the cap")
    return header, [exact(n) for n in lengths]
