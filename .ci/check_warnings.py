"""The warnings table (issue 34): docs/warnings.md against the code, both ways.

Every text in the table's second column (in backticks) must be in a string literal in
src/, and every warning message in src/ must contain one of those texts. A warning
message is found where the code makes one:
- each `format!` literal in src/train/warnings.rs (train's warnings);
- any literal that begins with "warning: " or "leadscore: warning: ";
- the literal handed to a `warn(...)` callback;
- monitor's verdict lines (ACT, watch) and its age line that asks to retrain;
- `serve`'s line that passes a warning on.

Usage: python3 .ci/check_warnings.py   (exit 1 with one line per problem)
"""
import os
import re
import sys

root = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)


def text(lit):
    # A Rust literal's line continuations and escaped quotes, as the program prints it.
    return re.sub(r"\\\n\s*", "", lit).replace('\\"', '"').replace("\\n", "\n")


def sources():
    for dirpath, _, names in os.walk(os.path.join(root, "src")):
        for n in sorted(names):
            if n.endswith(".rs"):
                p = os.path.join(dirpath, n)
                src = open(p, encoding="utf-8").read()
                # Comment lines and quote characters would throw the literal scanner out
                # of step (line count kept).
                src = re.sub(r"(?m)^\s*//.*$", "", src)
                src = src.replace("'\"'", "' '").replace("'\\\"'", "' '")
                yield os.path.relpath(p, root), src


def relay(lit):
    """A line that passes on a message made elsewhere ("warning: {}")."""
    rest = re.sub(r"\{[^}]*\}", "", lit).replace("leadscore: warning:", "").replace("warning:", "")
    return len(re.sub(r"[^A-Za-z]", "", rest)) < 10


def train_messages(src):
    """Offsets of the literals that make train's warning messages: the one after
    `message: format!(`, and each `=> format!(` arm of a `message: match`."""
    starts = set()
    for m in re.finditer(r"message:\s*format!\(\s*\"", src):
        starts.add(m.end() - 1)
    for m in re.finditer(r"message:\s*match\b", src):
        end = src.find("\n        });", m.end())
        for a in re.finditer(r"=>\s*format!\(\s*\"", src[m.end():end]):
            starts.add(m.end() + a.end() - 1)
    return starts


def sites(path, src):
    """(line, message literal) of every warning the file makes."""
    found = []
    train = train_messages(src) if path == os.path.join("src", "train", "warnings.rs") else set()
    for m in LITERAL.finditer(src):
        lit = text(m.group(1))
        line = src.count("\n", 0, m.start()) + 1
        before = src[max(0, m.start() - 40):m.start()]
        if relay(lit):
            continue
        if m.start() in train:
            found.append((line, lit))
        elif lit.startswith(("warning: ", "leadscore: warning: ")):
            found.append((line, lit))
        elif re.search(r"warn\(&format!\(\s*$", before):
            found.append((line, lit))
        elif path == os.path.join("src", "cli", "monitor.rs") and (
                lit.startswith(("\nACT: ", "\nwatch: ")) or "re-evaluate it" in lit):
            found.append((line, lit))
        elif path == os.path.join("src", "cli", "serve.rs") and lit.startswith("leadscore serve: {w}"):
            found.append((line, lit))
    return found


def table():
    rows = []
    for line in open(os.path.join(root, "docs", "warnings.md"), encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`"):
            rows.append((cells[0], cells[1].strip("`")))
    return rows


def main():
    rows = table()
    if not rows:
        sys.exit("check_warnings: no rows in docs/warnings.md")
    texts = [t for _, t in rows]
    files = list(sources())
    problems = []
    for cmd, t in rows:
        if not any(t in text(m.group(1)) for _, src in files for m in LITERAL.finditer(src)):
            problems.append(f"docs/warnings.md: {cmd}: {t!r} is in no message in src/ (stale row)")
    count = 0
    for path, src in files:
        for line, lit in sites(path, src):
            count += 1
            if not any(t in lit for t in texts):
                problems.append(f"{path}:{line}: warning {lit[:80]!r} has no row in docs/warnings.md")
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"check_warnings: {len(rows)} rows, {count} warning messages in src/, each with its row")


main()
