"""``tensorgraft plugins [--json]``: every distribution, its version, what it registered, and load errors."""
from __future__ import annotations

import argparse
import json
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="tensorgraft", description="tensorgraft command line")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("plugins", help="list plugins, what they registered, and load errors")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = parser.parse_args(argv)
    if args.command != "plugins":
        parser.print_help()
        return 2
    import tensorgraft  # noqa: F401  (loads the plugins)
    from .plugins.manager import report

    data = report()
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for p in data["plugins"]:
        status = "" if p["status"] == "loaded" else "  [FAILED]"
        print(f"{p['distribution']} {p['version']}{status}")
        for kind, info in p["registered"].items():
            names = ", ".join(str(n) for n in info["names"][:12]) + (", ..." if info["count"] > 12 else "")
            print(f"    {kind}: {info['count']} ({names})")
        for k, v in p.get("report", {}).items():
            print(f"    {k}: {v}")
        for e in p["errors"]:
            print(f"    error: {e}")
    if data["failures"]:
        print(f"\n{len(data['failures'])} plugin(s) failed to load.")
    return 0
