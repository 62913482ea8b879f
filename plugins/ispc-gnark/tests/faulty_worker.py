"""A protocol proxy in front of the real gnark worker that misbehaves on `prove`, for the fault
tests: ``python faulty_worker.py MODE WORKER``.

hang: never answers prove; garbage: answers prove with a non-JSON line; die: exits on prove;
slow: holds the prove reply for 3 s (time to kill it mid-proof).
"""

import json
import subprocess
import sys
import time

mode, binary = sys.argv[1], sys.argv[2]
worker = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          bufsize=1)
for line in sys.stdin:
    op = json.loads(line).get("op") if line.strip().startswith("{") else None
    if op == "prove" and mode == "hang":
        continue
    if op == "prove" and mode == "die":
        sys.exit(7)
    worker.stdin.write(line)
    worker.stdin.flush()
    reply = worker.stdout.readline()
    if op == "prove" and mode == "garbage":
        reply = "panic: this is not a protocol line\n"
    if op == "prove" and mode == "slow":
        time.sleep(3)
    sys.stdout.write(reply)
    sys.stdout.flush()
    if op == "shutdown":
        break
