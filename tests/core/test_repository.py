"""The repository's code is re-read when its files change; inside ``checked_once()`` (one server
request) the files are looked at once, so one request sees one version of the code."""

from __future__ import annotations

import os

from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.repository import checked_once

PLUGIN = "from jupyter_dataproduct import plugin\n\n\n@plugin\ndef {name}(n: int = 1):\n    return n\n"
PROTOCOL = """\
name: counted
version: {version}
steps:
  - {{id: rows, query: people, with: {{limit: 1}}}}
"""


def write(path, text):
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    stat = path.stat()  # a new modification time even within the file system's clock tick
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_a_changed_plugin_or_protocol_is_seen_at_the_next_lookup(tiny_dir):
    product = Product.open(tiny_dir)
    write(tiny_dir / "plugins" / "extra.py", PLUGIN.format(name="first"))
    write(tiny_dir / "protocols" / "counted.yaml", PROTOCOL.format(version="1.0.0"))
    assert "first" in product.plugins() and str(product.protocol("counted").spec.version) == "1.0.0"
    write(tiny_dir / "plugins" / "extra.py", PLUGIN.format(name="second"))
    write(tiny_dir / "protocols" / "counted.yaml", PROTOCOL.format(version="2.0.0"))
    assert "second" in product.plugins() and "first" not in product.plugins()
    assert str(product.protocol("counted").spec.version) == "2.0.0"


def test_inside_checked_once_the_files_are_looked_at_once(tiny_dir):
    product = Product.open(tiny_dir)
    write(tiny_dir / "plugins" / "extra.py", PLUGIN.format(name="first"))
    write(tiny_dir / "protocols" / "counted.yaml", PROTOCOL.format(version="1.0.0"))
    with checked_once():
        stamp = product.repository.code_stamp(product.manifest)
        assert "first" in product.plugins()
        write(tiny_dir / "plugins" / "extra.py", PLUGIN.format(name="second"))
        write(tiny_dir / "protocols" / "counted.yaml", PROTOCOL.format(version="2.0.0"))
        assert "first" in product.plugins() and str(product.protocol("counted").spec.version) == "1.0.0"
        assert product.repository.code_stamp(product.manifest) == stamp
    with checked_once():  # the next request sees the new code
        assert "second" in product.plugins() and str(product.protocol("counted").spec.version) == "2.0.0"
        assert product.repository.code_stamp(product.manifest) != stamp


def test_plugins_come_only_from_inside_the_product_whichever_level_is_a_link(write_product, tiny_manifest, tiny_files,
                                                                              tmp_path):
    outside = tmp_path / "outside"
    (outside / "plugins").mkdir(parents=True)
    write(outside / "plugins" / "evil.py", PLUGIN.format(name="evil"))
    folder = write_product(tiny_manifest + "plugins: code/plugins\n", tiny_files)
    (folder / "code").symlink_to(outside)  # a link above the plugin folder, not the folder itself
    product = Product.open(folder)
    assert "evil" not in product.plugins()
    assert any("outside the product folder" in p["message"] for p in product.problems())

    (folder / "code").unlink()  # replaced while open: the next lookup sees it
    (folder / "shared" / "plugins").mkdir(parents=True)
    write(folder / "shared" / "plugins" / "kind.py", PLUGIN.format(name="kind"))
    (folder / "code").symlink_to(folder / "shared")  # a link that stays inside the product is followed
    assert "kind" in product.plugins() and "evil" not in product.plugins()
