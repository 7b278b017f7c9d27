"""Check the demo report as a person would see it (issue #5).

Reads what headless Chromium produced for the report: the DOM it loaded, its log, and a
screenshot. Fails when the page did not load, logged a console message (the report has
no script, so any is an error), a chart is missing, or the screenshot is blank.
"""
import re
import sys

from PIL import Image

dom_path, log_path, png_path, min_charts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# The page's heading: the model report by default; the monitoring page passes its own.
heading = sys.argv[5] if len(sys.argv) > 5 else "Lead-scoring model report"
# Further headings the page must show (the report's effect curves, issue 18).
required = sys.argv[6:]
dom = open(dom_path, encoding="utf-8", errors="replace").read()
log = open(log_path, encoding="utf-8", errors="replace").read()
problems = []
if heading not in dom:
    problems.append(f"the page did not load (no {heading!r} heading in the DOM)")
for h in required:
    if h not in dom:
        problems.append(f"no {h!r} section in the DOM")
charts = len(re.findall(r"<svg\b", dom))
if charts < min_charts:
    problems.append(f"{charts} charts in the DOM, expected at least {min_charts}")
console = [l for l in log.splitlines() if ":CONSOLE" in l or "Uncaught" in l]
if console:
    problems.append("console messages:\n  " + "\n  ".join(console))
im = Image.open(png_path).convert("L")
w, h = im.size
hist = im.histogram()
non_white = sum(hist[:245]) / (w * h)
if non_white < 0.03:
    problems.append(f"the screenshot is blank ({non_white:.1%} non-white pixels)")
print(f"{heading}:  {charts} charts in the DOM, screenshot {w}x{h} with {non_white:.1%} non-white pixels, {len(console)} console messages")
if problems:
    print("REPORT CHECK FAILED:\n- " + "\n- ".join(problems))
    sys.exit(1)
