"""Run one command and report its wall time and peak memory (maximum resident set size
of the process and its children), as one JSON line on stdout. Standard library only.

Usage: python3 bench/measure.py [--stdout FILE] -- COMMAND [ARGS...]
With --stdout, the command's standard output is saved to FILE (so a run that prints its
results need not be repeated to capture them).
"""
import json
import os
import subprocess
import sys
import time

opts = sys.argv[1:sys.argv.index("--")] if "--" in sys.argv else []
argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
out = open(opts[opts.index("--stdout") + 1], "w") if "--stdout" in opts else None
start = time.perf_counter()
proc = subprocess.Popen(argv, stdout=out)
_, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
# ru_maxrss is in KiB on Linux.
print(json.dumps({"command": " ".join(argv), "exit": code, "wall_s": round(wall, 3), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}))
sys.exit(code)
