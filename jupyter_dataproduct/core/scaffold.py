"""``dataproduct init``: a new product folder whose manifest validates, whose data builds,
and whose one protocol runs and passes its test, as it is."""

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

_PROTOCOL = """\
# A protocol: a versioned, parameterised, tested method. `dataproduct run . score_by_group`
name: score_by_group
version: 0.1.0
title: Outcome score by group
description: Mean, sd and quantiles of the outcome score and age, per group, for a cohort of subjects.
parameters:
  cohort:
    type: cohort
    entity: subjects
    title: Subjects
    description: A filter such as "age >= 40" (everyone by default).
    default: ""
steps:
  - id: summary
    algorithm: summary
    with: {entity: subjects, columns: [score, age], by: group, cohort: $cohort}
outputs:
  numeric: {type: table, columns: {group: string, variable: string, mean: float}}
tests:
  - name: two variables for each of the two groups
    expect:
      numeric: {rows: 4}
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


def product_name(folder: str | Path) -> str:
    """The product name a folder suggests: its last part in lower_snake_case
    (``studies/My-Study`` gives ``my_study``)."""
    name = re.sub(r"[^a-z0-9_]+", "_", Path(folder).resolve().name.lower()).strip("_")
    return f"p_{name}" if name[:1].isdigit() else name


def scaffold_product(name: str, folder: Path) -> Path:
    """Create ``folder`` with a manifest, sample data, one protocol with its test, and an
    empty plugins folder."""
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
    (folder / "protocols" / "score_by_group.yaml").write_text(_PROTOCOL)
    (folder / "data" / "measurements.csv").write_text(_DATA)
    (folder / ".gitignore").write_text(".dataproduct/\n")
    return folder.resolve()
