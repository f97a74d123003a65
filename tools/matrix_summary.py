"""Print each tox env's pytest counts and the matrix total (tools/test-matrix.sh calls this after
`tox run-parallel`, which shows no output for the envs that pass). The last line has the plain
form ``matrix: N passed, N failed, N skipped``."""
import pathlib
import sys


def main(tox_dir: str, since: float = 0.0) -> int:
    total = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    # envs not run this time keep their old files: only those written since the run began count
    rows = sorted(p for p in pathlib.Path(tox_dir).glob("*/tmp/pytest-summary.txt") if p.stat().st_mtime >= since)
    for path in rows:
        fields = dict(item.split("=", 1) for item in path.read_text(encoding="utf-8").split())
        for key in total:
            total[key] += int(fields.get(key, 0))
        print(f"  {path.parent.parent.name:14s} {fields.get('passed')} passed, {fields.get('failed')} failed, "
              f"{fields.get('skipped')} skipped, {fields.get('errors')} errors (pytest exit {fields.get('exit')})")
    if not rows:
        print("matrix: no pytest summaries were found (did any test env run?)")
        return 1
    print(f"matrix: {total['passed']} passed, {total['failed'] + total['errors']} failed, {total['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".tox", float(sys.argv[2]) if len(sys.argv) > 2 else 0.0))
