"""Issue 14: a scored file written back for a Danish-locale Excel (`;`, decimal commas,
UTF-8 with a byte-order mark) reads back, with polars and with Python's csv module, to
the same ids, probabilities and reasons as the same scores written plainly.

Usage: check_dialect.py DANISH.csv PLAIN.csv
"""
import csv
import sys

import polars as pl

danish, plain = sys.argv[1], sys.argv[2]
raw = open(danish, "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark"
assert raw[3:].split(b"\n", 1)[0].startswith(b"id;probability;"), raw[:60]

with open(plain, newline="", encoding="utf-8") as f:
    want = list(csv.DictReader(f))
with open(danish, newline="", encoding="utf-8-sig") as f:
    got = list(csv.DictReader(f, delimiter=";"))
assert len(want) == len(got) > 0, (len(want), len(got))


def reasons(text, mark):
    """(column = value, note, contribution) per reason; a reason on a value beyond the
    training range holds its note and "; " inside its brackets, so reasons end at ")"."""
    out = []
    for r in filter(None, text.split("); ")):
        head, inside = r.rstrip(")").rsplit(" (", 1)
        note, _, contrib = inside.rpartition("; ")
        out.append((head, note.replace(mark, "."), float(contrib.replace(mark, "."))))
    return out


for w, g in zip(want, got):
    assert w["id"] == g["id"]
    assert float(w["probability"]) == float(g["probability"].replace(",", "."))
    assert reasons(w["reasons"], ".") == reasons(g["reasons"], ","), (w["reasons"], g["reasons"])
assert any("Ærø" in g["reasons"] for g in got), "the Danish letters survive"

df = pl.read_csv(danish, separator=";", decimal_comma=True)
ref = pl.read_csv(plain)
assert df["id"].to_list() == ref["id"].to_list()
assert df["probability"].dtype == pl.Float64, df["probability"].dtype
assert df["probability"].to_list() == ref["probability"].to_list()
print(f"dialect: {len(got)} rows read back equal by Python's csv and polars {pl.__version__}")
