"""Issue 15: the exported SQL scores as `leadscore score` does, on a real engine.

  check_sql.py messy IN.csv OUT.csv SEED
      The contacts of IN with messy cells, as CRM exports have them: padding (spaces,
      tabs, no-break spaces), placeholders (Select, N/A, Vælg, ...), upper and mixed case,
      empty cells, yes/no spellings, dates with a time. Deterministic per SEED.
  check_sql.py hostile IN.csv OUT.csv
      IN with a column renamed `x"); DROP TABLE leads; --` and levels holding quotes, a
      backslash, `$$` and a newline: names and values the SQL must quote, not run.
  check_sql.py whitespace IN.csv OUT.csv SEED
      IN with every cell but the id padded at both ends with 0 to 3 characters drawn from
      every kind of white space Rust's `str::trim` removes (Unicode White_Space: tab,
      line breaks, no-break and ideographic spaces, U+2000..U+200A, ...), so that the
      query's trimming is checked against leadscore's on each of them (issue 37).
  check_sql.py typed IN.csv OUT.parquet
      IN with its columns typed as DuckDB infers them, as Parquet.
  check_sql.py local IN.csv OUT.csv danish|us SEED
      IN with numbers and dates in a locale's Excel formats and a decimal `revenue`
      column (see local()).
  check_sql.py bad IN.csv OUT.csv
      IN with five cells leadscore cannot read (text in a number, an impossible date, a
      word in a yes/no column, an infinite number, a day-first date in an ISO column).
  check_sql.py compare ENGINE DATA.csv QUERY.sql SCORED.csv [EVENTS.csv [AS_OF]]
      Load DATA as text into table `leads` (and EVENTS into `events`) on ENGINE (duckdb;
      duckdb-typed: the columns typed as DuckDB infers them;
      postgres: the local server's database `leadscore`; spark: local mode), run QUERY
      (binding AS_OF as its as-of parameter when given), and compare with SCORED
      (leadscore score's output): probabilities within 1e-9, every score, tier and
      decision equal, the reasons' text identical; leads leadscore set aside must have a
      problem. Prints the largest difference.
  check_sql.py parse DIALECT QUERY.sql [NAME...]
      Parse QUERY with sqlglot's grammar for DIALECT (bigquery, snowflake: engines CI
      cannot run): one SELECT that reads only `leads` (and `events`), each NAME read
      back as an identifier.
"""
import csv
import os
import random
import sys


def messy(src, dst, seed):
    rng = random.Random(int(seed))
    pads = [" ", "  ", "\t", "\u00a0", " \u00a0"]
    placeholders = ["Select", "N/A", "n/a", "unknown", "-", "Vælg", "NULL", ""]
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    flags = {i for i, h in enumerate(header) if h in ("demo_requested",)}
    dates = {i for i, h in enumerate(header) if h.endswith("_date")}
    out = [header]
    for r in body:
        r = list(r)
        for i, v in enumerate(r):
            if i == 0:
                continue
            u = rng.random()
            if u < 0.04:
                v = rng.choice(placeholders)
            elif u < 0.10 and v:
                v = rng.choice(pads) + v + rng.choice(pads)
            elif u < 0.14 and v:
                v = v.upper() if rng.random() < 0.5 else v.title()
            if i in flags and v.strip().lower() in ("yes", "no") and rng.random() < 0.3:
                v = {"yes": rng.choice(["Y", "true", "1", "ja"]), "no": rng.choice(["N", "false", "0", "nej"])}[v.strip().lower()]
            if i in dates and len(v) == 10 and rng.random() < 0.2:
                v = v + rng.choice([" 09:30:00", "T14:05:00Z", "T00:00:00"])
            r[i] = v
        out.append(r)
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(out)


def unseen(path, column, value, every):
    """Rewrite PATH in place with every EVERY-th lead's COLUMN set to VALUE (a segment
    the model never saw)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    i = rows[0].index(column)
    for k, r in enumerate(rows[1:]):
        if k % int(every) == 7:
            r[i] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def local(src, dst, style, seed):
    """IN with numbers and dates as Excel writes them in a locale (STYLE danish:
    `1.234`, `12.345,67 kr.`, `24-04-2026`; us: `1,234`, `$12,345.67`, `04/24/2026`),
    and a decimal `revenue` column, written as UTF-8 with `,` (so every engine loads it
    as it is; leadscore reads the same cells)."""
    rng = random.Random(int(seed))
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0] + ["revenue"]
    ix = {c: i for i, c in enumerate(header)}
    dates = [i for i, h in enumerate(header) if h.endswith("_date")]

    def grouped(n, sep):
        return f"{n:,}".replace(",", sep)

    out = [header]
    for r in rows[1:]:
        r = list(r)
        emp = r[ix["employees"]].strip()
        rev = None
        if emp.isdigit():
            n = int(emp)
            rev = round(n * rng.uniform(80, 160) + rng.random(), 2)
            r[ix["employees"]] = grouped(n, "." if style == "danish" else ",") if rng.random() < 0.7 else emp
        for i in dates:
            v = r[i]
            if len(v) >= 10 and v[4] == "-":
                y, m, d = v[:4], v[5:7], v[8:10]
                if style == "danish":
                    v = f"{d}{rng.choice(['-', '.'])}{m}{'-' if rng.random() < 0.5 else '.'}{y}".replace("-.", "--")
                    v = f"{d}-{m}-{y}" if v.count("-") == 1 else v
                else:
                    v = f"{m}/{d}/{y}" if rng.random() < 0.8 else f"{int(m)}/{int(d)}/{y}"
            r[i] = v
        if rev is None:
            r.append(rng.choice(["", "N/A"]))
        elif style == "danish":
            whole, frac = f"{rev:.2f}".split(".")
            txt = grouped(int(whole), ".") + "," + frac
            r.append(rng.choice([txt, txt + " kr.", "kr " + txt, "-" + txt if rng.random() < 0.05 else txt]))
        else:
            txt = f"{rev:,.2f}"
            r.append(rng.choice([txt, "$" + txt, txt + " USD", "-$" + txt if rng.random() < 0.05 else txt]))
        if int(seed) % 2 == 0 and rng.random() < 0.003:
            # A cell the format's rules refuse: a misplaced separator, a second mark, a
            # sign on both sides, a day that does not exist.
            bad = {"danish": ["12.34,5", "1,234,5", "-kr -12", "31-02-2025", "1.2345"],
                   "us": ["12,34.5", "1.234.5", "$-12$", "02/30/2025", "1,2345"]}[style]
            v = rng.choice(bad)
            r[dates[0] if "-" in v[2:3] or "/" in v[2:3] else len(r) - 1] = v
        out.append(r)
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(out)


HOSTILE_COLUMN = 'x"); DROP TABLE leads; --'
# France: what Jinja would read in a dbt model ({{ }}, {% %}, {# #}), which --dbt must keep literal.
HOSTILE_LEVELS = {"Germany": "O'Brien \"quoted\" \\ back $$dollar$$", "India": "new\nline; DROP TABLE leads",
                  "France": "{{ 7 * 7 }} {% if true %}x{% endif %} {# note #}"}


def hostile(src, dst):
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = [HOSTILE_COLUMN if h == "industry" else h for h in rows[0]]
    body = [[HOSTILE_LEVELS.get(v, v) for v in r] for r in rows[1:]]
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header] + body)


WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + \
    "\u2028\u2029\u202f\u205f\u3000"


def whitespace(src, dst, seed):
    rng = random.Random(int(seed))
    pad = lambda: "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(0, 3)))
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    body = [[r[0]] + [pad() + v + pad() if v else v for v in r[1:]] for r in rows[1:]]
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([rows[0]] + body)


def bad(src, dst):
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    ix = {c: i for i, c in enumerate(rows[0])}
    for row, col, value in [(5, "employees", "lots"), (9, "created_date", "2024-02-30"),
                            (11, "demo_requested", "maybe"), (13, "website_visits", "inf"),
                            (15, "last_activity_date", "31/12/2024")]:
        rows[row][ix[col]] = value
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def connect(engine, data):
    """A connection with `data` loaded as text into table `leads`."""
    if engine in ("duckdb", "duckdb-typed"):
        import duckdb

        con = duckdb.connect()
        # duckdb-typed: the columns typed as DuckDB infers them (BIGINT, DATE, ...), as a
        # table loaded by a pipeline rather than raw; the query casts them to text.
        if data.endswith(".parquet"):
            con.execute("CREATE TABLE leads AS SELECT * FROM read_parquet(?)", [data])
        else:
            typed = "" if engine == "duckdb-typed" else "all_varchar = true, "
            con.execute(f"CREATE TABLE leads AS SELECT * FROM read_csv(?, {typed}header = true)", [data])
        if engine == "duckdb-typed":
            types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                     "WHERE table_name = 'leads'").fetchall())
            print("duckdb-typed: column types " + ", ".join(sorted(set(types.values()))))
        return con
    if engine == "postgres":
        import psycopg

        # The local server .ci/run started, over its Unix socket (no network).
        # A statement that runs away is stopped by the server, not left holding locks.
        con = psycopg.connect(dbname="leadscore", autocommit=True, options="-c statement_timeout=900000")
        pg_load(con, "leads", data)
        return con
    sys.exit(f"unknown engine {engine}")


def pg_load(con, table, path):
    """The CSV file `path` as PostgreSQL table `table` (replaced), every column text."""
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    quoted = ", ".join('"' + h.replace('"', '""') + '" TEXT' for h in header)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} ({quoted})")
    with con.cursor().copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as cp, open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            cp.write(chunk)


def typed(src, dst):
    """SRC (a CSV) as a Parquet file with the column types DuckDB infers (BIGINT, DATE,
    BOOLEAN, ...): a typed table, for leadscore and the engine to read alike."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_csv(?, header = true)) TO '{dst}' (FORMAT parquet)", [src])


def spark_session():
    """Spark in local mode on this machine's cores, quiet, no web UI."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[2]").appName("leadscore-ci")
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", "3g").config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.codegen.wholeStage", "false")
            .getOrCreate())


def spark_table(spark, data, name):
    """`data` (a CSV) as a temporary view of text columns, read as RFC 4180."""
    df = spark.read.csv(data, header=True, inferSchema=False, multiLine=True, escape='"', encoding="UTF-8")
    df.createOrReplaceTempView(name)
    return df


def run(engine, data, query, events=None, params=None):
    """Run `query` on ENGINE with `data` as table `leads` (and `events` as `events`):
    the result's column names, its rows, and the row count of `leads` afterwards."""
    sql = open(query, encoding="utf-8").read()
    if engine == "spark":
        spark = spark_session()
        spark.sparkContext.setLogLevel("ERROR")
        spark_table(spark, data, "leads")
        if events:
            spark_table(spark, events, "events")
        df = spark.sql(sql, args=params) if params else spark.sql(sql)
        rows = [tuple(r) for r in df.collect()]
        return df.columns, rows, spark.table("leads").count()
    con = connect(engine, data)
    if events:
        load_events(engine, con, events)
    cur = con.cursor()
    if params and engine.startswith("duckdb"):
        cur.execute(sql, params)
    elif params and engine == "postgres":
        cur.execute("PREPARE q(date) AS " + sql)
        import datetime

        day = datetime.date.fromisoformat(params["as_of"])  # a date, written back as a literal
        cur.execute(f"EXECUTE q(DATE '{day.isoformat()}')")
    else:
        cur.execute(sql)
    rows = cur.fetchall()
    names = [c[0] for c in cur.description]
    cur.execute("SELECT COUNT(*) FROM leads")
    return names, rows, cur.fetchone()[0]


def load_events(engine, con, events):
    if engine.startswith("duckdb"):
        con.execute("CREATE TABLE events AS SELECT * FROM read_csv(?, all_varchar = true, header = true)", [events])
    else:
        pg_load(con, "events", events)


def beyond(src, dst, limit=None):
    """Every 7th lead with numbers and dates far beyond what training saw (issue 36: they
    score as the training range's edge, and the reason says so): a headcount of 1e9, a
    negative one, a visit count of 100,000, a date in 1990 and one in 2031. With `limit`,
    the first that many leads only."""
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if limit is not None:
        rows = rows[: int(limit) + 1]
    ix = {c: i for i, c in enumerate(rows[0])}
    changes = [("employees", "1000000000"), ("employees", "-3"), ("website_visits", "100000"),
               ("created_date", "1990-01-01"), ("last_activity_date", "2031-01-01"), ("pricing_page_views", "1e6")]
    for k, row in enumerate(rows[1:]):
        if k % 7 == 0:
            col, value = changes[(k // 7) % len(changes)]
            row[ix[col]] = value
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


def compare(engine, data, query, scored, events=None, as_of_param=None):
    params = {"as_of": as_of_param} if as_of_param else None
    names, got, count = run(engine, data, query, events or None, params)
    check_rows(engine, names, got, scored, beyond=os.path.basename(data).startswith("beyond"))
    # The query only selects: the table is still there, whole.
    assert count == len(got), f"the leads table has {count} rows after the query, not {len(got)}"


def check_rows(engine, names, got, scored, beyond=False):
    """The rows an engine returned (`names`, `got`: the id first) against `leadscore
    score`'s file SCORED: every lead leadscore scored is there, within 1e-9, with the same
    score, tier, decision and reasons; every lead it set aside has a problem. Also used by
    check_dbt.py on the table `dbt build` wrote."""
    with open(scored, newline="", encoding="utf-8-sig") as f:
        rd = csv.reader(f)
        head = next(rd)
        want = {r[0]: r for r in rd}
    reasons_at = head.index("reasons") if "reasons" in head else None
    worst, mismatched, problems, reasons_differ, notes = 0.0, 0, 0, 0, 0
    for row in got:
        lead = dict(zip(names, row))
        key = row[0]
        if lead["problem"] is not None:
            problems += 1
            assert key not in want, f"{key}: SQL says {lead['problem']!r} but leadscore scored it"
            continue
        w = want.pop(key, None)
        assert w is not None, f"{key}: the SQL scored a lead leadscore set aside or never saw"
        worst = max(worst, abs(float(w[1]) - lead["probability"]))
        if int(w[2]) != lead["score"] or w[3] != lead["tier"] or (w[4] == "true") != lead["decision"]:
            mismatched += 1
            if mismatched <= 5:
                print("mismatch", w[:5], row[:5])
        if reasons_at is not None and (lead.get("reasons") or "") != w[reasons_at]:
            reasons_differ += 1
            if reasons_differ <= 5:
                print(f"reasons differ for {key}:\n  leadscore: {w[reasons_at]}\n  SQL:       {lead.get('reasons')}")
        notes += "seen in training" in (lead.get("reasons") or "")
    assert not want, f"{len(want)} leads scored by leadscore are missing from the SQL output"
    print(f"{engine}: {len(got)} leads, {problems} with a problem; largest |probability difference| {worst:.3e}; "
          f"score, tier or decision different: {mismatched}; reasons compared: {reasons_at is not None}, "
          f"different: {reasons_differ}; reasons on a value beyond training: {notes}")
    if beyond:
        assert notes > 0, "no reason says a value lay beyond training"
    assert worst <= 1e-9 and mismatched == 0 and reasons_differ == 0


def batch(jobs_file):
    """Run the `compare` jobs listed in JOBS_FILE (one per line: the arguments of
    `compare`) in this one process, so that Spark's session, a JVM start per job when each
    ran alone, is made once and reused (its views replaced job by job). Every job runs;
    the failures are listed at the end."""
    import traceback

    failed = []
    for line in open(jobs_file, encoding="utf-8"):
        args = line.split()
        if not args:
            continue
        print(f"-- compare {' '.join(args)}", flush=True)
        try:
            compare(*args)
        except Exception as e:  # a failed job is reported, and the others still run
            traceback.print_exc()
            failed.append(f"compare {' '.join(args)}: {e!r}")
    if failed:
        sys.exit("check_sql: failed:\n" + "\n".join(failed))


def parse(dialect, query, *expect_names):
    """Parse QUERY with sqlglot's DIALECT grammar (an independent parser): one
    statement, a SELECT (or CREATE VIEW ... AS SELECT) with no other statement kind
    anywhere in it; each of EXPECT_NAMES (hostile column names) must come back as an
    identifier, and `leads` must be the only table read besides the query's own CTEs
    (and `events`)."""
    import sqlglot
    from sqlglot import exp

    sql = open(query, encoding="utf-8").read()
    trees = [t for t in sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE) if t is not None]
    assert len(trees) == 1, f"{len(trees)} statements"
    tree = trees[0]
    assert isinstance(tree, (exp.Select, exp.Create)), type(tree).__name__
    for bad in (exp.Drop, exp.Delete, exp.Insert, exp.Update, exp.Command, exp.Alter):
        assert not list(tree.find_all(bad)), f"a {bad.__name__} in the query"
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    tables = {t.name for t in tree.find_all(exp.Table)} - ctes
    assert tables <= {"leads", "events"}, tables
    idents = {i.name for i in tree.find_all(exp.Identifier)}
    strings = {s.this for s in tree.find_all(exp.Literal) if s.is_string}
    for n in expect_names:
        assert n in idents, f"{n!r} is not read back as an identifier"
    if expect_names:
        # The hostile levels, as the model stores them (lower case), read back whole.
        for level in HOSTILE_LEVELS.values():
            assert level.lower() in strings, f"{level.lower()!r} is not read back as a string literal"
    print(f"{dialect}: parsed by sqlglot {sqlglot.__version__}: one {type(tree).__name__}, tables {sorted(tables)}, "
          f"{len(ctes)} CTEs, {len(sql):,} characters")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "messy":
        messy(*sys.argv[2:5])
    elif cmd == "unseen":
        unseen(*sys.argv[2:6])
    elif cmd == "typed":
        typed(*sys.argv[2:4])
    elif cmd == "local":
        local(*sys.argv[2:6])
    elif cmd == "beyond":
        beyond(*sys.argv[2:5])
    elif cmd == "bad":
        bad(*sys.argv[2:4])
    elif cmd == "whitespace":
        whitespace(*sys.argv[2:5])
    elif cmd == "hostile":
        hostile(*sys.argv[2:4])
    elif cmd == "parse":
        parse(*sys.argv[2:])
    elif cmd == "compare":
        compare(*sys.argv[2:])
    elif cmd == "batch":
        batch(sys.argv[2])
    else:
        sys.exit(__doc__)
