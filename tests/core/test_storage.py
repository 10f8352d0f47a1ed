"""The manifest's ``snapshots:`` block: where snapshots live, never how to log in there."""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.errors import ManifestError
from jupyter_dataproduct.core.manifest import load_manifest
from jupyter_dataproduct.core.product import Product

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("block", [
    f"snapshots:\n  url: s3://bucket/tiny\n  aws_secret_access_key: {SECRET}\n",
    f"snapshots:\n  url: s3://bucket/tiny\n  credentials: {{key: AKIA, secret: {SECRET}}}\n",
    f"snapshots:\n  url: s3://AKIAEXAMPLE:{SECRET}@bucket/tiny\n",
    f"snapshots:\n  url: s3://bucket/tiny?X-Amz-Credential={SECRET}\n",
], ids=["secret-key", "credentials-block", "user-info-in-url", "signed-url"])
def test_credentials_in_the_manifest_are_refused_without_repeating_them(write_product, tiny_manifest, tiny_files, block):
    folder = write_product(tiny_manifest + block, tiny_files)
    with pytest.raises(ManifestError) as refused:
        load_manifest(folder)
    text = refused.value.message
    assert "credentials never go in dataproduct.yaml" in text and "AWS_ACCESS_KEY_ID" in text
    assert SECRET not in text and SECRET not in str(refused.value.to_dict())


@pytest.mark.parametrize("url, allowed", [
    ("https://bucket.s3.amazonaws.com/tiny", "s3://bucket/prefix"),
    ("s3://Upper_Case/tiny", "s3://bucket/prefix"),
    ("/srv/snapshots", "s3://bucket/prefix"),
])
def test_a_location_that_is_not_s3_names_the_form_allowed(write_product, tiny_manifest, tiny_files, url, allowed):
    folder = write_product(tiny_manifest + f"snapshots: {{url: '{url}'}}\n", tiny_files)
    with pytest.raises(ManifestError, match="snapshots.url: .*write s3://bucket/prefix"):
        load_manifest(folder)


def test_part_rows_has_a_floor(write_product, tiny_manifest, tiny_files):
    folder = write_product(tiny_manifest + "snapshots: {part_rows: 10}\n", tiny_files)
    with pytest.raises(ManifestError, match="snapshots.part_rows: Input should be greater than or equal to 1000"):
        load_manifest(folder)


def test_defaults_one_file_locally_and_parts_in_object_storage(write_product, tiny_manifest, tiny_files):
    local = load_manifest(write_product(tiny_manifest, tiny_files, name="local")).snapshots
    remote = load_manifest(write_product(tiny_manifest + "snapshots: {url: s3://bucket/tiny/}\n", tiny_files,
                                         name="remote")).snapshots
    assert (local.url, local.rows_per_part()) == (None, None)
    assert (remote.url, remote.rows_per_part()) == ("s3://bucket/tiny", 1_000_000)


def test_a_broken_manifest_without_a_snapshots_block_still_lists_local_snapshots(tiny_product):
    built = tiny_product.build().snapshot
    manifest = tiny_product.path / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().replace("version: 0.1.0", "version: one"))
    assert [s.id for s in Product.open(tiny_product.path).snapshots()] == [built.id]
    manifest.write_text(manifest.read_text() + "snapshots: {url: s3://bucket/tiny}\n")
    with pytest.raises(ManifestError, match="version"):  # the snapshots are elsewhere: fix the manifest first
        Product.open(tiny_product.path).snapshots()
