"""The layer check (issue 27): every `crate::` path in `src/` runs to its own layer or
one below, and no source files import each other in a circle.

The layers are written once, in the table in `src/lib.rs`'s opening comment
(`//! | N. name | module, module, ... |`); this reads them from there. A file's module
is its top folder or file under `src/` (`src/features/part.rs` is in `features`). The
references are read from the code itself: `use crate::...`, `crate::...` paths in
expressions and types, `super::...` and, in a folder's `mod.rs`, its child modules'
paths. Comments and `#[cfg(test)]` modules are left out.

Usage: python3 .ci/check_layers.py [SRC]   (exit 1 with one line per offence)
"""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
src = os.path.normpath(src)


def layers():
    table = {}
    for line in open(os.path.join(src, "lib.rs"), encoding="utf-8"):
        m = re.match(r"//! \| (\d+)\. [^|]*\| ([a-z_, ]+) \|", line)
        if m:
            for mod in m.group(2).split(","):
                table[mod.strip()] = int(m.group(1))
    if not table:
        sys.exit("check_layers: no layer table in src/lib.rs (lines like `//! | 1. name | module, ... |`)")
    return table


def files():
    out = {}
    for dirpath, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.relpath(os.path.join(dirpath, name), src)
                out[path] = open(os.path.join(src, path), encoding="utf-8").read()
    return out


def module_path(path):
    """`features/part.rs` -> ['features', 'part']; `features/mod.rs` -> ['features']."""
    parts = path[:-3].split("/")
    if parts[-1] == "mod":
        parts.pop()
    return [] if parts in (["lib"], ["main"]) else parts


def code_of(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    cut = re.search(r"#\[cfg\(test\)\]\s*(pub\s+)?mod \w+\s*\{", text)
    return text[: cut.start()] if cut else text


def expand(prefix, body):
    """`a::{b, c::{d}}` -> ['a::b', 'a::c::d']."""
    items, depth, cur = [], 0, ""
    for ch in body:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        m = re.match(r"(.*?)::\{(.*)\}$", item, re.S)
        if m:
            out += expand(f"{prefix}::{m.group(1)}" if prefix else m.group(1), m.group(2))
        elif item.startswith("{"):
            out += expand(prefix, item[1:-1])
        else:
            out.append(f"{prefix}::{item}" if prefix else item)
    return out


def references(path, text):
    """Absolute module paths (lists of names) that `path` refers to."""
    me = module_path(path)
    parent = me[:-1]
    code = code_of(text)
    refs = []
    for m in re.finditer(r"\buse\s+(crate|super|self)::([^;]*);", code, re.S):
        base, rest = m.group(1), m.group(2).strip()
        if rest.startswith("{"):
            paths = expand("", rest[1:-1])
        else:
            mm = re.match(r"(.*?)::\{(.*)\}$", rest, re.S)
            paths = expand(mm.group(1), mm.group(2)) if mm else [rest]
        root = {"crate": [], "super": parent, "self": me}[base]
        refs += [root + p.split(" as ")[0].strip().split("::") for p in paths]
    for m in re.finditer(r"(?<![\w:])(crate|super)::((?:\w+::)*\w+)", code):
        root = [] if m.group(1) == "crate" else parent
        refs.append(root + m.group(2).split("::"))
    if path.endswith("mod.rs") or path in ("lib.rs",):
        children = re.findall(r"\bmod\s+(\w+)\s*;", code)
        for child in children:
            for _ in re.finditer(rf"(?<![\w:]){child}::\w+", code):
                refs.append(me + [child])
    return refs


def main():
    table = layers()
    texts = files()
    by_module = {tuple(module_path(p)): p for p in texts}

    def file_of(ref):
        for k in range(len(ref), 0, -1):
            if tuple(ref[:k]) in by_module:
                return by_module[tuple(ref[:k])]
        return None

    offences = []
    edges = {}
    for path, text in sorted(texts.items()):
        me = module_path(path)
        top = me[0] if me else None
        if top is not None and top not in table:
            offences.append(f"{path}: module {top!r} is in no layer of the table in src/lib.rs")
            continue
        for ref in references(path, text):
            target = file_of(ref)
            if target is None or target == path or target == "lib.rs":
                continue
            edges.setdefault(path, set()).add(target)
            their = module_path(target)[0] if module_path(target) else None
            if top and their and their != top and table.get(their, 0) > table[top]:
                offences.append(
                    f"{path}: `{'::'.join(ref)}` runs up from layer {table[top]} ({top}) to layer "
                    f"{table[their]} ({their})")
    # Circles among files (Tarjan's strongly connected components).
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(texts):
        if v not in index:
            visit(v)
    for comp in found:
        offences.append(f"files that import each other in a circle: {', '.join(comp)}")
    for o in sorted(set(offences)):
        print(f"check_layers: {o}")
    if offences:
        sys.exit(1)
    print(f"check_layers: {len(texts)} files, {sum(len(e) for e in edges.values())} imports between them, "
          f"{len(set(table.values()))} layers: none runs up, no circle")


main()
