"""Does Spark keep whole-stage code generation for an exported query? (issue 37; a
diagnostic that prints what it finds, not a test: the sample model's query still falls back).

Runs QUERY on Spark local[2] over DATA (a CSV read as text into the view `leads`), writes
the scored leads (a `count()` would prune the projection and hide the generated code's
size), and reads `EXPLAIN CODEGEN`: every subtree's largest method, and whether Spark
gave up code generation for the plan (it logs "Whole-stage codegen disabled" and
"Code grows beyond 64 KB", then runs row at a time). Prints what it found; exits 1 when
the plan fell back, or when a method is at or over LIMIT bytes of bytecode (default
8,000, where the JVM stops compiling a method; 0 to only report it).

Usage: bench/spark_codegen.py DATA QUERY [LIMIT]   (python with pyspark and a Java runtime)
"""
import os
import re
import sys
import tempfile


def main(data, query, limit="8000"):
    from pyspark.sql import SparkSession

    log = os.path.join(tempfile.mkdtemp(prefix="codegen-"), "spark.log")
    # The JVM inherits this process's standard error when it starts: point it at a file
    # first, so that Spark's log (where a fallback is reported) can be read back.
    saved = os.dup(2)
    logf = open(log, "w")
    os.dup2(logf.fileno(), 2)
    spark = (SparkSession.builder.master("local[2]").appName("leadscore-codegen")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
             # EXPLAIN CODEGEN sees into the plan only without adaptive execution.
             .config("spark.sql.adaptive.enabled", "false")
             .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=WARN").getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    spark.read.csv(data, header=True, escape='"', multiLine=True).createOrReplaceTempView("leads")
    sql = open(query, encoding="utf-8").read()
    df = spark.sql(sql)
    plan = spark.sql("EXPLAIN CODEGEN " + sql).collect()[0][0]
    # A subtree whose generated code does not compile shows -1 (Spark then runs it row
    # at a time).
    sizes = [int(m) for m in re.findall(r"maxMethodCodeSize:(-?\d+)", plan)]
    subtrees = re.search(r"Found (\d+) WholeStageCodegen subtrees", plan)
    out = os.path.join(os.path.dirname(log), "out")
    df.write.mode("overwrite").parquet(out)
    text = open(log, encoding="utf-8", errors="replace").read()
    fell_back = "Whole-stage codegen disabled" in text or "Code grows beyond" in text or \
        "Failed to compile the generated Java code" in text or -1 in sizes
    rows = spark.read.parquet(out).count()
    spark.stop()
    os.dup2(saved, 2)
    print(f"spark: {rows} leads written; {subtrees.group(1) if subtrees else '?'} whole-stage codegen subtrees; "
          f"largest method {max(sizes) if sizes else '?'} bytes of bytecode (subtrees: {sizes}); "
          f"fallback to row-at-a-time in the log: {'yes' if fell_back else 'no'}; query {os.path.getsize(query):,} bytes")
    print("\n".join(l for l in plan.splitlines() if l.startswith("Found") or l.startswith("== Subtree")))
    if fell_back:
        print("\n".join(l for l in text.splitlines() if "codegen" in l.lower() or "grows beyond" in l)[:2000])
    limit = int(limit)
    bad = fell_back or (limit > 0 and sizes and max(sizes) >= limit)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(*sys.argv[1:])
