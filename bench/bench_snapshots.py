"""What finding a product's snapshots costs when it has many (nightly builds for years).

    python bench/bench_snapshots.py [--snapshots 1000] [--repeat 5]

Builds a copy of ``examples/actg175`` once and publishes ``--snapshots`` copies of its
snapshot under other ids and creation times. Rows (best of ``--repeat``, ms): ``latest``
through the store (what every run on an unpinned product asks), the baseline of the same
run (every ``snapshot.json`` read and sorted, which ``latest`` did before), the first
``latest`` of a new process (it reads each ``snapshot.json`` once), and the full list.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from jupyter_dataproduct.core.product import Product  # noqa: E402
from jupyter_dataproduct.core.snapshot import SNAPSHOT_FILE, SnapshotStore  # noqa: E402


def publish_copies(product: Product, count: int) -> None:
    built = product.snapshot("latest")
    info = json.loads((built.path / SNAPSHOT_FILE).read_text())
    for number in range(count):
        snapshot_id = hashlib.sha256(str(number).encode()).hexdigest()
        folder = built.path.parent / snapshot_id
        folder.mkdir()
        created = f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}T00:00:{number % 60:02d}.{number % 1000:03d}+00:00"
        (folder / SNAPSHOT_FILE).write_text(json.dumps({**info, "id": snapshot_id, "created": created}))


def best_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "actg175"
        shutil.copytree(HERE.parent / "examples" / "actg175", folder, ignore=shutil.ignore_patterns(".dataproduct"))
        product = Product.open(folder)
        product.build()
        publish_copies(product, args.snapshots)
        store = product.local_store
        newest = store.list()[0].id
        assert product.snapshot("latest").id == newest

        first = best_ms(lambda: SnapshotStore(store.root).latest(), args.repeat)
        latest = best_ms(lambda: product.snapshot("latest"), args.repeat)
        every = best_ms(lambda: store.list()[0], args.repeat)
        print(f"{args.snapshots + 1} snapshots")
        print(f"  latest (store, warm)          {latest:8.1f} ms")
        print(f"  baseline: read and sort all   {every:8.1f} ms   ratio {latest / every:.3f}")
        print(f"  latest in a new process       {first:8.1f} ms")


if __name__ == "__main__":
    main()
