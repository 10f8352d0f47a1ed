"""dataproduct.yaml: every validation error names the file, the key path and what is allowed."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from jupyter_dataproduct.core.errors import ManifestError
from jupyter_dataproduct.core.manifest import load_manifest, manifest_json_schema


def manifest_error(write_product, text: str, files=None) -> ManifestError:
    folder = write_product(text, files)
    with pytest.raises(ManifestError) as caught:
        load_manifest(folder)
    return caught.value


def edited(tiny_manifest: str, old: str, new: str) -> str:
    assert old in tiny_manifest
    return tiny_manifest.replace(old, new)


def test_the_example_product_is_valid(actg_dir):
    manifest = load_manifest(actg_dir)
    assert manifest.name == "actg175"
    assert set(manifest.model.entities) == {"patients", "labs"}
    assert manifest.model.relations() == [
        {"from_entity": "labs", "from_column": "pidnum", "to_entity": "patients", "to_column": "pidnum"}
    ]


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ManifestError, match="dataproduct.yaml: file not found"):
        load_manifest(tmp_path)


def test_invalid_yaml_names_the_line(write_product):
    error = manifest_error(write_product, "name: x\nversion: [1,\n")
    assert "dataproduct.yaml" in error.message and "line 3" in error.message and "not valid YAML" in error.message


def test_top_level_must_be_a_mapping(write_product):
    error = manifest_error(write_product, "- just\n- a list\n")
    assert "expected a mapping" in error.message and "found list" in error.message


def test_wrong_type_names_key_path_and_allowed_values(write_product, tiny_manifest):
    error = manifest_error(write_product, edited(tiny_manifest, "age: {type: int,", "age: {type: integer,"))
    problem = error.details["problems"][0]
    assert problem["path"] == "model.entities.people.columns.age.type"
    assert "'int'" in problem["message"] and "'category'" in problem["message"]
    assert "model.entities.people.columns.age.type" in error.message and str(error.details["file"]).endswith("dataproduct.yaml")


def test_unknown_key_is_reported_with_its_path(write_product, tiny_manifest):
    error = manifest_error(write_product, edited(tiny_manifest, "key: id", "key: id\n      primary: id"))
    assert error.details["problems"][0]["path"] == "model.entities.people.primary"
    assert "unknown key" in error.details["problems"][0]["message"]


def test_missing_required_key(write_product, tiny_manifest):
    error = manifest_error(write_product, edited(tiny_manifest, "version: 0.1.0\n", ""))
    assert {"path": "version", "message": "required key is missing", "input": error.details["problems"][0]["input"]} in error.details["problems"]


@pytest.mark.parametrize(
    ("old", "new", "path", "fragment"),
    [
        ("version: 0.1.0", "version: 1.0", "version", "does not match"),
        ("name: tiny", "name: Tiny Product", "name", "does not match"),
        ("    visits:\n      source: visits", "    Visits:\n      source: visits", "model.entities", "lower_snake_case"),
        ("source: grp}", "source: grp, unit: x, derive: age}", "model.entities.people.columns.group", "not both"),
        ("name: {type: string,", "name: {type: string, labels: {a: b},", "model.entities.people.columns.name", "only for columns of type category"),
        ("references: people.id", "references: people.nope", "model", "people.nope, which is not a column of the model"),
        ("      source: visits\n", "      source: vistis\n", "", "not defined"),
        ("people: {kind: csv, path: data/people.csv}", "people: {kind: excel, path: data/people.csv}", "sources.people", "kind 'excel' is not allowed; expected one of"),
        ("key: id", "key: nope", "model.entities.people", "not among the entity's columns"),
    ],
)
def test_each_kind_of_model_error_is_explained(write_product, tiny_manifest, old, new, path, fragment):
    error = manifest_error(write_product, edited(tiny_manifest, old, new))
    problems = error.details["problems"]
    assert any(p["path"].startswith(path) and fragment in p["message"] for p in problems), problems


def test_all_problems_are_listed_at_once(write_product, tiny_manifest):
    text = edited(edited(tiny_manifest, "version: 0.1.0", "version: one"), "age: {type: int,", "age: {type: number,")
    error = manifest_error(write_product, text)
    assert {p["path"] for p in error.details["problems"]} == {"version", "model.entities.people.columns.age.type"}
    assert "2 problem(s)" in error.message


def test_json_schema_validates_the_example_and_rejects_typos(actg_dir):
    schema = manifest_json_schema()
    data = yaml.safe_load((actg_dir / "dataproduct.yaml").read_text())
    jsonschema.validate(data, schema)
    data["model"]["entities"]["patients"]["columns"]["age"]["type"] = "integer"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_collections_group_columns_in_declaration_order(actg_dir):
    entity = load_manifest(actg_dir).model.entities["patients"]
    groups = entity.collections()
    assert list(groups)[:3] == ["Identification", "Treatment", "Demographics"]
    assert groups["Outcomes"] == ["cens", "days"]


def test_a_manifest_that_is_not_utf8_is_a_manifest_error(write_product, tiny_manifest, tiny_files):
    folder = write_product(tiny_manifest, tiny_files)
    (folder / "dataproduct.yaml").write_bytes(tiny_manifest.replace("Tiny product", "Tiny \xe9").encode("latin-1"))
    with pytest.raises(ManifestError, match="is not UTF-8 text"):
        load_manifest(folder)


@pytest.mark.parametrize("key, value", [("protocols", "/etc"), ("plugins", "../elsewhere"), ("plugins", "code/../../x")])
def test_the_protocol_and_plugin_folders_are_inside_the_product(write_product, tiny_manifest, tiny_files, key, value):
    folder = write_product(tiny_manifest + f"{key}: {value}\n", tiny_files)
    with pytest.raises(ManifestError, match=f"{key}: .*a folder inside the product"):
        load_manifest(folder)


def test_a_plugin_folder_symlinked_out_of_the_product_is_not_loaded(write_product, tiny_manifest, tiny_files, tmp_path):
    from jupyter_dataproduct.core.product import Product

    outside = tmp_path / "outside_plugins"
    outside.mkdir()
    (outside / "evil.py").write_text("from jupyter_dataproduct import plugin\n\n@plugin\ndef evil():\n    return 1\n")
    folder = write_product(tiny_manifest, tiny_files)
    (folder / "plugins").symlink_to(outside)
    product = Product.open(folder)
    assert "evil" not in product.plugins()
    assert any("outside the product folder" in p["message"] for p in product.problems())
