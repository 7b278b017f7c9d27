"""Where DuckDB spends on an exported query (issue 37). Prints figures; not a test.

Loads DATA (a CSV) as text into the table `leads`, then times the query materialised at
each of its layers (`CREATE TABLE AS SELECT * FROM layer`: the time to reach that layer,
cumulative; the best of 2), and the whole query. With OTHER (another export of the same
model, e.g. by an older build), times both whole queries in turn, 3 rounds, and compares
their probabilities.

Usage: bench/duckdb_layers.py DATA QUERY [OTHER]   (python with duckdb)
"""
import re
import sys
import time

import duckdb


def whole(con, name, q):
    t = time.time()
    con.execute(f"CREATE OR REPLACE TABLE out_{name} AS {q}")
    return time.time() - t


def main(data, query, other=None):
    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT * FROM read_csv(?, all_varchar = true, header = true)", [data])
    n = con.execute("SELECT count(*) FROM leads").fetchone()[0]
    q = open(query, encoding="utf-8").read().rstrip().rstrip(";")
    body = q[q.index("WITH "):q.rindex("\nSELECT ")]
    layers = re.findall(r"(?m)^(?:WITH )?([a-z_0-9]+) AS \(", body)
    print(f"{n:,} leads; {query}: {len(q):,} bytes, {len(layers)} layers")
    for name in layers:
        if name == "params" or (name.startswith("pick") and name != layers[-3]):
            continue
        best = min(whole(con, "layer", f"{body}\nSELECT * FROM {name}") for _ in range(2))
        print(f"  to {name:>14}: {best:6.2f} s")
    print(f"  the whole query: {min(whole(con, 'new', q) for _ in range(2)):6.2f} s")
    if other:
        o = open(other, encoding="utf-8").read().rstrip().rstrip(";")
        times = {"this": [], "other": []}
        for _ in range(3):
            times["this"].append(whole(con, "new", q))
            times["other"].append(whole(con, "old", o))
        med = {k: sorted(v)[1] for k, v in times.items()}
        idc = con.execute("SELECT * FROM out_new LIMIT 0").description[0][0].replace('"', '""')
        differ = con.execute(f'SELECT count(*) FROM out_new a JOIN out_old b USING ("{idc}") '
                             "WHERE a.probability IS DISTINCT FROM b.probability").fetchone()[0]
        print(f"  against {other} ({len(o):,} bytes): this {med['this']:.2f} s, other {med['other']:.2f} s "
              f"(medians of 3: {[round(x, 2) for x in times['this']]}, {[round(x, 2) for x in times['other']]}); "
              f"other / this {med['other'] / med['this']:.2f}; leads whose probability differs: {differ}")


if __name__ == "__main__":
    main(*sys.argv[1:])
