"""A trace sink writing one file per trace: ``NNNNNNNN.json``, written to a temporary name and
renamed, so a reader never sees half a trace and the order survives restarts."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ispc_framework.plugins import StoredTrace, from_json, to_json


class DirectorySink:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.dir = Path(settings.get("dir") or "acme-traces")
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, summary: dict[str, Any], trace: Any) -> None:
        body = json.dumps({"summary": summary, "header": trace.header.hex(),
                           "root": trace.root.hex(),
                           "records": [to_json(r) for r in trace.records]}, sort_keys=True)
        with self._lock:
            number = len(list(self.dir.glob("*.json")))
            final = self.dir / f"{number:08d}.json"
            temporary = final.with_suffix(".tmp")
            temporary.write_text(body)
            os.replace(temporary, final)

    def read(self) -> list[StoredTrace]:
        out = []
        for path in sorted(self.dir.glob("*.json")):
            data = json.loads(path.read_text())
            out.append(StoredTrace(data["summary"], bytes.fromhex(data["header"]),
                                   tuple(from_json(r) for r in data["records"]),
                                   bytes.fromhex(data["root"])))
        return out

    def close(self) -> None:
        pass
