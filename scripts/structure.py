#!/usr/bin/env python3
"""The shape of a crate's source tree, as the redesign left it (not in CI: it reads text, it does
not parse Rust).

- Import circles between modules: every `use`, and every inline `crate::`/`super::`/`self::`
  path, resolved to the module file it names (re-exports followed one step); a module using
  an item of a module above it is not a circle (a child using its parent's items).
- Files over 800 lines and functions over 120 lines: each is a place to split, or to say in a
  `//!`/`///` line why it must not be.

Usage: scripts/structure.py [SRC_DIR ...]   (default: src lab/src); exits 1 when it finds any.
"""
import os
import re
import sys

MAX_FILE, MAX_FN = 800, 120


def blank_comments_and_strings(src):
    """The source with comments, strings and char literals blanked, newlines kept."""
    out, i, n = [], 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith('//', i):
            j = src.find('\n', i)
            j = n if j < 0 else j
        elif src.startswith('/*', i):
            j = src.find('*/', i)
            j = n if j < 0 else j + 2
        elif c == 'r' and re.match(r'r#*"', src[i:i + 10]) and not (i and (src[i - 1].isalnum() or src[i - 1] == '_')):
            hashes = re.match(r'r(#*)"', src[i:]).group(1)
            j = src.find('"' + hashes, i + 2 + len(hashes))
            j = n if j < 0 else j + 1 + len(hashes)
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == '\\' else 1
            j += 1
        else:
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", src[i:i + 12]) if c == "'" else None
            if not m:
                out.append(c)
                i += 1
                continue
            j = i + len(m.group(0))
        out.append(re.sub(r'[^\n]', ' ', src[i:j]))
        i = j
    return ''.join(out)


def modules(root):
    """Module path (a tuple) -> file, for every .rs file under `root`."""
    found = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith('.rs'):
                parts = os.path.relpath(os.path.join(d, f), root)[:-3].split(os.sep)
                if parts[-1] in ('mod', 'lib', 'main'):
                    parts = parts[:-1]
                found[tuple(parts)] = os.path.join(d, f)
    return found


def use_paths(tree):
    """Every path of a `use` tree: `a::{b, c::d}` -> a::b, a::c::d."""
    def split_top(s):
        parts, depth, cur = [], 0, ''
        for ch in s:
            depth += (ch == '{') - (ch == '}')
            if ch == ',' and depth == 0:
                parts.append(cur)
                cur = ''
            else:
                cur += ch
        return parts + [cur]

    def walk(prefix, s):
        s = s.strip()
        if '{' not in s:
            return [prefix + p.split(' as ')[0].strip() for p in split_top(s) if p.strip()]
        i = s.index('{')
        inner = s[i + 1:s.rindex('}')]
        return [p for part in split_top(inner) for p in walk(prefix + s[:i], part)]
    return walk('', tree)


def circles(root, crate_names):
    mods = modules(root)
    text = {m: blank_comments_and_strings(open(f).read()) for m, f in mods.items()}
    reexports = {}

    def resolve(mod, path):
        segs = [s for s in path.split('::') if s]
        if not segs:
            return None
        if segs[0] in ('crate',) + crate_names:
            base, segs = [], segs[1:]
        elif segs[0] in ('super', 'self'):
            base = list(mod)
            while segs and segs[0] == 'super':
                base, segs = base[:-1], segs[1:]
            if segs and segs[0] == 'self':
                segs = segs[1:]
        elif tuple(mod) + (segs[0],) in mods:
            base = list(mod)
        else:
            return None
        cur = tuple(base)
        for s in segs:
            if cur + (s,) in mods:
                cur = cur + (s,)
            else:
                return reexports.get(cur, {}).get(s, cur)
        return cur

    for _ in range(2):
        for m, src in text.items():
            for use in re.finditer(r'pub(?:\([^)]*\))?\s+use\s+([^;]+);', src):
                for path in use_paths(use.group(1)):
                    name = path.split('::')[-1].strip()
                    target = resolve(m, path)
                    if name not in ('self', '*') and target not in (None, m):
                        reexports.setdefault(m, {})[name] = target
    edges = {}
    for m, src in text.items():
        paths = [p for u in re.finditer(r'\buse\s+([^;]+);', src) for p in use_paths(u.group(1))]
        paths += re.findall(r'\b((?:crate|super|self)(?:::[A-Za-z_]\w*)+)', src)
        for p in paths:
            t = resolve(m, p)
            if t is not None and t != m and m[:len(t)] != t:
                edges.setdefault(m, set()).add(t)
    # Tarjan's strongly connected components.
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
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
                found.append(comp)
    sys.setrecursionlimit(10000)
    for v in mods:
        if v not in index:
            visit(v)
    name = lambda m: '/'.join(m) or 'crate root'
    return [(name(a), name(b)) for comp in found for a in comp for b in edges.get(a, ()) if b in comp]


def long_items(root):
    out = []
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith('.rs'):
                continue
            path = os.path.join(d, f)
            src = open(path).read()
            if src.count('\n') > MAX_FILE:
                out.append(f'{path}: {src.count(chr(10))} lines (over {MAX_FILE})')
            s = blank_comments_and_strings(src)
            for m in re.finditer(r'\bfn\s+(\w+)', s):
                i, depth = m.end(), 0
                while i < len(s) and not (s[i] in '{;' and depth <= 0):
                    depth += (s[i] in '(<[') - (s[i] in ')>]')
                    i += 1
                if i >= len(s) or s[i] == ';':
                    continue
                j, depth = i, 0
                while j < len(s):
                    depth += (s[j] == '{') - (s[j] == '}')
                    if depth == 0:
                        break
                    j += 1
                lines = s.count('\n', m.start(), j) + 1
                if lines > MAX_FN:
                    start = s.count('\n', 0, m.start()) + 1
                    out.append(f'{path}:{start}: fn {m.group(1)}: {lines} lines (over {MAX_FN})')
    return out


def main():
    roots = sys.argv[1:] or ['src', 'lab/src']
    problems = 0
    for root in roots:
        for a, b in circles(root, ('lecturegen', 'lecturegen_lab')):
            print(f'{root}: import circle: {a} -> {b}')
            problems += 1
        for line in long_items(root):
            print(line)
            problems += 1
    print(f'{problems} found in {", ".join(roots)}')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
