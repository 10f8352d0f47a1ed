"""The Python client: ``connect()`` a folder, call protocols, get real frames back."""

from __future__ import annotations

import inspect
import textwrap

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from jupyter_dataproduct import connect
from jupyter_dataproduct.client import DataProduct
from jupyter_dataproduct.client.options import options
from jupyter_dataproduct.client.result import Result
from jupyter_dataproduct.core.errors import ParameterError, ProtocolNotFoundError, SnapshotNotFoundError
from jupyter_dataproduct.core.product import Product


@pytest.fixture
def actg(actg_dir) -> DataProduct:
    Product.open(actg_dir).build()
    return connect(actg_dir)


@pytest.fixture
def tiny(tiny_dir) -> DataProduct:
    Product.open(tiny_dir).build()
    return connect(tiny_dir)


def test_connect_a_folder(actg, actg_dir):
    assert isinstance(actg, DataProduct) and actg.is_local
    assert actg.name == "actg175" and actg.location == str(actg_dir)
    assert set(actg.info["entities"]) == {"patients", "labs"}


def test_connect_names_what_is_wrong_with_a_bad_target(tmp_path):
    with pytest.raises(Exception, match=f"No data product at {tmp_path / 'nowhere'}: the folder does not exist"):
        connect(tmp_path / "nowhere")
    with pytest.raises(Exception, match="it has no dataproduct.yaml"):
        connect(tmp_path)


def test_a_protocol_has_a_real_signature_and_docstring(actg):
    survival = actg.protocols.survival
    signature = inspect.signature(survival)
    assert list(signature.parameters) == ["group", "cohort", "snapshot"]
    assert signature.parameters["group"].default == "arms"
    assert signature.parameters["group"].kind is inspect.Parameter.KEYWORD_ONLY
    doc = inspect.getdoc(survival)
    assert doc.startswith("Survival by treatment arm (survival@1.0.0)")
    assert "group : column of patients (default 'arms')" in doc
    assert "compare_arms" in dir(actg.protocols)  # tab completion


def test_calling_a_protocol_runs_it(actg):
    result = actg.protocols.compare_arms(cohort_a="arms == 'ZDV'", cohort_b="arms == 'ddI'", variables=["age", "cd40", "gender"])
    assert isinstance(result, Result)
    table = result.to_polars()
    assert isinstance(table, pl.DataFrame)
    assert set(table["variable"]) == {"age", "cd40", "gender"}
    assert result.provenance["protocol"] == "compare_arms" and result.provenance["protocol_version"] == "1.0.0"


def test_frames_come_back_as_polars_pandas_or_arrow(actg):
    result = actg.protocols.baseline_summary()
    assert isinstance(result.to_pandas(), pd.DataFrame)
    assert isinstance(result.to_arrow(), pa.Table)
    assert result.to_pandas().shape == result.to_polars().shape == result.to_arrow().shape
    frame = actg.frame("patients", where="age >= 50", columns="pidnum,age", library="pandas")
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["pidnum", "age"] and (frame["age"] >= 50).all()


def test_the_configured_frame_library_applies(actg, monkeypatch):
    monkeypatch.setattr(options, "frame_library", "pandas")
    assert isinstance(actg.frame("patients", limit=3), pd.DataFrame)
    monkeypatch.setattr(options, "frame_library", "polars")
    assert isinstance(actg.frame("patients", limit=3), pl.DataFrame)


def test_bad_parameters_fail_before_running_with_a_clear_message(actg):
    with pytest.raises(ParameterError, match=r"group.*age") as caught:
        actg.protocols.survival(group="age")
    assert caught.value.details["parameter"] == "group"
    with pytest.raises(ProtocolNotFoundError, match=r"No protocol 'nope'; protocols: arm_profile, baseline_summary"):
        actg.protocols.nope


def test_save_a_result_and_load_it_back(actg):
    result = actg.protocols.survival()
    artifact = result.save("km_by_arm")
    assert artifact.name == "km_by_arm" and artifact.kind == "result"
    loaded = actg.load("km_by_arm").value
    assert loaded.to_polars("curve").equals(result.to_polars("curve"))
    assert loaded.provenance["snapshot"] == result.snapshot
    actg.delete_artifact("km_by_arm")
    assert [a.name for a in actg.artifacts()] == []


def test_a_saved_cohort_works_as_a_cohort_parameter(actg):
    actg.save("gender == 'female'", "women", entity="patients")
    women = actg.protocols.survival(cohort="@women")
    assert women.to_polars("median")["n"].sum() == actg.frame("patients", where="gender == 'female'").height


def test_no_stale_state_new_protocols_plugins_and_snapshots_appear(tiny, tiny_dir):
    first = tiny.snapshot().id
    assert len(tiny.protocols) == 0
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "protocols" / "ages.yaml").write_text(textwrap.dedent("""\
        name: ages
        version: 1.0.0
        title: Ages
        parameters: {people: {type: cohort, entity: people, default: ""}}
        steps: [{id: ages, algorithm: frame, with: {entity: people, where: $people, columns: [age]}}]
        """))
    assert [p.name for p in tiny.protocols] == ["ages"]
    (tiny_dir / "protocols" / "ages_v2.yaml").write_text(
        (tiny_dir / "protocols" / "ages.yaml").read_text().replace("1.0.0", "2.0.0").replace("[age]", "[age, name]")
    )
    assert tiny.protocols.ages.version == "2.0.0"  # the newest is the default
    assert tiny.run("ages@1.0.0").to_polars().columns == ["age"]

    (tiny_dir / "data" / "people.csv").write_text((tiny_dir / "data" / "people.csv").read_text() + "6,Flo,38,1,0,2024-06-01\n")
    Product.open(tiny_dir).build()  # another process builds a new snapshot
    assert tiny.snapshot().id != first
    assert tiny.protocols.ages().to_polars().height == 6


def test_use_pins_a_snapshot_and_results_say_which(tiny, tiny_dir):
    first = tiny.snapshot().id
    (tiny_dir / "data" / "people.csv").write_text((tiny_dir / "data" / "people.csv").read_text() + "6,Flo,38,1,0,2024-06-01\n")
    second = tiny.build().id
    tiny.use(first[:10])
    assert tiny.frame("people").height == 5
    assert tiny.run_plugin("summary", entity="people").snapshot == first
    assert tiny.run_plugin("summary", entity="people", snapshot="latest").snapshot == second
    tiny.use(None)
    assert tiny.frame("people").height == 6
    with pytest.raises(SnapshotNotFoundError):
        tiny.use("ffffffff")


def test_rerun_reproduces_a_result_exactly(actg):
    result = actg.protocols.compare_arms()
    again = result.rerun()
    assert again.to_polars().equals(result.to_polars())
    assert {k: v for k, v in again.provenance.items() if k != "history_id"} == {
        k: v for k, v in result.provenance.items() if k != "history_id"
    }


def test_rich_displays_of_every_object(actg):
    product_html = actg._repr_mimebundle_()["text/html"]
    assert "actg175" in product_html and "survival" in product_html and actg.snapshot().id[:12] in product_html
    assert "group" in actg.protocols.survival._repr_mimebundle_()["text/html"]
    card, chart = actg.protocols.survival().display_bundles()
    assert chart["application/vnd.vegalite.v5+json"]["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    assert "text/html" not in chart  # frontends would show the HTML and hide the chart
    assert "<table" in card["text/html"] and "survival@1.0.0" in card["text/plain"]
    assert "<table" in actg.snapshots()._repr_mimebundle_()["text/html"]
    assert "cox_model" in actg.plugins()._repr_mimebundle_()["text/html"]
    assert "<DataProduct actg175" in repr(actg)


def test_a_cohort_object_filters_a_frame(actg, actg_dir):
    older = Product.open(actg_dir).cohort("patients", "age >= 50")
    assert actg.frame("patients", where=older).height == actg.frame("patients", where="age >= 50").height
    with pytest.raises(ParameterError, match="a cohort of labs is needed; this one filters 'patients'"):
        actg.frame("labs", where=older)
