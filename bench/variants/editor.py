"""Source rewriting with a line map (standard library only).

An Editor collects edits against the original text: removals (optionally replaced by pieces)
and insertions at original offsets. A piece is either a slice of the original ("o", a, b),
which may come from anywhere (that is how code is moved), or new text ("n", text, src),
where src is the original range (a, b) the new text stands for, a list of such ranges, or
None.

apply() builds the new text and the line map: original line -> set of new lines. An original
line maps to every new line holding one of its non-blank characters, either copied (an "o"
piece) or stood for (an "n" piece whose src covers it). So a moved statement takes its label
with it, and a split line maps to every line it was split into.
"""
import bisect
from collections import defaultdict


class Conflict(Exception):
    pass


class Editor:
    def __init__(self, src):
        self.src = src
        self.removals = []                 # (a, b, pieces)
        self.inserts = defaultdict(list)   # pos -> pieces

    # ------------------------------------------------------------------ edits
    def replace(self, a, b, text, src=True):
        self.removals.append((a, b, [("n", text, (a, b) if src is True else src)]))

    def remove(self, a, b, pieces=None):
        self.removals.append((a, b, list(pieces or [])))

    def insert(self, pos, pieces):
        if isinstance(pieces, str):
            pieces = [("n", pieces, None)]
        self.inserts[pos].extend(pieces)

    def overlaps(self, a, b):
        """Would removing [a, b) collide with an edit already made?"""
        for (x, y, _) in self.removals:
            if a < y and x < b:
                return True
        for p in self.inserts:
            if a < p < b:
                return True
        return False

    def empty(self):
        return not self.removals and not any(self.inserts.values())

    # ------------------------------------------------------------------ apply
    def apply(self):
        src = self.src
        rem = sorted(self.removals, key=lambda r: (r[0], r[1]))
        for (a1, b1, _), (a2, b2, _) in zip(rem, rem[1:]):
            if a2 < b1:
                raise Conflict(f"overlapping removals {a1}-{b1} and {a2}-{b2}")
        ins_pos = sorted(self.inserts)
        for p in ins_pos:
            for a, b, _ in rem:
                if a < p < b:
                    raise Conflict(f"insertion at {p} inside removal {a}-{b}")
        pieces = []
        cur = 0
        ip = 0

        def kept(upto):
            nonlocal cur, ip
            while ip < len(ins_pos) and ins_pos[ip] <= upto:
                p = ins_pos[ip]
                if p > cur:
                    pieces.append(("o", cur, p))
                    cur = p
                pieces.extend(self.inserts[p])
                ip += 1
            if upto > cur:
                pieces.append(("o", cur, upto))
                cur = upto
        for a, b, reps in rem:
            kept(a)
            pieces.extend(reps)
            cur = b
        kept(len(src))
        out, starts = [], []
        pos = 0
        for p in pieces:
            starts.append(pos)
            s = src[p[1]:p[2]] if p[0] == "o" else p[1]
            out.append(s)
            pos += len(s)
        new = "".join(out)
        return new, self._line_map(pieces, starts, new)

    def _line_map(self, pieces, starts, new):
        src = self.src
        onl = [i for i, ch in enumerate(src) if ch == "\n"]
        nnl = [i for i, ch in enumerate(new) if ch == "\n"]

        def oline(off):
            return bisect.bisect_left(onl, off) + 1

        def nline(off):
            return bisect.bisect_left(nnl, off) + 1

        def line_bounds(line):
            s = onl[line - 2] + 1 if line >= 2 else 0
            e = onl[line - 1] if line - 1 < len(onl) else len(src)
            return s, e
        lmap = defaultdict(set)
        for p, st in zip(pieces, starts):
            if p[0] == "o":
                a, b = p[1], p[2]
                if a >= b:
                    continue
                for L in range(oline(a), oline(b - 1) + 1):
                    ls, le = line_bounds(L)
                    s, e = max(a, ls), min(b, le)
                    seg = src[s:e]
                    k = len(seg) - len(seg.lstrip())
                    if seg.strip():
                        lmap[L].add(nline(st + (s + k - a)))
            else:
                text, rng = p[1], p[2]
                if not rng or not text.strip():
                    continue
                # only lines of the new text that hold something
                base = nline(st)
                nl_lines = [base + k for k, seg in enumerate(text.split("\n")) if seg.strip()]
                for a, b in ([rng] if isinstance(rng, tuple) else rng):
                    for L in range(oline(a), oline(max(a, b - 1)) + 1):
                        ls, le = line_bounds(L)
                        if src[max(a, ls):min(b, le)].strip():
                            lmap[L].update(nl_lines)
        return lmap


def identity_map(src):
    n = src.count("\n") + 1
    return {L: {L} for L in range(1, n + 1)}
