"""The `dataproduct` command for protocols: list, run (with --output), artifacts, history
and the protocol tests; --json everywhere and non-zero exit codes on bad input."""

from __future__ import annotations

import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.product import Product




@pytest.fixture
def actg(actg_dir, actg_product):
    actg_product.build()
    return actg_dir


def error_of(result) -> dict:
    shaped = json.loads(result.output)
    assert set(shaped) == {"error"} and set(shaped["error"]) == {"code", "message", "details"}
    return shaped["error"]


def test_protocols_lists_and_describes(cli, actg):
    table = cli("protocols", actg).output
    for name in ("baseline_summary", "cd4_response", "compare_arms", "patients", "survival"):
        assert name in table
    listing = json.loads(cli("protocols", actg, "--json").output)
    assert listing["problems"] == {}
    patients = next(p for p in listing["protocols"] if p["name"] == "patients")
    assert patients == {"name": "patients", "version": "1.0.0", "title": "Patients (data extract)",
                        "parameters": ["cohort", "columns", "limit"], "tests": 2, "versions": ["1.0.0"]}
    described = json.loads(cli("protocols", actg, "cd4_response", "--json").output)
    assert described["name"] == "cd4_response" and described["version"] == "1.0.0"
    schema = described["parameters"]
    assert schema["properties"]["threshold"]["maximum"] == 1000 and schema["properties"]["week"]["enum"] == [20, 96]
    assert schema["$defs"]["cohort_tree"] and described["outputs"]["response"]["type"] == "table"
    text = cli("protocols", actg, "cd4_response").output
    assert text.startswith("cd4_response@1.0.0: CD4 response by arm") and "threshold" in text and "int" in text


def test_protocols_reports_broken_files_and_unknown_names(cli, actg):
    broken = actg / "protocols" / "broken.yaml"
    broken.write_text("name: broken\nversion: 1.0.0\nsteps: [{id: s, algorithm: nothing}]\n")
    listing = json.loads(cli("protocols", actg, "--json", ok=False).output)
    assert "'nothing' is not a built-in algorithm" in listing["problems"][str(broken)]
    shown = cli("protocols", actg, ok=False)
    assert "Broken protocol files (1):" in shown.output and "patients" in shown.output
    missing = cli("protocols", actg, "nope", ok=False)
    assert missing.exit_code == 1 and "No protocol 'nope'; protocols: " in missing.output
    assert error_of(cli("protocols", actg, "nope", "--json", ok=False))["code"] == "protocol_not_found"
    assert error_of(cli("protocols", actg, "broken", "--json", ok=False))["details"]["file"] == str(broken)


def test_run_shows_a_table(cli, actg):
    out = cli("run", actg, "patients", "cohort=gender == 'female' and age > 40", 'columns:=["pidnum","age"]').output
    first = out.splitlines()[0]
    assert first.startswith("patients@1.0.0 on actg175@") and len(first.split("@")[-1]) == 12
    assert "extract (69 rows)" in out and "pidnum" in out and "... 49 more rows" in out
    survival = cli("run", actg, "survival", "group=race").output
    assert "p_value: " in survival and "charts: km_chart" in survival


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json"])
def test_run_writes_the_whole_table_to_a_file(cli, actg, actg_product, tmp_path, suffix):
    target = tmp_path / f"extract{suffix}"
    out = cli("run", actg, "patients", "cohort=arms in (1, 2) and age >= 40", "--output", target).output
    assert out.rstrip().endswith(f"Wrote {target}")
    expected = actg_product.run("patients", {"cohort": "arms in (1, 2) and age >= 40"}, record=False).tables["extract"]
    assert expected.height > 20
    if suffix == ".parquet":
        assert_frame_equal(pl.read_parquet(target), expected)
    elif suffix == ".csv":
        back = pl.read_csv(target, schema_overrides={"arms": pl.String, "gender": pl.String})
        assert_frame_equal(back, expected.with_columns(pl.col("arms", "gender").cast(pl.String)))
    else:
        back = pl.read_json(target)
        assert back.height == expected.height
        assert back["pidnum"].to_list() == expected["pidnum"].to_list()
        assert back["arms"].to_list() == expected["arms"].cast(pl.String).to_list()


def test_run_writes_a_chosen_table_and_saves_the_result(cli, actg, actg_product, tmp_path):
    target = tmp_path / "median.parquet"
    cli("run", actg, "survival", "-o", target, "--table", "median", "--save", "km_by_arm")
    result = actg_product.artifacts.load("km_by_arm")
    assert_frame_equal(pl.read_parquet(target), result.tables["median"])
    bad = cli("run", actg, "survival", "-o", tmp_path / "x.parquet", "--table", "nope", ok=False)
    assert "No table 'nope'; tables: curve, median, log_rank" in bad.output


def test_run_json(cli, actg, actg_product):
    payload = json.loads(cli("run", actg, "cd4_response", "threshold=100", "week=96", "--json").output)
    provenance = payload["provenance"]
    assert provenance["protocol"] == "cd4_response" and provenance["parameters"]["threshold"] == 100
    assert provenance["parameters"]["week"] == 96 and provenance["snapshot"] == actg_product.snapshot().id
    assert [row["arms"] for row in payload["tables"]["response"]] == ["ZDV", "ZDV+ddI", "ZDV+Zal", "ddI"]
    assert payload["charts"] == ["response_chart"]
    expected = actg_product.run("cd4_response", {"threshold": 100, "week": 96}, record=False).tables["response"]
    assert payload["tables"]["response"] == json.loads(json.dumps(expected.to_dicts(), default=str))


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["cd4_response", "threshold=5000"], "invalid_parameter",
         "Parameter 'threshold': '5000' is not allowed; expected an integer between 0 and 1000."),
        (["cd4_response", "week=30"], "invalid_parameter", "expected one of 20, 96"),
        (["cd4_response", "treshold=5"], "invalid_parameter", "cd4_response@1.0.0 has no parameter 'treshold'"),
        (["cd4_response", "threshold"], "invalid_parameter", "'threshold': write parameters as key=value"),
        (["patients", "columns:=[pidnum"], "invalid_parameter", "Parameter 'columns': '[pidnum' is not valid JSON"),
        (["patients", "cohort=agee > 3"], "column_not_found", "Parameter 'cohort': patients has no column 'agee'"),
        (["patients", "cohort=age >"], "invalid_parameter", "syntax error at position 6"),
        (["patients", "cohort=@nobody"], "artifact_not_found", "No artifact 'nobody'"),
        (["nope"], "protocol_not_found", "No protocol 'nope'"),
        (["patients@2.0.0"], "protocol_not_found", "Protocol 'patients' has no version 2.0.0; versions: 1.0.0"),
        (["patients", "--snapshot", "v9"], "snapshot_not_found", ""),
        (["patients", "--output", "out.xlsx"], "invalid_parameter", "--output out.xlsx: use a .parquet, .csv or .json file name."),
        (["patients", "--save", "../x"], "invalid_name", "Artifact name '../x' is not allowed"),
    ],
)
def test_bad_input_exits_non_zero_with_one_message(cli, actg, args, code, message):
    plain = cli("run", actg, *args, ok=False)
    assert plain.exit_code == 1 and "Traceback" not in plain.output
    assert plain.output.startswith("Error: ") and message in plain.output
    error = error_of(cli("run", actg, *args, "--json", ok=False))
    assert error["code"] == code and message in error["message"]


def test_run_on_a_folder_that_is_not_a_product(cli, tmp_path):
    result = cli("run", tmp_path, "patients", ok=False)
    assert result.exit_code == 1 and "is not a data product" in result.output


def test_artifacts_save_list_use_and_delete(cli, actg, tmp_path):
    assert cli("artifacts", actg).output.strip() == "No artifacts yet."
    assert json.loads(cli("artifacts", actg, "--json").output) == []
    saved = cli("artifacts", actg, "--save-cohort", "older", "patients", "age >= 50").output
    assert saved.startswith("Saved cohort older: ") and "patients where age >= 50" in saved
    info = json.loads(cli("artifacts", actg, "--save-cohort", "young", "patients", "age < 25", "--json").output)
    assert info["name"] == "young" and info["kind"] == "cohort" and info["summary"]["definition"] == "age < 25"
    rows = info["summary"]["rows"]
    listing = json.loads(cli("artifacts", actg, "--json").output)
    assert sorted(a["name"] for a in listing) == ["older", "young"]
    assert "older" in cli("artifacts", actg).output
    # a saved cohort is a cohort parameter
    payload = json.loads(cli("run", actg, "patients", "cohort=@young", "--json").output)
    out = tmp_path / "young.parquet"
    cli("run", actg, "patients", "cohort=@young", "-o", out)
    assert pl.read_parquet(out).height == rows and pl.read_parquet(out)["age"].max() < 25
    assert payload["provenance"]["parameters"]["cohort"]["artifact"] == "young"
    # refusing to overwrite, then --force
    again = cli("artifacts", actg, "--save-cohort", "young", "patients", "age < 30", ok=False)
    assert "already exists" in again.output
    cli("artifacts", actg, "--save-cohort", "young", "patients", "age < 30", "--force")
    bad = error_of(cli("artifacts", actg, "--save-cohort", "x", "patients", "agee < 30", "--json", ok=False))
    assert bad["code"] == "column_not_found"
    assert error_of(cli("artifacts", actg, "--save-cohort", "a/b", "patients", "age < 3", "--json", ok=False))["code"] == "invalid_name"
    assert cli("artifacts", actg, "--delete", "older").output.strip() == "Deleted artifact older"
    assert json.loads(cli("artifacts", actg, "--delete", "young", "--json").output) == {"deleted": "young"}
    assert error_of(cli("artifacts", actg, "--delete", "young", "--json", ok=False))["code"] == "artifact_not_found"
    assert json.loads(cli("artifacts", actg, "--json").output) == []


def test_history_lists_reruns_and_saves(cli, actg, actg_product, monkeypatch):
    monkeypatch.setenv("DATAPRODUCT_USER", "grace")
    assert cli("history", actg).output.strip() == "No runs yet."
    cli("run", actg, "patients", "cohort=age > 60", "--json")
    cli("run", actg, "cd4_response", "threshold=10", "--json")
    entries = json.loads(cli("history", actg, "--json").output)
    assert [e["protocol"] for e in entries] == ["cd4_response@1.0.0", "patients@1.0.0"]
    assert entries[1]["parameters"]["cohort"]["text"] == "age > 60" and entries[0]["who"] == "grace"
    assert entries[0]["snapshot"] == actg_product.snapshot().id
    assert len(json.loads(cli("history", actg, "--json", "-n", "1").output)) == 1
    table = cli("history", actg).output
    assert "cd4_response@1.0.0" in table and "cohort=age > 60" in table and "grace" in table

    patients_id = entries[1]["id"]
    rerun = json.loads(cli("history", actg, "--rerun", patients_id[:-2], "--json").output)
    assert rerun["provenance"]["parameters"] == entries[1]["parameters"]
    assert rerun["tables"]["extract"]["rows"] == entries[1]["summary"]["extract"]["rows"]
    assert cli("history", actg, "--rerun", patients_id).output.startswith("patients@1.0.0 on actg175@")
    assert len(json.loads(cli("history", actg, "--json").output)) == 4  # re-runs are runs too

    saved = json.loads(cli("history", actg, "--save", patients_id, "over_60", "--json").output)
    assert saved["name"] == "over_60" and saved["kind"] == "result"
    original = actg_product.history_result(patients_id)
    assert actg_product.artifacts.load("over_60").equals(original)
    assert "Saved " in cli("history", actg, "--save", entries[0]["id"], "cd4").output
    missing = cli("history", actg, "--rerun", "nope", ok=False)
    assert missing.exit_code == 1 and "History entry 'nope' matches no entry" in missing.output
    assert error_of(cli("history", actg, "--save", patients_id, "over_60", "--json", ok=False))["code"] == "artifact_error"


def test_the_protocol_tests_pass_and_a_failure_exits_non_zero(cli, actg):
    out = cli("test", actg, "patients").output
    assert "PASSED patients@1.0.0::women over 40" in out and out.rstrip().endswith("protocol tests: 2 passed, 0 failed")
    report = json.loads(cli("test", actg, "cd4_response", "--json").output)
    assert (report["passed"], report["failed"]) == (2, 0)
    assert [t["test"] for t in report["tests"]] == ["four arms, rates between 0 and 1", "a threshold above the maximum is refused"]
    file = actg / "protocols" / "patients.yaml"
    file.write_text(file.read_text().replace("extract: {rows: 69}", "extract: {rows: 70}"))
    failed = cli("test", actg, "patients", ok=False)
    assert failed.exit_code == 1 and "FAILED patients@1.0.0::women over 40" in failed.output
    assert "extract has 69 rows, expected 70" in failed.output and "1 passed, 1 failed" in failed.output
    report = json.loads(cli("test", actg, "patients", "--json", ok=False).output)
    assert (report["passed"], report["failed"]) == (1, 1)
    assert cli("test", actg, "nothing_like_this", ok=False).exit_code == 1  # no tests at all is a failure


def test_a_product_built_elsewhere_is_found_through_the_store_variable(cli, tiny_dir, tmp_path, monkeypatch):
    store = tmp_path / "store"
    monkeypatch.setenv("DATAPRODUCT_STORE", str(store))
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "protocols" / "everyone.yaml").write_text(
        "name: everyone\nversion: 1.0.0\nsteps: [{id: people, query: people}]\n")
    Product.open(tiny_dir).build()
    assert (store / "snapshots").is_dir() and not (tiny_dir / ".dataproduct").exists()
    assert "people (5 rows)" in cli("run", tiny_dir, "everyone").output
    assert json.loads(cli("history", tiny_dir, "--json").output)[0]["protocol"] == "everyone@1.0.0"
