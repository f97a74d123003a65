"""Flag tensorgraft source files that share long identical token runs with PyTorch's Python source.

tensorgraft reimplements PyTorch's behaviour; it must not copy PyTorch's code. Matching error
messages, public names and argument lists are expected (they are the specification), long runs of
identical statements are not. For every tensorgraft module this script finds the installed
``torch`` module with the most tokens in identical runs of at least ``--run`` tokens (names,
operators and numbers; comments, strings and layout ignored) and prints the share of the file
they cover, highest first.

    python tools/similarity_audit.py                 # every package's sources, top 25
    python tools/similarity_audit.py --min-share 0.2 packages/optimizers

Needs PyTorch installed (the oracle environment has it). A row is a place to look, not a verdict.
"""
from __future__ import annotations

import argparse
import difflib
import io
import pathlib
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[1]


def code_tokens(path: pathlib.Path) -> list:
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
                out.append(tok.string)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        pass
    return out


def shared_run_tokens(a: list, b: list, run: int) -> int:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks() if block.size >= run)


def candidates(torch_root: pathlib.Path, ours: pathlib.Path) -> list:
    """torch modules worth comparing with ``ours``: the same file name anywhere under torch, and
    the modules of the torch package named like ``ours``'s package (nn, optim, autograd...)."""
    name = ours.name
    found = set(torch_root.rglob(name)) if name != "__init__.py" else set()
    parts = ours.parts[ours.parts.index("tensorgraft") + 1:-1] if "tensorgraft" in ours.parts else ()
    if parts:
        folder = torch_root.joinpath(*parts)
        if folder.is_dir():
            found |= set(folder.glob("*.py"))
    return sorted(p for p in found if p.stat().st_size < 500_000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["packages"])
    parser.add_argument("--run", type=int, default=30, help="shortest identical token run that counts")
    parser.add_argument("--min-share", type=float, default=0.0, help="only rows at or above this share")
    parser.add_argument("--most", type=int, default=25)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("similarity_audit: PyTorch is not installed here (use the oracle environment)", file=sys.stderr)
        return 2
    torch_root = pathlib.Path(torch.__file__).parent
    files = []
    for p in args.paths:
        base = (ROOT / p) if not pathlib.Path(p).is_absolute() else pathlib.Path(p)
        files += [base] if base.is_file() else [f for f in base.rglob("*.py") if "/src/tensorgraft" in str(f)]
    cache: dict = {}
    rows = []
    for f in sorted(set(files)):
        ours = code_tokens(f)
        if len(ours) < args.run:
            continue
        best = (0, None)
        for c in candidates(torch_root, f):
            theirs = cache.setdefault(c, code_tokens(c))
            shared = shared_run_tokens(ours, theirs, args.run)
            if shared > best[0]:
                best = (shared, c)
        share = best[0] / len(ours)
        if best[1] is not None and share >= args.min_share:
            rows.append((share, f.relative_to(ROOT) if f.is_relative_to(ROOT) else f, best[1].relative_to(torch_root)))
    rows.sort(key=lambda r: -r[0])
    for share, f, c in rows[:args.most]:
        print(f"{share:5.0%}  {f}  ~ torch/{c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
