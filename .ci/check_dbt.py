"""The score as a dbt model (issue 37): `leadscore export-sql --dbt` writes the model, its
data tests and its unit test into a fresh dbt project on dbt-duckdb; `dbt build` must run
them all and pass, and the table it builds must equal `leadscore score`'s file for the
same leads and as-of date (probability within 1e-9; score, tier, decision and reasons
equal; the same leads with a problem).

The project reads the leads raw (every column as text, as a CSV loaded by a pipeline) in
`stg_leads`, and the as-of date comes from the var `leadscore_as_of`.

Usage: check_dbt.py BIN DBT MODEL LEADS SCORED AS_OF WORK [UNIT]
  BIN     the leadscore binary; DBT the dbt executable (with dbt-duckdb installed)
  SCORED  `leadscore score --model MODEL --data LEADS --as-of AS_OF`'s output
  WORK    an empty folder for the project
  UNIT    "unit" (the default): the unit test must be written and pass; "none": the model's
          columns are named so that dbt's unit tests cannot quote them (a name holding a
          double quote), and export-sql must say so and write the rest
"""
import json
import os
import subprocess
import sys

import duckdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_sql import check_rows  # noqa: E402  (the same comparison as the SQL step's)


def sql_string(s):
    return "'" + s.replace("'", "''") + "'"


def main(binary, dbt, model, leads, scored, as_of, work, unit="unit"):
    os.makedirs(os.path.join(work, "models"), exist_ok=True)
    with open(os.path.join(work, "dbt_project.yml"), "w") as f:
        f.write("name: leadscore_check\nversion: \"1.0\"\nconfig-version: 2\nprofile: leadscore_check\n")
    db = os.path.join(work, "leads.duckdb")
    with open(os.path.join(work, "profiles.yml"), "w") as f:
        f.write("leadscore_check:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
                f"      path: {json.dumps(db)}\n      threads: 2\n")
    with open(os.path.join(work, "models", "stg_leads.sql"), "w") as f:
        f.write(f"select * from read_csv({sql_string(os.path.abspath(leads))}, all_varchar = true, header = true)\n")
    wrote = subprocess.run([binary, "export-sql", "--model", model, "--dialect", "duckdb", "--dbt", work,
                            "--dbt-leads", leads, "--as-of", as_of], check=True, capture_output=True, text=True)
    print(wrote.stderr.strip())
    yml = open(os.path.join(work, "models", "lead_scores.yml"), encoding="utf-8").read()
    if unit == "unit":
        assert "unit_tests:" in yml and "the unit test holds 5 leads" in wrote.stderr, "export-sql --dbt wrote no unit test"
    else:
        assert "unit_tests:" not in yml and "no unit test: the column" in wrote.stderr, wrote.stderr
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false", DO_NOT_TRACK="1")
    run = subprocess.run([dbt, "build", "--profiles-dir", work, "--project-dir", work, "--no-use-colors",
                          "--vars", json.dumps({"leadscore_as_of": as_of})],
                         env=env, capture_output=True, text=True)
    print(run.stdout[-3000:])
    if run.returncode != 0:
        print(run.stderr[-3000:])
        sys.exit(f"check_dbt: dbt build failed (exit {run.returncode})")
    # Every node ran and passed: the two models, the five data tests and the unit test.
    done = [line for line in run.stdout.splitlines() if "Done. PASS=" in line]
    nodes = 8 if unit == "unit" else 7
    assert done and f"PASS={nodes} " in done[-1] and "ERROR=0" in done[-1] and "SKIP=0" in done[-1], done
    assert ("1 unit test" in run.stdout) == (unit == "unit"), "dbt ran the wrong number of unit tests"

    con = duckdb.connect(db, read_only=True)
    cur = con.execute("select * from main.lead_scores")
    names = [d[0] for d in cur.description]
    got = cur.fetchall()
    con.close()
    check_rows("dbt-duckdb (the table lead_scores)", names, got, scored)


if __name__ == "__main__":
    main(*sys.argv[1:])
