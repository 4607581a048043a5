"""What the agreement scripts share: the operator spellings of the canonical form
(`vyper::canonical`), keyed by the node class names that Python's `ast` and the
Vyper compiler's JSON AST both use, the reading of what `vyper_corpus
--canonical` prints, and the comparison of two canonical forms line by line.
"""
import difflib

BINOPS = {
    "Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "FloorDiv": "//", "Mod": "%",
    "Pow": "**", "BitAnd": "&", "BitOr": "|", "BitXor": "^", "LShift": "<<",
    "RShift": ">>",
}
CMPOPS = {
    "Eq": "==", "NotEq": "!=", "Lt": "<", "LtE": "<=", "Gt": ">", "GtE": ">=",
    "In": "in", "NotIn": "not in", "Is": "is", "IsNot": "is not",
}
UNARY = {"USub": "-", "UAdd": "+", "Invert": "~", "Not": "not"}

# Top-level annotations that are declarations, not variables, in every version.
DECLS = ("implements", "uses", "initializes", "exports")


def nest_left(op, items):
    """`a and b and c` as `(and (and a b) c)`: chains nest to the left."""
    acc = items[0]
    for item in items[1:]:
        acc = f"({op} {acc} {item})"
    return acc


def sexpr(head, items):
    """`(head item ...)`; an empty head gives `( item ...)`, as for declarations."""
    return "(" + " ".join([head] + list(items)) + ")"


def load_ours(tsv):
    """What `vyper_corpus --canonical` printed: per file (path relative to the
    corpus), its `(name, form)` pairs in order, `<module>` first."""
    ours = {}
    with open(tsv, encoding="utf-8") as f:
        for line in f:
            path, name, form = line.rstrip("\n").split("\t")
            ours.setdefault(path, []).append((name, form))
    return ours


def lines(form):
    """The canonical lines of one module or function (joined with ` ; `)."""
    return form.split(" ; ") if form else []


def compare_lines(theirs, mine):
    """Aligns two lists of canonical lines. Returns the number of lines that
    agree and the differing pairs `(their line, our line)`, `""` standing for a
    line one side lacks."""
    matcher = difflib.SequenceMatcher(None, theirs, mine, autojunk=False)
    same = 0
    pairs = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            same += i2 - i1
            continue
        a, b = theirs[i1:i2], mine[j1:j2]
        for k in range(max(len(a), len(b))):
            pairs.append((a[k] if k < len(a) else "", b[k] if k < len(b) else ""))
    return same, pairs
