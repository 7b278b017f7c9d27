"""Execute a Jupyter notebook headless from top to bottom; fail when any cell fails (issue #5)."""
import sys

import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": "notebooks"}}).execute()
cells = sum(1 for c in nb.cells if c.cell_type == "code")
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
if errors:
    print(f"notebook {path}: {len(errors)} cells failed")
    sys.exit(1)
print(f"notebook {path}: {cells} code cells ran without error")
