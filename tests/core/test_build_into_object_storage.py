"""A product whose manifest names ``snapshots: {url: s3://...}`` builds into and reads from a
real S3 server on loopback (moto_server): parts with checksums, snapshot.json last and once,
open by id and tag from another machine's folder, scan all parts, run protocols, verify by
stored checksum (nothing downloaded) or deep, and clear errors for a wrong bucket or endpoint."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil

import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.errors import SnapshotExistsError, StorageError
from jupyter_dataproduct.core.hashing import sha256_file
from jupyter_dataproduct.core.object_store import ObjectSnapshot
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.snapshot import Snapshot

RUNS = [
    ("survival", {"group": "arms"}),
    ("compare_arms", {"cohort_a": "arms == 'ZDV'", "cohort_b": "arms in (1, 2) and age >= 40"}),
    ("baseline_summary", {"variables": ["age", "cd40", "gender"]}),
    ("cd4_response", {"threshold": 75, "week": 96}),
]


@pytest.fixture
def local_copy(s3_actg_dir, tmp_path) -> Product:
    """The same product with its snapshots in its own folder, to compare against."""
    folder = tmp_path / "local-copy"
    shutil.copytree(s3_actg_dir, folder, ignore=shutil.ignore_patterns(".dataproduct"))
    manifest = folder / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().split("snapshots:\n")[0])
    product = Product.open(folder)
    product.build()
    return product


def object_keys(store) -> list[str]:
    return [item["Key"] for item in store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])]


class Requests:
    """Counts the S3 operations a client sends (botocore's own event hooks)."""

    def __init__(self, client) -> None:
        self.names: list[str] = []
        client.meta.events.register("before-call.s3", self._seen)
        self._client = client

    def _seen(self, model, **_) -> None:
        self.names.append(model.name)

    def close(self) -> None:
        self._client.meta.events.unregister("before-call.s3", self._seen)


@pytest.fixture
def requests(s3_actg):
    counter = Requests(s3_actg.store.client)
    yield counter
    counter.close()


def test_a_build_publishes_every_part_with_its_checksum_then_snapshot_json(s3_actg):
    events = []
    built = s3_actg.build(progress=events.append)
    snapshot, store = built.snapshot, s3_actg.store
    assert built.created and isinstance(snapshot, ObjectSnapshot)
    assert snapshot.rows() == {"patients": 2139, "labs": 9898}
    parts = snapshot.entity_parts("patients")
    assert [p["rows"] for p in parts] == [1000, 1000, 139]
    assert [p["file"] for p in parts] == [f"entities/patients/part-0000{i}.parquet" for i in range(3)]
    assert len(snapshot.entity_parts("labs")) == 10
    keys = object_keys(store)
    assert sorted(keys) == sorted([f"actg175/snapshots/{snapshot.id}/{p['file']}" for p in snapshot.files()]
                                  + [f"actg175/snapshots/{snapshot.id}/snapshot.json"])
    for part in snapshot.files():  # the store checked each file against its SHA-256 and kept it
        assert store.file_sha256(store.snapshot_key(snapshot.id, part["file"])) == part["sha256"]
    uploads = [e.message for e in events if e.message.startswith("upload ")]
    assert len(uploads) == 13 and uploads[0].startswith("upload entities/patients/part-00000.parquet (1 of 13")
    assert events[-2].message == "publish snapshot.json" and events[-1].done == events[-1].total
    assert not any((s3_actg.local_store.root / "snapshots").glob("*")), "nothing is published locally"
    assert not list((s3_actg.local_store.root / "tmp").glob("build-*")), "the staged build is removed"


def test_a_build_stopped_before_snapshot_json_publishes_nothing(s3_actg):
    def stop_before_publishing(event):
        if event.message == "publish snapshot.json":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        s3_actg.build(progress=stop_before_publishing)
    assert any(key.endswith(".parquet") for key in object_keys(s3_actg.store))  # the files went first
    assert s3_actg.snapshots() == []  # but without snapshot.json no reader sees a snapshot
    assert s3_actg.build().created  # the next build publishes it


def test_a_second_publish_is_refused(s3_actg, local_copy):
    first = s3_actg.build()
    again = s3_actg.build()
    assert (again.created, again.snapshot.id) == (False, first.snapshot.id)
    assert s3_actg.build(force=True).created is False  # rebuilt, but the conditional write keeps the first
    with pytest.raises(SnapshotExistsError, match="already published .* never replaced"):
        s3_actg.store.publish(local_copy.snapshot())  # the same content, published from a local store


def test_of_two_builds_racing_to_publish_the_conditional_write_lets_one_win(s3_actg_dir, tmp_path):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    both_uploaded = threading.Barrier(2, timeout=60)

    def wait_for_the_other(event):  # both have passed the "already published?" check and uploaded their files
        if event.message == "publish snapshot.json":
            both_uploaded.wait()

    builders = [Product(s3_actg_dir, store_dir=tmp_path / f"machine-{i}") for i in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda p: p.build(progress=wait_for_the_other), builders))
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].snapshot.info == results[1].snapshot.info  # the loser reads the winner's snapshot.json
    assert builders[0].store.ids() == [results[0].snapshot.id]


def test_opened_by_id_and_tag_from_another_folder(s3_actg, s3_actg_dir, tmp_path):
    built = s3_actg.build().snapshot
    s3_actg.tag("v1", built.id[:8])
    elsewhere = Product(s3_actg_dir, store_dir=tmp_path / "another-machine")  # no local snapshot at all
    assert elsewhere.snapshot("v1").id == built.id
    assert elsewhere.snapshot(built.id[:6]).rows() == built.rows()
    assert elsewhere.snapshot("actg175@latest").id == built.id
    assert elsewhere.store.tags_by_snapshot() == {built.id: ["v1"]}
    elsewhere.untag("v1")
    assert s3_actg.store.tags() == {}


def test_scans_read_every_part_and_equal_the_local_build(s3_actg, local_copy):
    remote = s3_actg.build().snapshot
    local = local_copy.snapshot()
    assert remote.id == local.id  # where snapshots live and how they are cut is not content
    for entity in ("patients", "labs"):
        assert_frame_equal(remote.scan(entity).collect(), local.scan(entity).collect())
    assert remote.scan("labs").select("week").collect().height == 9898


@pytest.mark.parametrize("protocol, parameters", RUNS, ids=[r[0] for r in RUNS])
def test_protocols_run_on_the_snapshot_in_object_storage(s3_actg, local_copy, protocol, parameters):
    s3_actg.build()
    remote = s3_actg.run(protocol, parameters)
    local = local_copy.run(protocol, parameters)
    assert remote.provenance["snapshot"] == local.provenance["snapshot"]
    assert remote.tables.keys() == local.tables.keys()
    for name in local.tables:
        assert_frame_equal(remote.tables[name], local.tables[name], rel_tol=1e-9)


def test_verify_compares_stored_checksums_without_downloading(s3_actg, requests):
    snapshot = s3_actg.build().snapshot
    requests.names.clear()
    assert s3_actg.verify(snapshot.id) == (snapshot, [])
    assert "GetObject" not in requests.names and requests.names.count("HeadObject") == 14  # 13 parts + snapshot.json

    requests.names.clear()
    assert s3_actg.verify(snapshot.id, deep=True)[1] == []
    assert requests.names.count("GetObject") == 14  # deep: every file downloaded and re-hashed


def test_verify_notices_snapshot_json_replaced_after_it_was_read(s3_actg):
    snapshot = s3_actg.build().snapshot  # this process has read (and cached) its snapshot.json
    store = s3_actg.store
    edited = dict(snapshot.info, product_version="9.9.9")
    store.client.put_object(Bucket=store.bucket, Key=store.snapshot_key(snapshot.id, "snapshot.json"),
                            Body=json.dumps(edited).encode(), ChecksumAlgorithm="SHA256")
    problem = {"file": "snapshot.json", "problem": "changed in the store (sha256 differs from the one read)"}
    assert s3_actg.verify(snapshot.id)[1] == [problem]
    assert s3_actg.verify(snapshot.id, deep=True)[1] == [problem]


def test_verify_detects_a_changed_missing_or_extra_object(s3_actg):
    snapshot = s3_actg.build().snapshot
    store = s3_actg.store
    part = snapshot.entity_parts("labs")[4]
    key = store.snapshot_key(snapshot.id, part["file"])
    changed = b"PAR1 not the part that was published"
    store.client.put_object(Bucket=store.bucket, Key=key, Body=changed, ChecksumAlgorithm="SHA256")
    problem = [{"file": part["file"], "problem": "changed (sha256 differs)"}]
    assert s3_actg.verify()[1] == problem
    assert s3_actg.verify(deep=True)[1] == problem
    store.client.put_object(Bucket=store.bucket, Key=key, Body=changed)  # no checksum kept: re-hashed
    assert s3_actg.verify()[1] == problem and hashlib.sha256(changed).hexdigest() != part["sha256"]

    store.client.delete_object(Bucket=store.bucket, Key=key)
    store.client.put_object(Bucket=store.bucket, Key=store.snapshot_key(snapshot.id, "entities/labs/part-00099.parquet"), Body=b"x")
    assert s3_actg.verify()[1] == [
        {"file": part["file"], "problem": "missing"},
        {"file": "entities/labs/part-00099.parquet", "problem": "unexpected file (not part of the snapshot)"},
    ]


def test_a_local_build_in_parts_verifies_and_scans(write_product, tiny_manifest, tiny_files):
    rows = "".join(f"{i},P{i},{20 + i % 50},{1 + i % 2},0,2024-01-05\n" for i in range(6, 2506))
    files = {**tiny_files, "data/people.csv": tiny_files["data/people.csv"] + rows}
    product = Product.open(write_product(tiny_manifest + "snapshots: {part_rows: 1000}\n", files))
    snapshot = product.build().snapshot
    assert [p["rows"] for p in snapshot.entity_parts("people")] == [1000, 1000, 505]
    assert len(snapshot.entity_parts("visits")) == 1 and snapshot.entities["visits"]["file"] == "entities/visits.parquet"
    assert snapshot.scan("people").collect()["id"].to_list() == list(range(1, 2506))
    assert snapshot.verify() == []
    part = snapshot.path / snapshot.entity_parts("people")[1]["file"]
    part.chmod(0o644)
    part.write_bytes(part.read_bytes()[:-8] + b"01234567")
    assert snapshot.verify() == [{"file": "entities/people/part-00001.parquet", "problem": "changed (sha256 differs)"}]
    # Someone "fixes" the part's hash in snapshot.json: the entity's hash no longer matches its parts.
    edited = copy.deepcopy(snapshot.info)
    edited["entities"]["people"]["parts"][1]["sha256"] = sha256_file(part)
    assert Snapshot(snapshot.path, edited).verify() == [
        {"file": "snapshot.json", "problem": "snapshot.json was edited: the parts of 'people' do not match the entity's sha256"},
    ]


def test_a_bucket_that_does_not_exist_is_a_clear_error(s3_actg_dir, s3_bucket):
    manifest = s3_actg_dir / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().replace(f"s3://{s3_bucket}/", "s3://no-such-bucket-here/"))
    product = Product.open(s3_actg_dir)
    with pytest.raises(StorageError, match="Bucket 'no-such-bucket-here' does not exist at http://127.0.0.1:"):
        product.build()
    with pytest.raises(StorageError, match="does not exist"):
        product.snapshots()


def test_an_endpoint_nobody_answers_is_a_clear_error(s3_actg, monkeypatch):
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    product = Product.open(s3_actg.path)
    with pytest.raises(StorageError, match=f"Cannot reach the object store at http://127.0.0.1:{port}"):
        product.snapshots()
