"""Snapshots in object storage, against a real S3 server on loopback (moto_server): publish
without rename, refuse a second publish, open by id, prefix and tag, scan, run a protocol,
verify by stored checksum and detect a changed object."""

from __future__ import annotations

import base64
import hashlib

import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.engine import bind_parameters, execute
from jupyter_dataproduct.core.errors import ParameterError, SnapshotExistsError, SnapshotNotFoundError
from jupyter_dataproduct.core.object_store import ObjectSnapshotStore


@pytest.fixture
def published(actg_product, s3_bucket):
    actg_product.build()
    store = ObjectSnapshotStore(f"s3://{s3_bucket}/actg175")
    return actg_product, store, store.publish(actg_product.snapshot())


def test_a_published_snapshot_opens_by_id_prefix_latest_and_tag(published):
    product, store, snapshot = published
    local = product.snapshot()
    assert store.ids() == [local.id]
    assert store.resolve(local.id).info == local.info
    assert store.resolve(local.id[:6]).id == local.id
    assert store.resolve("latest").id == local.id
    store.tag("v1", local.id[:8])
    assert store.tags() == {"v1": local.id}
    assert store.resolve("v1").rows() == local.rows()
    store.tag("v1", "latest")  # moving a tag is a conditional write on its current version
    assert store.tags() == {"v1": local.id}


def test_snapshot_json_is_written_last_and_only_once(published):
    product, store, snapshot = published
    keys = [item["Key"] for item in store.client.list_objects_v2(Bucket=store.bucket)["Contents"]]
    assert f"actg175/snapshots/{snapshot.id}/snapshot.json" in keys
    with pytest.raises(SnapshotExistsError, match="already published"):
        store.publish(product.snapshot())
    # Even a publisher that raced past the first check is refused by the conditional write.
    with pytest.raises(Exception) as caught:
        store.client.put_object(Bucket=store.bucket, Key=store.snapshot_key(snapshot.id, "snapshot.json"),
                                Body=b"{}", IfNoneMatch="*")
    assert "PreconditionFailed" in str(caught.value)


def test_entities_scan_from_object_storage_as_they_do_locally(published):
    product, store, snapshot = published
    for entity in snapshot.entities:
        remote = snapshot.scan(entity).collect()
        assert remote.equals(product.snapshot().scan(entity).collect())
        assert remote.schema == product.snapshot().scan(entity).collect_schema()


def test_a_protocol_runs_on_the_snapshot_in_object_storage(published):
    product, store, snapshot = published
    spec = product.protocol("compare_arms").spec
    bound = bind_parameters(spec, {"variables": ["age", "cd40", "gender"]}, product._bind_context(product.snapshot().id))
    remote = execute(product.manifest, spec, bound, snapshot, product.plugins())
    local = execute(product.manifest, spec, bound, product.snapshot(), product.plugins())
    assert_frame_equal(remote.tables["comparison"], local.tables["comparison"], rel_tol=1e-9)


def test_verify_uses_the_stored_checksums_and_detects_a_changed_object(published):
    product, store, snapshot = published
    assert snapshot.verify() == []
    assert snapshot.verify(deep=True) == []
    entity, meta = next(iter(snapshot.entities.items()))
    key = store.snapshot_key(snapshot.id, meta["file"])
    head = store.client.head_object(Bucket=store.bucket, Key=key, ChecksumMode="ENABLED")
    assert bytes.fromhex(meta["sha256"]) == base64.b64decode(head["ChecksumSHA256"])

    changed = b"not the parquet file that was published"
    store.client.put_object(Bucket=store.bucket, Key=key, Body=changed, ChecksumAlgorithm="SHA256")
    assert snapshot.verify() == [{"file": meta["file"], "problem": "changed (sha256 differs)"}]
    # An object replaced without a checksum is re-hashed from its bytes.
    store.client.put_object(Bucket=store.bucket, Key=key, Body=changed)
    assert snapshot.verify() == [{"file": meta["file"], "problem": "changed (sha256 differs)"}]
    assert hashlib.sha256(changed).hexdigest() != meta["sha256"]

    store.client.put_object(Bucket=store.bucket, Key=store.snapshot_key(snapshot.id, "extra.txt"), Body=b"x")
    store.client.delete_object(Bucket=store.bucket, Key=key)
    assert snapshot.verify() == [
        {"file": meta["file"], "problem": "missing"},
        {"file": "extra.txt", "problem": "unexpected file (not part of the snapshot)"},
    ]


def test_addressing_errors_name_what_is_allowed(published):
    product, store, snapshot = published
    with pytest.raises(SnapshotNotFoundError, match="not a tag"):
        store.resolve("nope")
    with pytest.raises(SnapshotNotFoundError, match="No snapshot id starts with 'ffff'"):
        store.resolve("ffff")
    with pytest.raises(ParameterError, match="s3://bucket/prefix"):
        ObjectSnapshotStore("/local/path", client=store.client)

