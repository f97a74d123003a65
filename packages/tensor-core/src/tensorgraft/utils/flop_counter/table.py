"""The text of ``FlopCounterMode.get_table()``, as PyTorch prints it.

PyTorch builds the rows and hands them to ``tabulate`` (format "simple", columns aligned left, right,
right). tensorgraft writes the same text itself rather than depend on tabulate; what tabulate does
to the cells is reproduced: leading and trailing spaces are stripped (tabulate 0.10 no longer keeps
them, so PyTorch's indentation of nested modules does not show), a column whose cells all read as
numbers is printed with format "g" ("1248.000" -> "1248"), and a column is at least its header's
width plus 2."""
from __future__ import annotations

# the suffixes for the orders of magnitude, as PyTorch's
suffixes = ["", "K", "M", "B", "T"]


def get_suffix_str(number):
    """The suffix all the table's counts are shown with, from the total: 1.01B is shown as 1010.000M,
    not 1.010B (a digit of overflow, as PyTorch)."""
    index = max(0, min(len(suffixes) - 1, (len(str(number)) - 2) // 3))
    return suffixes[index]


def convert_num_with_suffix(number, suffix):
    index = suffixes.index(suffix)
    value = f"{number / 1000 ** index:.3f}"
    return value + suffixes[index]


def convert_to_percent_str(num, denom) -> str:
    if denom == 0:
        return "0%"
    return f"{num / denom:.2%}"


def _number(cell: str):
    """The int or float tabulate reads a cell as, or None when it is text."""
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        return None


def format_table(headers, rows, colalign) -> str:
    """tabulate's "simple" table of ``rows`` (lists of strings)."""
    columns = [[str(c).strip() for c in col] for col in zip(*rows)] if rows else [[] for _ in headers]
    for i, col in enumerate(columns):
        numbers = [_number(c) for c in col]
        if col and all(n is not None for n in numbers):
            if all(isinstance(n, int) for n in numbers):
                columns[i] = [str(n) for n in numbers]
            else:
                columns[i] = [format(float(n), "g") for n in numbers]
    widths = [max([len(h) + 2] + [len(c) for c in col]) for h, col in zip(headers, columns)]

    def line(cells):
        out = []
        for cell, width, align in zip(cells, widths, colalign):
            out.append(cell.ljust(width) if align == "left" else cell.rjust(width))
        return "  ".join(out)

    lines = [line(headers), "  ".join("-" * w for w in widths)]
    lines += [line([col[r] for col in columns]) for r in range(len(rows))]
    return "\n".join(lines)
