"""Trimming a text cell in SQL: the regular expression against the engine's own trim with
the set of white-space characters Rust's `str::trim` removes (issue 37). Prints the wall
time of writing 6 text columns, each form in turn, twice (the second round counts: the
first warms the engine), with the untouched columns as the floor. Not a test.

Usage: python bench/trim.py duckdb|postgres|spark LEADS.csv [ROWS]
  postgres: the local server's database `leadscore` (as .ci/run starts it);
  spark: local[2], pyspark as .ci/run installs it.
"""
import csv
import sys
import time

engine, data = sys.argv[1], sys.argv[2]
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
COLS = ["job_title", "industry", "country", "lead_source", "email", "employees"]
WS = [9, 10, 11, 12, 13, 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
CLASS = {
    "duckdb": r"[\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]",
    "spark": r"[\\t\\n\\x{0B}\\f\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}]",
    "postgres": r"[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
}[engine]
FORMS = {
    "duckdb": {"regexp": f"regexp_replace(@, '^{CLASS}+|{CLASS}+$', '', 'g')",
               "trim": "trim(@, " + " || ".join(f"chr({c})" for c in WS) + ")"},
    "postgres": {"regexp": f"regexp_replace(@, '^{CLASS}+|{CLASS}+$', '', 'g')",
                 "trim": "btrim(@, U&'" + "".join(f"\\{c:04X}" for c in WS) + "')"},
    "spark": {"regexp": f"REGEXP_REPLACE(@, '^{CLASS}+|{CLASS}+$', '')",
              "trim": "trim(BOTH '" + "".join(f"\\u{c:04X}" for c in WS) + "' FROM @)"},
}[engine]
FORMS["none"] = "@"


def exprs(form, quote):
    return [form.replace("@", quote(c)) + f" AS a{i}" for i, c in enumerate(COLS)]


def select(form, quote):
    return ", ".join(exprs(form, quote))


def timed(label, run):
    t = time.time()
    run()
    return label, time.time() - t


out = []
if engine == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT {', '.join(COLS)} FROM read_csv('{data}', all_varchar=true, header=true) "
                f"LIMIT {rows}")
    for rep in range(2):
        for k, f in FORMS.items():
            out.append((rep, *timed(k, lambda: con.execute(f"CREATE OR REPLACE TABLE o AS SELECT {select(f, lambda c: c)} FROM t"))))
elif engine == "postgres":
    import psycopg
    con = psycopg.connect("dbname=leadscore", autocommit=True)
    cur = con.cursor()
    cur.execute("DROP TABLE IF EXISTS trim_bench")
    cur.execute("CREATE TABLE trim_bench (" + ", ".join(f"{c} text" for c in COLS) + ")")
    with open(data, newline="", encoding="utf-8") as fh, cur.copy("COPY trim_bench FROM STDIN") as cp:
        for i, row in enumerate(csv.DictReader(fh)):
            if i >= rows:
                break
            cp.write_row([row[c] for c in COLS])
    for rep in range(2):
        for k, f in FORMS.items():
            def run(f=f):
                cur.execute("DROP TABLE IF EXISTS trim_out")
                cur.execute(f"CREATE TABLE trim_out AS SELECT {select(f, lambda c: c)} FROM trim_bench")
            out.append((rep, *timed(k, run)))
    cur.execute("DROP TABLE IF EXISTS trim_bench")
    cur.execute("DROP TABLE IF EXISTS trim_out")
else:
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.option("header", True).csv(data).select(*COLS).limit(rows).cache()
    df.count()
    for rep in range(2):
        for k, f in FORMS.items():
            out.append((rep, *timed(k, lambda: df.selectExpr(*exprs(f, lambda c: f"`{c}`"))
                                    .write.format("noop").mode("overwrite").save())))
last = {k: s for rep, k, s in out if rep == 1}
print(f"{engine}, {rows:,} rows x {len(COLS)} text columns: regexp {last['regexp']:.2f} s, trim {last['trim']:.2f} s, "
      f"untouched {last['none']:.2f} s; trim / regexp {last['trim'] / last['regexp']:.2f}")
