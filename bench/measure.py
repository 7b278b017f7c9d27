"""Run one command and report its wall time and peak memory (maximum resident set size
of the process and its children), as one JSON line on stdout. Standard library only.

Usage: python3 bench/measure.py [--stdout FILE] [--tree] -- COMMAND [ARGS...]
With --stdout, the command's standard output is saved to FILE (so a run that prints its
results need not be repeated to capture them). With --tree, the peak is the largest sum
of the resident memory of the command and all its descendants, sampled every 0.1 s from
/proc (for commands whose work runs in a process they do not wait for, such as the Java
process behind pyspark); without it, the kernel's ru_maxrss of the command.
"""
import json
import os
import subprocess
import sys
import time

opts = sys.argv[1:sys.argv.index("--")] if "--" in sys.argv else []
argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
out = open(opts[opts.index("--stdout") + 1], "w") if "--stdout" in opts else None


def tree_rss_kib(root):
    """The resident memory of `root` and its descendants, in KiB (from /proc)."""
    children, rss = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/status") as f:
                kib = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(pid))
        rss[int(pid)] = kib
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


start = time.perf_counter()
proc = subprocess.Popen(argv, stdout=out)
peak = 0
if "--tree" in opts:
    while proc.poll() is None:
        peak = max(peak, tree_rss_kib(proc.pid))
        time.sleep(0.1)
    status = proc.returncode
    wall = time.perf_counter() - start
    code = status
else:
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    peak = usage.ru_maxrss  # KiB on Linux
print(json.dumps({"command": " ".join(argv), "exit": code, "wall_s": round(wall, 3), "peak_rss_mib": round(peak / 1024, 1)}))
sys.exit(code)
