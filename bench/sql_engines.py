"""Score a CSV of leads with an exported query on one engine, writing the scores to a
file (issue 15's benchmark; run by bench/warehouse.sh under bench/measure.py).

Usage: python3 bench/sql_engines.py duckdb|spark LEADS.csv QUERY.sql OUT
The leads are read as text, straight from the CSV file (DuckDB's read_csv, Spark's CSV
reader), as the engines would read a raw export; the scores are written as CSV (DuckDB)
or as a folder of CSV parts (Spark). Prints the number of leads scored.
"""
import sys

engine, leads, query, out = sys.argv[1:5]
sql = open(query, encoding="utf-8").read()
if engine == "duckdb":
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE VIEW leads AS SELECT * FROM read_csv('{leads}', all_varchar = true, header = true)")
    con.execute(f"COPY ({sql}) TO '{out}' (HEADER, DELIMITER ',')")
    print(con.execute(f"SELECT COUNT(*) FROM read_csv('{out}')").fetchone()[0])
elif engine == "spark":
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("leadscore-bench")
             .config("spark.ui.enabled", "false").config("spark.driver.memory", "4g")
             .config("spark.sql.codegen.wholeStage", "false").config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.csv(leads, header=True, inferSchema=False, multiLine=False, escape='"').createOrReplaceTempView("leads")
    spark.sql(sql).write.mode("overwrite").option("header", True).csv(out)
    print(spark.read.csv(out, header=True).count())
else:
    sys.exit(__doc__)
