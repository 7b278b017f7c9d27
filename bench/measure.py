"""Run one command and report its wall time and peak memory (maximum resident set size
of the process and its children), as one JSON line on stdout. Standard library only.

Usage: python3 bench/measure.py -- COMMAND [ARGS...]
"""
import json
import os
import subprocess
import sys
import time

argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
start = time.perf_counter()
proc = subprocess.Popen(argv)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
# ru_maxrss is in KiB on Linux.
print(json.dumps({"command": " ".join(argv), "exit": code, "wall_s": round(wall, 3), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}))
sys.exit(code)
