"""Tab completion of ``%dataproduct run `` in a real kernel, first and warm, against the
kernel's round trip for a completion that reads nothing (``%dataproduct `` offers the
subcommands) and against IPython's own first completion of a Python name (Jedi), which
is what a ``%dataproduct`` line used to cost. Also, in this process (what
tests/kernel/test_completion.py timed before the project dropped timed assertions): the
first completion on a freshly connected product through IPython's completer, against a
warm one.

    python bench/bench_completion.py --repeat 20
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "actg175"


def timed_complete(client, code: str) -> tuple[float, list[str]]:
    started = time.perf_counter()
    reply = client.complete(code, reply=True, timeout=60)["content"]
    return time.perf_counter() - started, reply["matches"]


def fresh_kernel(product: Path | None):
    manager, client = start_new_kernel(kernel_name="python3")
    if product is not None:
        # Assigned, not displayed: the product card would read the protocols before we time.
        client.execute_interactive(f"%load_ext jupyter_dataproduct\nproduct = %dataproduct connect {product}", timeout=60)
    return manager, client


def complete_in_process(shell, line: str) -> float:
    from IPython.core.completer import provisionalcompleter

    started = time.perf_counter()
    with provisionalcompleter():
        offered = list(shell.Completer.completions(line, len(line)))
    elapsed = time.perf_counter() - started
    assert any(c.text == "compare_arms" for c in offered), offered
    return elapsed


def in_process(folder: Path, repeat: int) -> tuple[float, float]:
    """Best first completion on a freshly connected copy of the product, and the median warm one."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_dataproduct")
    magics = shell.magics_manager.registry["DataProductMagics"]
    firsts, warms = [], []
    for n in range(repeat):
        copy = folder / f"in-process-{n}" / "actg175"
        shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".dataproduct", "cd8_ratio.py"))
        shell.run_cell(f"product = %dataproduct connect {copy}", silent=True)  # a cell: the catalogs are forgotten
        magics.warm_up.wait(120)  # its imports are not the completion's
        firsts.append(complete_in_process(shell, "%dataproduct run "))
        warms.append(complete_in_process(shell, "%dataproduct run "))
    return min(firsts), statistics.median(warms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copies = []
        for n in range(2):
            copies.append(Path(folder) / str(n) / "actg175")
            shutil.copytree(EXAMPLE, copies[-1], ignore=shutil.ignore_patterns(".dataproduct", "cd8_ratio.py"))
        manager, client = fresh_kernel(copies[0])
        try:  # what a user meets: the kernel's very first completion is '%dataproduct run '
            first, matches = timed_complete(client, "%dataproduct run ")
            warm = statistics.median(timed_complete(client, "%dataproduct run ")[0] for _ in range(args.repeat))
            baseline = statistics.median(timed_complete(client, "%dataproduct ")[0] for _ in range(args.repeat))
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
        manager, client = fresh_kernel(copies[1])
        try:  # the kernel's own first-request cost apart: a completion that reads nothing goes first
            kernel_first, _ = timed_complete(client, "%dataproduct ")
            product_first, _ = timed_complete(client, "%dataproduct run ")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
        manager, client = fresh_kernel(None)
        try:
            jedi_first, _ = timed_complete(client, "import os\nos.pa")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
        local_first, local_warm = in_process(Path(folder), args.repeat)
    print(f"fresh kernel, fresh product: first completion of '%dataproduct run ': {first * 1000:.1f} ms; offers {matches[:3]}...")
    print(f"  warm, median of {args.repeat}: {warm * 1000:.1f} ms; baseline (a completion reading nothing), median: {baseline * 1000:.1f} ms")
    print(f"second fresh kernel: first completion reading nothing {kernel_first * 1000:.1f} ms, "
          f"then the first '%dataproduct run ' (reads the product) {product_first * 1000:.1f} ms")
    print(f"reference: Jedi's first completion of a Python name in a fresh kernel: {jedi_first * 1000:.1f} ms")
    print(f"ratios: warm / baseline {warm / baseline:.2f}; first / Jedi's first {first / jedi_first:.3f}")
    print(f"in this process: first completion on a freshly connected product, best of {args.repeat}: "
          f"{local_first * 1000:.1f} ms; warm, median: {local_warm * 1000:.2f} ms; ratio {local_first / local_warm:.1f}")


if __name__ == "__main__":
    main()
