"""`dataproduct build / snapshots / tag / verify` on a product whose snapshots live in a real
S3 server on loopback (moto_server), and the errors a wrong bucket or a credential in the
manifest give: one message, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_build_tag_list_and_verify_in_object_storage(cli, s3_actg_dir, s3_bucket):
    built = cli("build", s3_actg_dir, "--tag", "v1")
    assert built.output.startswith("Built actg175@") and f"in s3://{s3_bucket}/actg175" in built.output
    assert "Tagged v1" in built.output
    again = json.loads(cli("build", s3_actg_dir, "--json").output)
    assert again["created"] is False and again["snapshot"]["tags"] == ["v1"]
    listing = json.loads(cli("snapshots", s3_actg_dir, "--json").output)
    assert [(s["rows"], s["tags"]) for s in listing] == [({"patients": 2139, "labs": 9898}, ["v1"])]
    assert cli("verify", s3_actg_dir, "v1").output.strip() == f"{listing[0]['id'][:12]}: ok"
    assert json.loads(cli("verify", s3_actg_dir, "--deep", "--json").output)[0]["ok"] is True


def test_verify_names_a_changed_object_and_exits_non_zero(cli, s3_actg):
    snapshot = s3_actg.build().snapshot
    store = s3_actg.store
    part = snapshot.entity_parts("patients")[2]
    store.client.put_object(Bucket=store.bucket, Key=store.snapshot_key(snapshot.id, part["file"]),
                            Body=b"replaced", ChecksumAlgorithm="SHA256")
    for deep in ((), ("--deep",)):
        result = cli("verify", s3_actg.path, *deep, ok=False)
        assert result.exit_code == 1
        assert f"{snapshot.short_id}: entities/patients/part-00002.parquet: changed (sha256 differs)" in result.output


def test_a_bucket_that_does_not_exist_is_one_clear_message(s3_actg_dir, s3_bucket):
    manifest = s3_actg_dir / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().replace(f"s3://{s3_bucket}/", "s3://no-such-bucket-here/"))
    done = subprocess.run([sys.executable, "-m", "jupyter_dataproduct.cli", "build", str(s3_actg_dir)],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: Bucket 'no-such-bucket-here' does not exist at http://127.0.0.1:")
    assert "Traceback" not in done.stderr + done.stdout


def test_a_credential_in_the_manifest_is_refused_and_not_repeated(cli, s3_actg_dir):
    manifest = s3_actg_dir / "dataproduct.yaml"
    manifest.write_text(manifest.read_text() + f"  aws_secret_access_key: {SECRET}\n")
    for command in ("validate", "build", "snapshots"):
        result = cli(command, s3_actg_dir, ok=False)
        assert result.exit_code == 1, command
        assert "credentials never go in dataproduct.yaml" in result.output and SECRET not in result.output
    as_json = cli("build", s3_actg_dir, "--json", ok=False).output
    assert json.loads(as_json)["error"]["code"] == "invalid_manifest" and SECRET not in as_json


def test_a_location_that_is_not_s3_is_one_clear_message(cli, s3_actg_dir, s3_bucket):
    manifest = s3_actg_dir / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().replace(f"s3://{s3_bucket}/actg175", "s3:/typo/actg175"))
    result = cli("build", s3_actg_dir, ok=False)
    assert "snapshots.url: 's3:/typo/actg175' is not an object storage location; write s3://bucket/prefix" in result.output


def test_publish_moves_a_snapshot_built_before_the_product_moved_to_object_storage(cli, s3_actg_dir, s3_bucket):
    manifest = s3_actg_dir / "dataproduct.yaml"
    in_bucket = manifest.read_text()
    manifest.write_text(in_bucket.split("snapshots:\n")[0])  # the product before it moved
    local = json.loads(cli("build", s3_actg_dir, "--json").output)["snapshot"]
    refused = cli("publish", s3_actg_dir, ok=False)
    assert "keeps its snapshots in its own folder" in refused.output and "snapshots.url" in refused.output

    manifest.write_text(in_bucket)
    assert json.loads(cli("snapshots", s3_actg_dir, "--json").output) == []  # the bucket is empty
    published = json.loads(cli("publish", s3_actg_dir, local["id"][:8], "--json").output)
    assert published == {"id": local["id"], "store": f"s3://{s3_bucket}/actg175", "files": 2}
    assert [s["id"] for s in json.loads(cli("snapshots", s3_actg_dir, "--json").output)] == [local["id"]]
    assert "ok" in cli("verify", s3_actg_dir).output
    again = cli("publish", s3_actg_dir, ok=False)
    assert "is already published" in again.output and "never replaced" in again.output
