"""``%dataproduct`` through a real IPython shell: the commands a notebook user types."""

from __future__ import annotations

import textwrap

import pandas as pd
import polars as pl
import pytest
from IPython.core.error import UsageError

from jupyter_dataproduct.client import DataProduct
from jupyter_dataproduct.client.display import VEGALITE_MIME as VEGALITE
from jupyter_dataproduct.client.result import Result
from jupyter_dataproduct.core.product import Product


@pytest.fixture
def tiny(tiny_dir):
    Product.open(tiny_dir).build()
    return tiny_dir


@pytest.fixture
def actg(actg_dir):
    Product.open(actg_dir).build()
    return actg_dir


def test_the_bare_magic_prints_help(run, capsys):
    assert run("%dataproduct") is None
    out = capsys.readouterr().out
    assert "%dataproduct connect TARGET" in out and "%%dataproduct plugin NAME" in out


def test_connect_returns_the_product_and_list_shows_it(run, actg, capsys):
    product = run(f"%dataproduct connect {actg} --as trial")
    assert isinstance(product, DataProduct) and product.name == "actg175"
    capsys.readouterr()
    protocols = run("%dataproduct list")
    assert "'name': 'trial'" in capsys.readouterr().out  # the connected products, displayed
    assert {"compare_arms", "survival", "cox_model"} <= set(dir(protocols))


def test_several_products_are_addressed_by_name(run, tiny, actg):
    run(f"%dataproduct connect {tiny} --as small")
    run(f"%dataproduct connect {actg} --as trial")
    small = run("%dataproduct frame people --product small")
    trial = run("%dataproduct frame patients")  # the last connected is the default
    assert small.height == 5 and trial.height == 2139
    with pytest.raises(UsageError, match=r"No connected product 'other'; connected: small, trial"):
        run("%dataproduct frame people --product other")


def test_run_returns_a_result_and_stores_it_with_o(run, ip, actg):
    run(f"%dataproduct connect {actg}")
    result = run("""%dataproduct run compare_arms cohort_a="arms == 'ZDV'" cohort_b="arms == 'ddI'" variables=age,cd40 -o cmp""")
    assert isinstance(result, Result) and ip.user_ns["cmp"] is result
    assert sorted(result.to_polars()["variable"].to_list()) == ["age", "cd40"]
    assert result.provenance["parameters"]["cohort_a"]["text"] == "arms == 'ZDV'"
    assert result.snapshot == Product.open(actg).snapshot().id


def test_run_warns_when_the_cohorts_overlap(run, actg, capsys):
    run(f"%dataproduct connect {actg}")
    capsys.readouterr()
    run("""%dataproduct run compare_arms cohort_a="age < 40" cohort_b="age >= 30" variables=age""")
    err = capsys.readouterr().err
    assert "Warning: cohorts overlap:" in err and "rows are in both A and B" in err
    run("""%dataproduct run compare_arms cohort_a="age < 40" cohort_b="age >= 40" variables=age""")
    assert "overlap" not in capsys.readouterr().err


def test_assignment_to_a_line_magic_and_no_variable_expansion(run, ip, tiny):
    run(f"%dataproduct connect {tiny}")
    run('older = %dataproduct frame people --where "age >= 40" --columns name,age')
    older = ip.user_ns["older"]
    assert isinstance(older, pl.DataFrame)
    assert older.columns == ["name", "age"] and sorted(older["name"].to_list()) == ["Bo", "Di", "Ed"]
    ip.user_ns["min_age"] = 40  # the line reaches the magic as written (JSON cohorts need that)
    with pytest.raises(UsageError, match=r"age >= \{min_age\}"):
        run('%dataproduct frame people --where "age >= {min_age}"')


def test_frame_library_setting_returns_pandas(run, tiny):
    run(f"%dataproduct connect {tiny}")
    run("%config DataProductMagics.frame_library = 'pandas'")
    frame = run("%dataproduct frame people --limit 2")
    assert isinstance(frame, pd.DataFrame) and len(frame) == 2


def test_a_bad_setting_is_refused_and_the_old_one_kept(run, ip, caplog):
    run("%config DataProductMagics.frame_library = 'excel'")
    assert "expected any of ['polars', 'pandas'], not the str 'excel'" in caplog.text
    assert ip.magics_manager.registry["DataProductMagics"].frame_library == "polars"


def test_default_product_connects_on_first_use(run, tiny):
    run(f"%config DataProductMagics.default_product = '{tiny}'")
    assert run("%dataproduct frame people").height == 5


def test_errors_are_one_clear_message(ip, tiny, capsys):
    ip.run_cell(f"%dataproduct connect {tiny}")
    capsys.readouterr()
    outcome = ip.run_cell("%dataproduct frame people --where 'shoe_size > 3'")
    assert isinstance(outcome.error_in_exec, UsageError)
    message = str(outcome.error_in_exec)
    assert "shoe_size" in message and "age" in message  # names the column and what exists
    assert "Traceback" not in capsys.readouterr().out


def test_connecting_a_missing_folder_names_it(ip, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=f"No data product at {tmp_path / 'examples' / 'actg175'}: the folder does not exist"):
        ip.run_line_magic("dataproduct", "connect examples/actg175")


def test_debug_shows_the_traceback(ip, tiny, capsys):
    ip.run_cell(f"%dataproduct connect {tiny}")
    capsys.readouterr()
    ip.run_cell("%dataproduct frame people --where 'shoe_size > 3' --debug")
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_commands_need_a_connection_and_unknown_ones_are_named(run):
    with pytest.raises(UsageError, match="No data product connected yet"):
        run("%dataproduct snapshots")
    with pytest.raises(UsageError, match=r"Unknown subcommand 'frobnicate'; subcommands: .*connect"):
        run("%dataproduct frobnicate")
    with pytest.raises(UsageError, match=r"%dataproduct frame: .*arguments are required: entity"):
        run("%dataproduct frame")


def test_snapshot_build_use_verify_and_diff(run, tiny_dir, capsys):
    product = run(f"%dataproduct connect {tiny_dir}")
    first = run("%dataproduct snapshot build")
    assert first.rows == {"people": 5, "visits": 8}
    (tiny_dir / "data" / "people.csv").write_text((tiny_dir / "data" / "people.csv").read_text() + "6,Flo,38,1,0,2024-06-01\n")
    second = run("%dataproduct snapshot build")
    assert second.id != first.id and [s.id for s in run("%dataproduct snapshots")][:2] == [second.id, first.id]

    assert run("%dataproduct frame people").height == 6  # latest by default
    run(f"%dataproduct snapshot use {first.id[:8]}")
    assert run("%dataproduct frame people").height == 5  # pinned on purpose
    assert run("%dataproduct run summary entity=people").snapshot == first.id
    assert product.pinned == first.id
    run("%dataproduct snapshot use latest")
    assert run("%dataproduct frame people").height == 6

    assert run("%dataproduct snapshot verify")["ok"] is True
    diff = run(f"%dataproduct snapshot diff {first.id[:8]} {second.id[:8]}")
    assert "people" in str(diff)


def test_build_progress_is_shown(run, tiny_dir, capsys):
    run(f"%dataproduct connect {tiny_dir}")
    run("%dataproduct snapshot build")
    assert "published" in capsys.readouterr().err


def test_new_protocols_plugins_and_snapshots_are_seen_without_reconnecting(run, tiny_dir):
    run(f"%dataproduct connect {tiny_dir}")
    run("%dataproduct snapshot build")
    assert "oldest" not in dir(run("%dataproduct list"))
    (tiny_dir / "plugins").mkdir()
    (tiny_dir / "plugins" / "oldest.py").write_text(textwrap.dedent("""\
        import polars as pl
        from jupyter_dataproduct import plugin

        @plugin
        def oldest(people: pl.LazyFrame) -> pl.DataFrame:
            return people.sort("age", descending=True).head(1).collect()
        """))
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "protocols" / "eldest.yaml").write_text(textwrap.dedent("""\
        name: eldest
        version: 1.0.0
        title: The eldest person
        parameters:
          people: {type: cohort, entity: people, default: ""}
        steps:
          - {id: eldest, algorithm: oldest, with: {people: $people}}
        """))
    result = run("%dataproduct run eldest people='smoker == true'")
    assert result.to_polars()["name"].to_list() == ["Di"]
    assert "oldest" in [p.name for p in run("%dataproduct plugins")]


def test_a_plugin_written_in_a_cell_runs_at_once_and_exports(run, ip, tiny, capsys):
    run(f"%dataproduct connect {tiny}")
    ip.run_cell(textwrap.dedent('''\
        %%dataproduct plugin mean_age
        import polars as pl

        def mean_age(people: pl.LazyFrame, rounding: int = 1) -> pl.DataFrame:
            """Mean age of a cohort."""
            return people.select(pl.col("age").mean().round(rounding)).collect()
        '''))
    assert "Plugin mean_age(people, rounding) is ready" in capsys.readouterr().out
    result = run("%dataproduct run mean_age people='group == \"treated\"'")
    assert result.to_polars()["age"].to_list() == [pytest.approx(52.7)]

    run("%dataproduct plugin export mean_age")
    exported = tiny / "plugins" / "mean_age.py"
    assert "@plugin\ndef mean_age(" in exported.read_text()
    ip.run_cell("%%dataproduct plugin mean_age\ndef mean_age(people):\n    return 1\n")
    with pytest.raises(UsageError, match="already exists; export with --force"):
        run("%dataproduct plugin export mean_age")
    run("%dataproduct plugin export mean_age --force")
    assert "return 1" in exported.read_text()


def test_a_cell_plugin_that_raises_names_the_cell_line(run, ip, tiny):
    run(f"%dataproduct connect {tiny}")
    ip.run_cell("%%dataproduct plugin fails\ndef fails(people):\n    x = 1\n    raise ValueError('bad cohort')\n")
    with pytest.raises(UsageError, match=r"Plugin 'fails' raised .*line 3.*ValueError: bad cohort"):
        run("%dataproduct run fails")


def test_save_load_and_artifacts(run, ip, tiny):
    run(f"%dataproduct connect {tiny}")
    run("res = %dataproduct run summary entity=people")
    run("%dataproduct save res people_summary")
    run("%dataproduct save --cohort 'age >= 40' --entity people over_40")
    names = sorted(a.name for a in run("%dataproduct artifacts"))
    assert names == ["over_40", "people_summary"]
    loaded = run("%dataproduct load people_summary -o back")
    assert ip.user_ns["back"] is loaded
    assert loaded.to_polars().equals(ip.user_ns["res"].to_polars())
    assert run("%dataproduct frame people --where @over_40").height == 3
    with pytest.raises(UsageError, match="already"):
        run("%dataproduct save res people_summary")
    with pytest.raises(UsageError, match="'nothing' is not a result"):
        run("%dataproduct save nothing x")


def test_history_lists_newest_first_and_reruns(run, tiny):
    run(f"%dataproduct connect {tiny}")
    run("%dataproduct run summary entity=people")
    run("%dataproduct frame people")  # frames are reads, not analyses
    run("%dataproduct run summary entity=visits")
    history = run("%dataproduct history")
    assert [h["parameters"]["entity"] for h in history][:2] == ["visits", "people"]
    again = run(f"%dataproduct history --rerun {history[1]['id'][:20]}")
    assert again.provenance["parameters"]["entity"] == "people"
    saved = run(f"%dataproduct history --save {history[0]['id']} visits_summary")
    assert saved.name == "visits_summary"


def test_rich_displays(run, actg):
    product = run(f"%dataproduct connect {actg}")
    bundle = product._repr_mimebundle_()
    assert "compare_arms" in bundle["text/html"] and "actg175" in bundle["text/plain"]
    protocol = run("%dataproduct describe survival")
    assert "group" in protocol._repr_mimebundle_()["text/html"]
    result = run("%dataproduct run survival")
    data = result._repr_mimebundle_()
    assert result.snapshot[:12] in data["text/html"]  # provenance is shown


def test_a_result_displays_its_card_and_each_chart_as_separate_outputs(ip, actg):
    """JupyterLab shows one mimetype per output and ranks HTML above Vega-Lite: a chart
    sharing a bundle with the card would never show."""
    from IPython.utils.capture import capture_output

    ip.run_cell(f"%dataproduct connect {actg}")
    with capture_output() as captured:
        ip.run_cell("%dataproduct run survival")
    kinds = [sorted(o.data) for o in captured.outputs]
    # The card: HTML for other front ends, the app that JupyterLab's result renderer draws.
    assert kinds[0] == ["application/vnd.dataproduct.result.v1+json", "text/html", "text/plain"]
    assert len(kinds) == 2 and VEGALITE in kinds[1] and "text/html" not in kinds[1]
    assert captured.outputs[1].data[VEGALITE]["$schema"].endswith("v5.json")
    # The chart output names its chart, which the app draws in JupyterLab (there it shows nothing).
    assert captured.outputs[1].data["application/vnd.dataproduct.chart.v1+json"]["chart"] == "km_chart"


def test_an_r_plugin_cell(run, ip, tiny, capsys):
    from jupyter_dataproduct.core.errors import MissingDependencyError
    from jupyter_dataproduct.core.rplugins import start_r

    try:
        start_r()  # starts R the way the engine does (without leaking LD_LIBRARY_PATH)
    except MissingDependencyError as exc:
        pytest.skip(f"R cells need R and rpy2 (the r extra): {exc}")
    run(f"%dataproduct connect {tiny}")
    ip.run_cell(
        "%%dataproduct plugin n_smokers --lang r\n"
        "n_smokers <- function(people) data.frame(smokers = sum(people$smoker))\n"
    )
    assert "Plugin n_smokers(people) is ready" in capsys.readouterr().out
    assert run("%dataproduct run n_smokers").to_polars()["smokers"].to_list() == [2]
    run("%dataproduct plugin export n_smokers")
    assert (tiny / "plugins" / "n_smokers.R").read_text().startswith("n_smokers <- function(people)")


def test_the_engine_setting_chooses_the_engine_of_the_next_runs(run, ip, tiny, caplog, monkeypatch):
    from jupyter_dataproduct.client import connect
    from jupyter_dataproduct.client.options import options
    from jupyter_dataproduct.core.errors import EngineError

    run("%config DataProductMagics.engine = 'spark'")  # not an engine: refused, with what is allowed
    assert "use 'polars', 'spark-local[N]'" in caplog.text
    assert ip.magics_manager.registry["DataProductMagics"].engine == ""
    product = connect(tiny)
    product.build()
    # The setting is read at each run and comes before DATAPRODUCT_ENGINE (here not an engine).
    monkeypatch.setenv("DATAPRODUCT_ENGINE", "duckdb")
    run("%config DataProductMagics.engine = 'polars'")
    assert options.engine == "polars"
    assert product.run_plugin("summary", entity="people").provenance["engine"]["name"] == "polars"
    run("%config DataProductMagics.engine = ''")
    with pytest.raises(EngineError, match="Unknown engine 'duckdb'"):
        product.run_plugin("summary", entity="people")
    assert connect(tiny, engine="polars").run_plugin("summary", entity="people").provenance["engine"]["name"] == "polars"
    with pytest.raises(EngineError):
        connect(tiny, engine="spark")
