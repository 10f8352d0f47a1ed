"""``dataproduct init``: a new product folder that builds out of the box."""

from __future__ import annotations

import re
from pathlib import Path

from .errors import InvalidNameError, ManifestError
from .model import NAME_PATTERN

_MANIFEST = """\
# The manifest of data product {name}. See `dataproduct schema` for every key.
name: {name}
version: 0.1.0
title: {title}
description: Describe what this product holds and who it is for.
owners:
  - name: Your Name
license: Proprietary

sources:
  measurements:
    kind: csv
    path: data/measurements.csv

model:
  entities:
    subjects:
      source: measurements
      title: Subjects
      key: subject_id
      columns:
        subject_id: {{type: int, required: true, title: Subject id, collection: Identification}}
        group:
          type: category
          labels: {{A: control, B: treated}}
          collection: Treatment
        age: {{type: int, unit: years, collection: Demographics}}
        score: {{type: float, collection: Outcomes, description: Primary outcome score.}}
"""

_DATA = """\
subject_id,group,age,score
1,A,34,12.5
2,B,51,15.1
3,A,29,11.9
4,B,62,16.4
5,B,45,14.8
6,A,38,12.2
"""


def scaffold_product(name: str, folder: Path) -> Path:
    """Create ``folder`` with a manifest, sample data and empty protocols/plugins folders."""
    if not re.match(NAME_PATTERN, name):
        raise InvalidNameError(
            f"Product name {name!r} is not allowed: use lower_snake_case letters, digits and _ "
            f"({NAME_PATTERN}).",
            details={"name": name},
        )
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ManifestError(f"{folder} already exists and is not empty; choose another folder.")
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "protocols").mkdir(exist_ok=True)
    (folder / "plugins").mkdir(exist_ok=True)
    title = name.replace("_", " ").capitalize()
    (folder / "dataproduct.yaml").write_text(_MANIFEST.format(name=name, title=title))
    (folder / "data" / "measurements.csv").write_text(_DATA)
    (folder / ".gitignore").write_text(".dataproduct/\n")
    return folder.resolve()
