"""Published snapshots: verification, and git-style addressing by id, prefix and tag."""

from __future__ import annotations

import json
import shutil

import pytest

from jupyter_dataproduct.core.errors import (
    AmbiguousSnapshotError, InvalidNameError, ManifestError, SnapshotNotFoundError,
)


@pytest.fixture
def snapshot(tiny_product):
    return tiny_product.build().snapshot


def writable(path):
    path.chmod(0o644)
    return path


def test_an_intact_snapshot_verifies(snapshot):
    assert snapshot.verify() == []


def test_a_changed_file_is_named(snapshot):
    file = writable(snapshot.entity_file("people"))
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))
    assert snapshot.verify() == [{"file": "entities/people.parquet", "problem": "changed (sha256 differs)"}]


def test_missing_and_extra_files_are_named(snapshot):
    snapshot.entity_file("visits").unlink()
    (snapshot.path / "entities" / "sneaky.parquet").write_bytes(b"x")
    problems = snapshot.verify()
    assert {"file": "entities/visits.parquet", "problem": "missing"} in problems
    assert {"file": "entities/sneaky.parquet", "problem": "unexpected file (not part of the snapshot)"} in problems


def test_an_edited_manifest_is_detected(snapshot):
    manifest = writable(snapshot.path / "snapshot.json")
    info = json.loads(manifest.read_text())
    info["sources"]["people"]["fingerprint"] = "sha256:" + "0" * 64
    manifest.write_text(json.dumps(info))
    from jupyter_dataproduct.core.snapshot import Snapshot

    problems = Snapshot(snapshot.path, info).verify()
    assert problems[0]["file"] == "snapshot.json"


def test_addressing_by_id_prefix_latest_and_product(tiny_product, snapshot):
    assert tiny_product.snapshot(snapshot.id).id == snapshot.id
    assert tiny_product.snapshot(snapshot.id[:6]).id == snapshot.id
    assert tiny_product.snapshot("latest").id == snapshot.id
    assert tiny_product.snapshot(f"tiny@{snapshot.id[:8]}").id == snapshot.id
    with pytest.raises(ManifestError, match="names product 'other'"):
        tiny_product.snapshot(f"other@{snapshot.id[:8]}")
    with pytest.raises(SnapshotNotFoundError, match="No snapshot id starts with 'ffff0000'"):
        tiny_product.snapshot("ffff0000")
    with pytest.raises(SnapshotNotFoundError, match="not a tag"):
        tiny_product.snapshot("v9")


def test_an_ambiguous_prefix_lists_the_candidates(tiny_product, snapshot):
    # Two snapshot ids that share a prefix: copy the snapshot under a second id.
    twin_id = snapshot.id[:4] + "0" * 60 if snapshot.id[4] != "0" else snapshot.id[:4] + "1" * 60
    shutil.copytree(snapshot.path, snapshot.path.parent / twin_id)
    with pytest.raises(AmbiguousSnapshotError) as caught:
        tiny_product.snapshot(snapshot.id[:4])
    assert set(caught.value.details["candidates"]) == {snapshot.id, twin_id}
    assert snapshot.id[:12] in caught.value.message
    assert tiny_product.snapshot(snapshot.id[:12]).id == snapshot.id


def test_tags_move_ids_do_not(tiny_product, snapshot, tiny_dir):
    tiny_product.tag("v1", snapshot.id[:8])
    assert tiny_product.snapshot("v1").id == snapshot.id
    assert tiny_product.snapshot("tiny@v1").id == snapshot.id
    visits = tiny_dir / "data" / "visits.csv"
    visits.write_text(visits.read_text() + "3,4,60.0\n")
    newer = tiny_product.build().snapshot
    tiny_product.tag("v1", "latest")
    assert tiny_product.snapshot("v1").id == newer.id
    assert tiny_product.snapshot(snapshot.id).id == snapshot.id
    assert [s.id for s in tiny_product.snapshots()] == [newer.id, snapshot.id]
    tiny_product.untag("v1")
    with pytest.raises(SnapshotNotFoundError):
        tiny_product.snapshot("v1")


def copy_created_at(snapshot, snapshot_id: str, created: str) -> None:
    """A copy of ``snapshot`` published under another id with another creation time."""
    copy = snapshot.path.parent / snapshot_id
    shutil.copytree(snapshot.path, copy)
    info = json.loads((copy / "snapshot.json").read_text())
    writable(copy / "snapshot.json").write_text(json.dumps({**info, "id": snapshot_id, "created": created}))


def test_latest_is_the_newest_of_the_list_with_ties_broken_by_id(tiny_product, snapshot):
    # Creation times out of id order, two of them equal: latest is always the list's first.
    times = ["2030-01-01T00:00:00.000+00:00", "2031-06-01T12:00:00.000+00:00", "2031-06-01T12:00:00.000+00:00",
             "2029-12-31T23:59:59.999+00:00"]
    for number, created in enumerate(times):
        copy_created_at(snapshot, f"{9 - number:x}" * 64, created)
        assert tiny_product.snapshot("latest").id == tiny_product.snapshots()[0].id
    assert tiny_product.snapshot("latest").id == "8" * 64  # of the two newest, the greater id


def test_latest_follows_what_is_on_disk(tiny_product, snapshot):
    copy_created_at(snapshot, "a" * 64, "2030-01-01T00:00:00.000+00:00")
    assert tiny_product.snapshot("latest").id == "a" * 64
    # An edited snapshot.json is read again (verify names the edit), not remembered.
    info = json.loads((snapshot.path / "snapshot.json").read_text())
    writable(snapshot.path / "snapshot.json").write_text(json.dumps({**info, "created": "2040-01-01T00:00:00.000+00:00"}))
    assert tiny_product.snapshot("latest").id == snapshot.id
    # A removed snapshot is gone from latest, and a folder without snapshot.json never counts.
    shutil.rmtree(snapshot.path)
    (snapshot.path.parent / ("f" * 64)).mkdir()
    assert tiny_product.snapshot("latest").id == "a" * 64
    shutil.rmtree(snapshot.path.parent / ("a" * 64))
    with pytest.raises(SnapshotNotFoundError, match="no snapshot yet"):
        tiny_product.snapshot("latest")


@pytest.mark.parametrize("name", ["latest", "abc123", "../x", "a/b", "", ".hidden", "x" * 65, "v1\n"])
def test_bad_tag_names_are_refused(tiny_product, snapshot, name):
    with pytest.raises(InvalidNameError, match="not allowed"):
        tiny_product.tag(name, snapshot.id)


def test_no_snapshot_yet(tiny_product):
    with pytest.raises(SnapshotNotFoundError, match="no snapshot yet"):
        tiny_product.snapshot()


def test_snapshot_files_are_not_world_readable(snapshot):
    import stat

    files = [p for p in snapshot.path.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o440 for p in files), \
        {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
