"""Fixtures that build real data products in temporary folders.

- ``tiny_product``: a two-entity product (people, visits) from small CSV files, written
  fresh for each test, for fast and precise tests.
- ``actg_product``: a copy of ``examples/actg175`` (the real ACTG 175 trial data).
- ``write_product``: a factory to write any manifest plus data files.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from jupyter_dataproduct.core.product import Product

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "actg175"

TINY_MANIFEST = """\
name: tiny
version: 0.1.0
title: Tiny product
description: Two small entities for tests.
owners: [Test Team]
license: CC0
sources:
  people: {kind: csv, path: data/people.csv}
  visits: {kind: csv, path: data/visits.csv}
model:
  entities:
    people:
      source: people
      key: id
      columns:
        id: {type: int, required: true, collection: Identification}
        name: {type: string, collection: Identification}
        age: {type: int, unit: years, collection: Demographics, description: Age at entry}
        group: {type: category, labels: {1: control, 2: treated}, collection: Treatment, source: grp}
        smoker: {type: bool, collection: Demographics}
        enrolled: {type: date, collection: Dates}
        age_months: {type: int, derive: age * 12, unit: months, collection: Demographics}
    visits:
      source: visits
      key: [person_id, week]
      filter: week >= 0
      columns:
        person_id: {type: int, references: people.id, required: true}
        week: {type: int, required: true}
        weight: {type: float, unit: kg}
"""

TINY_PEOPLE = """\
id,name,age,grp,smoker,enrolled
1,Ada,34,1,0,2024-01-05
2,Bo,51,2,1,2024-02-11
3,Cy,29,1,0,2024-03-20
4,Di,62,2,1,2024-04-02
5,Ed,45,2,0,2024-05-17
"""

TINY_VISITS = """\
person_id,week,weight
1,0,70.5
1,4,69.8
2,0,88.0
2,4,87.1
3,0,61.2
4,0,79.9
5,0,90.3
5,4,
1,-1,70.0
"""


@pytest.fixture
def write_product(tmp_path: Path) -> Callable[..., Path]:
    """Write a product folder: ``write_product(manifest_text, {"data/x.csv": "..."})``."""

    def write(manifest: str, files: dict[str, str | bytes] | None = None, name: str = "product") -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dataproduct.yaml").write_text(textwrap.dedent(manifest))
        for relative, content in (files or {}).items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
        return folder

    return write


@pytest.fixture
def tiny_dir(write_product) -> Path:
    return write_product(TINY_MANIFEST, {"data/people.csv": TINY_PEOPLE, "data/visits.csv": TINY_VISITS}, name="tiny")


@pytest.fixture
def tiny_product(tiny_dir: Path) -> Product:
    return Product.open(tiny_dir)


@pytest.fixture
def actg_dir(tmp_path: Path) -> Path:
    target = tmp_path / "actg175"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".dataproduct"))
    return target


@pytest.fixture
def actg_product(actg_dir: Path) -> Product:
    return Product.open(actg_dir)


@pytest.fixture(scope="session")
def actg_csv() -> Path:
    """The real ACTG 175 trial data shipped with the example product."""
    return EXAMPLE / "data" / "actg175.csv"


@pytest.fixture
def tiny_manifest() -> str:
    """The text of the tiny product's manifest, to edit in tests."""
    return TINY_MANIFEST


@pytest.fixture
def tiny_files() -> dict[str, str]:
    return {"data/people.csv": TINY_PEOPLE, "data/visits.csv": TINY_VISITS}


# -- a real PostgreSQL server for database sources -------------------------------------------


def _postgres_bin() -> Path | None:
    import glob
    import shutil as _shutil

    found = _shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A throwaway PostgreSQL server on 127.0.0.1 (stopped at the end of the session)."""
    import os
    import pwd
    import subprocess

    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb) not found; install Debian's postgresql")
    folder = tmp_path_factory.mktemp("postgres")
    data = folder / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        os.chown(folder, user.pw_uid, user.pw_gid)
        folder.chmod(0o700)
        for parent in folder.parents:  # the postgres user must reach its folder
            if str(parent).startswith(str(tmp_path_factory.getbasetemp().parent)):
                parent.chmod(parent.stat().st_mode | 0o711)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "180", "-l",
                    str(folder / "log"), "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)


# -- a real, small disk to fill ------------------------------------------------------------------


class SmallDisk:
    """A tmpfs of a few megabytes mounted at ``path``; ``fill()`` leaves it (almost) full."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / ".filler"

    def fill(self, leave: int = 0) -> None:
        """Take all free space but ``leave`` bytes (the filler file is not part of any product)."""
        import os

        stat = os.statvfs(self.path)
        free = stat.f_bavail * stat.f_frsize
        with open(self.filler, "ab") as handle:
            handle.write(b"\0" * max(0, free - leave))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@pytest.fixture
def small_disk():
    """``small_disk(folder, size="8m")``: mount a tmpfs of ``size`` at ``folder`` (as root, or with
    passwordless sudo; elsewhere the test is skipped, saying why); unmounted at the end."""
    import subprocess

    mounted: list[Path] = []

    def mount(folder: Path, size: str = "8m") -> SmallDisk:
        folder.mkdir(parents=True, exist_ok=True)
        import os

        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]  # CI may run as a user with sudo
        done = subprocess.run([*sudo, "mount", "-t", "tmpfs", "-o", f"size={size},mode=1777", "tmpfs", str(folder)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs to fill (needs root): {done.stderr.strip()}")
        mounted.append(folder)
        return SmallDisk(folder)

    yield mount
    import os

    for folder in reversed(mounted):
        subprocess.run([*([] if os.geteuid() == 0 else ["sudo", "-n"]), "umount", "-l", str(folder)], capture_output=True)


# -- a real S3-compatible server on loopback ---------------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """``moto_server`` on 127.0.0.1 (an S3 API; stopped at the end of the session). Yields the
    environment a client needs: endpoint and throwaway credentials."""
    import shutil as _shutil
    import socket
    import subprocess
    import time

    server_bin = _shutil.which("moto_server")
    if server_bin is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    process = subprocess.Popen([server_bin, "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # its imports take a while on a loaded CI machine
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        yield {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def s3_bucket(s3_server, monkeypatch) -> str:
    """A fresh, empty bucket on the local S3 server; the environment points at it."""
    import uuid

    import boto3

    for key, value in s3_server.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    name = f"products-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_actg_dir(actg_dir: Path, s3_bucket: str) -> Path:
    """A copy of the ACTG 175 example whose snapshots live in the local S3 server, its entities
    in parts of 1,000 rows (patients: 3 parts, labs: 10)."""
    manifest = actg_dir / "dataproduct.yaml"
    manifest.write_text(manifest.read_text() + f"snapshots:\n  url: s3://{s3_bucket}/actg175\n  part_rows: 1000\n")
    return actg_dir


@pytest.fixture
def s3_actg(s3_actg_dir: Path) -> Product:
    return Product.open(s3_actg_dir)
