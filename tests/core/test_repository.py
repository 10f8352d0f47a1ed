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
