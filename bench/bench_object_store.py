"""Snapshots in object storage vs on local disk, in the same process.

A real S3 API on loopback (``moto_server``, started and stopped here) holds the snapshot;
the baseline is the same product with its snapshot in its own folder. Measured, best of
``--repeat``:

- build: ``Product.build()`` into the bucket (staged locally, parts uploaded with their
  SHA-256, snapshot.json last) vs a local build;
- read: the whole ``patients`` entity collected, and the ``survival`` protocol, from
  ``s3://`` vs local Parquet;
- verify: the stored checksums (a HEAD per file) and ``--deep`` (download and re-hash) vs a
  local verify (re-hash from disk).

moto is a Python server keeping objects in memory: its throughput, not S3's, bounds the
upload and download figures. Read them as the cost of the protocol (requests, copies,
hashing), an upper bound for a real store on a fast network.

    python bench/bench_object_store.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_product  # noqa: E402

from jupyter_dataproduct.core.product import Product  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([shutil.which("moto_server") or "moto_server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)


def best(function, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return min(times), value


def run(rows: int, repeat: int, part_rows: int, workdir: Path) -> dict:
    import boto3

    product_dir = write_product(workdir / "product", rows, seed=0, source_format="parquet")
    s3_dir = shutil.copytree(product_dir, workdir / "product-in-s3")  # the same content: the same snapshot id
    manifest = s3_dir / "dataproduct.yaml"
    local_text = manifest.read_text()
    figures: dict[str, object] = {"patients": rows, "part_rows": part_rows}

    def build_locally() -> object:
        store = workdir / f"local-{uuid.uuid4().hex[:8]}"
        return Product(product_dir, store_dir=store).build()

    seconds, local_build = best(build_locally, repeat)
    figures["build_local_s"] = round(seconds, 3)
    local = local_build.snapshot
    local_product = Product(product_dir, store_dir=local.path.parent.parent)
    figures["mb_written"] = round(sum(m["bytes"] for m in local.entities.values()) / 1e6, 1)

    client = boto3.client("s3")

    def build_into_bucket() -> Product:
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        client.create_bucket(Bucket=bucket)
        manifest.write_text(local_text + f"snapshots:\n  url: s3://{bucket}/product\n  part_rows: {part_rows}\n")
        product = Product(s3_dir, store_dir=workdir / f"stage-{bucket}")
        product.build()
        return product

    seconds, remote_product = best(build_into_bucket, repeat)
    figures["build_s3_s"] = round(seconds, 3)
    figures["build_ratio"] = round(seconds / figures["build_local_s"], 2)
    remote = remote_product.snapshot()
    figures["parts"] = {name: len(remote.entity_parts(name)) for name in remote.entities}
    assert remote.id == local.id

    seconds_local, frame_local = best(lambda: local.scan("patients").collect(), repeat)
    seconds_remote, frame_remote = best(lambda: remote.scan("patients").collect(), repeat)
    assert frame_remote.equals(frame_local)
    figures.update(read_patients_local_s=round(seconds_local, 3), read_patients_s3_s=round(seconds_remote, 3),
                   read_ratio=round(seconds_remote / seconds_local, 2))

    arguments = {"group": "arms"}
    seconds_local, _ = best(lambda: local_product.run("survival", arguments, record=False), repeat)
    seconds_remote, _ = best(lambda: remote_product.run("survival", arguments, record=False), repeat)
    figures.update(survival_local_s=round(seconds_local, 3), survival_s3_s=round(seconds_remote, 3),
                   survival_ratio=round(seconds_remote / seconds_local, 2))

    seconds_local, problems = best(lambda: local.verify(), repeat)
    assert problems == []
    seconds_heads, problems = best(lambda: remote.verify(), repeat)
    assert problems == []
    seconds_deep, problems = best(lambda: remote.verify(deep=True), repeat)
    assert problems == []
    figures.update(verify_local_rehash_s=round(seconds_local, 3), verify_s3_checksums_s=round(seconds_heads, 3),
                   verify_s3_deep_s=round(seconds_deep, 3),
                   verify_checksums_vs_local_rehash=round(seconds_heads / seconds_local, 3),
                   verify_deep_vs_local_rehash=round(seconds_deep / seconds_local, 2))
    figures["repeat"] = repeat
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--part-rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    server, endpoint = start_moto()
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-object-store-") as folder:
            report = run(args.rows, args.repeat, args.part_rows, Path(folder))
    finally:
        server.terminate()
        server.wait(10)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
