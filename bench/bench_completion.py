"""Tab completion of ``%dataproduct run `` in a real kernel, first and warm, against the
kernel's round trip for a completion that reads nothing (``%dataproduct `` offers the
subcommands) and against IPython's own first completion of a Python name (Jedi), which
is what a ``%dataproduct`` line used to cost.

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
    print(f"fresh kernel, fresh product: first completion of '%dataproduct run ': {first * 1000:.1f} ms; offers {matches[:3]}...")
    print(f"  warm, median of {args.repeat}: {warm * 1000:.1f} ms; baseline (a completion reading nothing), median: {baseline * 1000:.1f} ms")
    print(f"second fresh kernel: first completion reading nothing {kernel_first * 1000:.1f} ms, "
          f"then the first '%dataproduct run ' (reads the product) {product_first * 1000:.1f} ms")
    print(f"reference: Jedi's first completion of a Python name in a fresh kernel: {jedi_first * 1000:.1f} ms")
    print(f"ratios: warm / baseline {warm / baseline:.2f}; first / Jedi's first {first / jedi_first:.3f}")


if __name__ == "__main__":
    main()
