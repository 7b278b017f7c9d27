"""Every shell example in README.md and docs/*.md, run (issue 27), so that the
documentation cannot drift from the program.

Each ```sh block runs in bash (-e, -o pipefail) with `leadscore` on the PATH (the build
named by the first argument). The blocks of one Markdown file run in order in one
scratch folder of their own, so a later example can use the model an earlier one wrote.
The folder holds a copy of `data/` and the file names the examples use, made from the
sample data (see STAND_INS), and `../shared` beside it when the project has one, so
that an example written for the repository's root runs as it is.

A ```text block right after a ```sh block is that example's output, abbreviated: each of
its lines (spaces squeezed, "..." lines skipped) must appear in what the example printed.

A ```python block runs with the Python named by LEADSCORE_DOCS_PYTHON (one with the
leadscore wheel installed), in the same folder; without it, Python blocks are left out.

A block preceded by `<!-- not run: REASON -->` is not run; the reason is printed. A block
that names `../shared/data` is skipped, with that reason, where the folder is absent.

Usage: python3 .ci/check_docs.py path/to/leadscore [FILE.md ...]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

root = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
binary = os.path.abspath(sys.argv[1])
docs = sys.argv[2:] or ["README.md"] + sorted(
    os.path.join("docs", f) for f in os.listdir(os.path.join(root, "docs")) if f.endswith(".md"))

# File names the examples use, and what stands in for them (a copy of a sample file, or
# a command that makes it). Documented in docs/guide.md.
STAND_INS = {
    "leads.csv": "data/sample_leads.csv",
    "new_leads.csv": "data/new_leads.csv",
    "today.csv": "data/new_leads.csv",
    "this_week.csv": "data/new_leads.csv",
    "holdout.csv": "data/holdout_leads.csv",
    "rules.toml": "data/sample_rules.toml",
    "contacts.csv": ["synth", "--rows", "3000", "--seed", "21", "--events", "activity.csv", "--output",
                     "contacts.csv", "-q"],
    "new_contacts.csv": ["synth", "--rows", "1000", "--seed", "22", "--no-outcome", "--events", "new_activity.csv",
                         "--output", "new_contacts.csv", "-q"],
}

BLOCK = re.compile(r"(?:<!--\s*not run:\s*(?P<reason>.*?)\s*-->\s*\n)?```(?P<lang>\w*)\n(?P<body>.*?)```\n?"
                   r"(?:\s*```text\n(?P<expect>.*?)```)?", re.S)


def squeeze(s):
    return " ".join(s.split())


def workplace():
    base = tempfile.mkdtemp(prefix="leadscore-docs-")
    place = os.path.join(base, "project")
    os.makedirs(place)
    shutil.copytree(os.path.join(root, "data"), os.path.join(place, "data"))
    shared = os.path.join(root, "..", "shared")
    if os.path.isdir(shared):
        os.symlink(os.path.abspath(shared), os.path.join(base, "shared"))
    bindir = os.path.join(base, "bin")
    os.makedirs(bindir)
    os.symlink(binary, os.path.join(bindir, "leadscore"))
    for name, source in STAND_INS.items():
        if isinstance(source, str):
            shutil.copy(os.path.join(place, source), os.path.join(place, name))
        else:
            subprocess.run([binary] + source, cwd=place, check=True)
    return base, place, bindir


# LEADSCORE_DOCS_PYTHON: a Python with the leadscore wheel installed; the ```python
# examples run with it (without it they are left out: the wheel is built later in CI).
# LEADSCORE_DOCS_ONLY=python runs those alone.
python = os.environ.get("LEADSCORE_DOCS_PYTHON")
only_python = os.environ.get("LEADSCORE_DOCS_ONLY") == "python"


def main():
    env_shared = os.path.isdir(os.path.join(root, "..", "shared", "data"))
    ran = skipped = 0
    failed = []
    for doc in docs:
        text = open(os.path.join(root, doc), encoding="utf-8").read()
        base, place, bindir = workplace()
        env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
        try:
            for m in BLOCK.finditer(text):
                lang = m.group("lang")
                if lang not in ("sh", "python") or (lang == "sh" and only_python):
                    continue
                if lang == "python" and not python:
                    continue
                line = text[: m.start("body")].count("\n") + 1
                body = m.group("body")
                where = f"{doc}:{line}"
                if m.group("reason"):
                    print(f"check_docs: {where}: not run: {m.group('reason')}")
                    skipped += 1
                    continue
                if "../shared/data" in body and not env_shared:
                    print(f"check_docs: {where}: not run: ../shared/data is not there")
                    skipped += 1
                    continue
                command = [python, "-c", body] if lang == "python" else ["bash", "-e", "-o", "pipefail", "-c", body]
                r = subprocess.run(command, cwd=place, env=env, capture_output=True, text=True, timeout=600)
                said = r.stdout + r.stderr
                if r.returncode != 0:
                    failed.append(f"{where}: exit {r.returncode}\n{body}\n{said[-3000:]}")
                    continue
                if m.group("expect"):
                    printed = squeeze(said)
                    missing = [l for l in m.group("expect").splitlines()
                               if squeeze(l) and squeeze(l) != "..." and squeeze(l) not in printed]
                    if missing:
                        failed.append(f"{where}: the output shown is not what the example printed; missing:\n"
                                      + "\n".join(missing) + f"\n--- printed:\n{said[-3000:]}")
                        continue
                ran += 1
        finally:
            shutil.rmtree(base, ignore_errors=True)
    for f in failed:
        print(f"check_docs: FAILED {f}\n")
    print(f"check_docs: {ran} examples ran as documented, {skipped} not run (reasons above), {len(failed)} failed")
    sys.exit(1 if failed else 0)


main()
