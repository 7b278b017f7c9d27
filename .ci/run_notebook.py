"""Execute a Jupyter notebook headless from top to bottom (issue 5), and check that the
figures it prints are the ones committed with it (issue 35).

Usage: python .ci/run_notebook.py NOTEBOOK [--write]
  Runs the notebook's cells in a fresh kernel (in notebooks/, as Jupyter would); fails
  when a cell fails, when a chart cell shows no image, or when a cell's text output
  (printed lines, tables) differs from the committed output. --write stores the fresh
  outputs in the notebook instead (do it, and commit, when the notebook changes).
"""
import copy
import sys

import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
write = "--write" in sys.argv[2:]
committed = nbformat.read(path, as_version=4)
nb = copy.deepcopy(committed)
for c in nb.cells:
    if c.cell_type == "code":
        c.outputs, c.execution_count = [], None
NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": "notebooks"}}).execute()
code = [c for c in nb.cells if c.cell_type == "code"]
errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
if errors:
    for e in errors:
        print("\n".join(e.get("traceback", [])))
    sys.exit(f"notebook {path}: {len(errors)} cells failed")


def text_of(cell):
    """A cell's text outputs: printed lines and plain-text results, not images."""
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(o.get("text", ""))
        elif "data" in o:
            out.append(o["data"].get("text/plain", ""))
    return "".join(out)


charts = sum(1 for c in code if "plt.show()" in c.source)
images = sum(1 for c in code for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
if images < charts:
    sys.exit(f"notebook {path}: {charts} cells draw a chart but only {images} images were shown (is %matplotlib inline set?)")
if write:
    nbformat.write(nb, path)
    print(f"notebook {path}: {len(code)} code cells ran, {images} charts; outputs written into it")
    sys.exit(0)
old = [c for c in committed.cells if c.cell_type == "code"]
differ = [i for i, (a, b) in enumerate(zip(old, code)) if text_of(a) != text_of(b)]
if len(old) != len(code) or not any(text_of(c) for c in old):
    sys.exit(f"notebook {path}: its committed outputs are missing; run .ci/run_notebook.py {path} --write and commit")
for i in differ:
    print(f"code cell {i + 1} printed:\n{text_of(code[i])}\nbut the committed notebook shows:\n{text_of(old[i])}")
if differ:
    sys.exit(f"notebook {path}: {len(differ)} cells print other figures than the committed outputs")
print(f"notebook {path}: {len(code)} code cells ran without error, {images} charts; every printed figure as committed")
