"""Write tests/programs/<name>.expected: what PyTorch prints for each program (or the ones named).

    python tools/expect_programs.py                 # every program
    python tools/expect_programs.py rnn_names.py    # just these

Needs PyTorch installed (the oracle; tensorgraft never imports it). tests/test_programs.py then
holds tensorgraft's output to these files everywhere, and checks them against PyTorch where it is
installed."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_programs import ALL, PROGRAMS, run_program  # noqa: E402


def main(names: list[str]) -> None:
    for name in names or ALL:
        path = PROGRAMS / Path(name).name  # a bare name or a path to the program
        out = run_program(path, use_torch=True)
        path.with_suffix(".expected").write_text(out, encoding="utf-8")
        print(f"{name}: {len(out.splitlines())} lines")


if __name__ == "__main__":
    main(sys.argv[1:])
