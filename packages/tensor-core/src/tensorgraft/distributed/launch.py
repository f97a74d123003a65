"""``python -m tensorgraft.distributed.launch`` — PyTorch's deprecated launcher, kept for older
scripts: ``run`` (torchrun) that, unless ``--use-env`` is given, passes each worker
``--local-rank=N`` as its first argument instead of only setting LOCAL_RANK."""
from __future__ import annotations

import sys
import warnings

from .run import launch_with, parser


def parse_args(args=None):
    p = parser()
    p.prog = "python -m tensorgraft.distributed.launch"
    p.add_argument("--use-env", "--use_env", default=False, action="store_true",
                   help="set LOCAL_RANK only, without passing --local-rank to the script")
    return p.parse_args(args)


def main(args=None) -> int:
    warnings.warn("The module torch.distributed.launch is deprecated\nand will be removed in future. Use torchrun.\n"
                  "Note that --use-env is set by default in torchrun.\nIf your script expects `--local-rank` argument "
                  "to be set, please\nchange it to read from `os.environ['LOCAL_RANK']` instead. See \n"
                  "https://pytorch.org/docs/stable/distributed.html#launch-utility for \nfurther instructions\n",
                  FutureWarning, stacklevel=2)
    parsed = parse_args(args)
    if parsed.no_python and not parsed.use_env:
        raise ValueError("When using the '--no-python' flag, you must also set the '--use-env' flag.")
    return launch_with(parsed)


if __name__ == "__main__":
    sys.exit(main())
