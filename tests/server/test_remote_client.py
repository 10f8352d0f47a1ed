"""``connect("http://...")`` against a real server gives what ``connect(folder)`` gives."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from jupyter_dataproduct import connect
from jupyter_dataproduct.client.remote import RemoteConnectionError, RemoteTransport
from jupyter_dataproduct.core.errors import (
    ArtifactNotFoundError, ColumnNotFoundError, ParameterError, PluginError, ProtocolNotFoundError,
    SnapshotNotFoundError,
)
from jupyter_dataproduct.contract.errors import ForbiddenError, UnauthorizedError

RUNS = [
    ("compare_arms", {"cohort_a": "arms == 'ZDV'", "cohort_b": "arms in (1, 2) and age >= 40"}),
    ("survival", {"group": "arms"}),
    ("baseline_summary", {"variables": ["age", "cd40", "gender"]}),
    ("cd4_response", {"threshold": 75, "week": 96}),
    ("patients", {}),
]


@pytest.fixture(scope="module")
def remote(product_url, tokens):
    return connect(product_url, token=tokens["admin"])


@pytest.fixture(scope="module")
def local(served_dirs):
    return connect(served_dirs["actg175"])


def without_history(provenance: dict) -> dict:
    return {k: v for k, v in provenance.items() if k != "history_id"}


def test_connect_gives_a_remote_data_product(remote, local, product_url):
    assert not remote.is_local and remote.location == product_url
    assert remote.name == "actg175"
    info, expected = remote.info, local.info
    assert info["location"] == product_url
    assert {k: v for k, v in info.items() if k != "location"} == {k: v for k, v in expected.items() if k != "location"}
    assert [s.id for s in remote.snapshots()] == [s.id for s in local.snapshots()]
    assert remote.snapshot().id == local.snapshot().id
    assert remote._transport.protocols() == local._transport.protocols()
    assert remote._transport.protocol("compare_arms") == local._transport.protocol("compare_arms")
    without_file = lambda plugins: [{k: v for k, v in p.items() if k != "file"} for p in plugins]  # noqa: E731
    assert without_file(remote._transport.plugins()) == without_file(local._transport.plugins())
    assert not [p["file"] for p in remote._transport.plugins() if str(p["file"] or "").startswith("/")]  # never the server's folders
    assert remote.verify()["ok"] is True
    assert "<DataProduct actg175" in repr(remote)


@pytest.mark.parametrize("protocol,parameters", RUNS)
def test_protocol_results_are_identical_to_local(remote, local, protocol, parameters):
    here = local.run(protocol, **parameters)
    there = remote.run(protocol, **parameters)
    assert there._core.equals(here._core)
    for name in here.tables:
        assert there.tables[name].schema == here.tables[name].schema
    assert without_history(there.provenance) == without_history(here.provenance)
    assert there.provenance["history_id"] != here.provenance.get("history_id")


def test_protocol_attribute_calls_and_results_work_remotely(remote):
    result = remote.protocols.survival(group="race")
    assert result.to_polars("median").height == 2 and result.to_arrow("curve").num_rows > 0
    assert result.to_pandas("median").shape[0] == 2


@pytest.mark.parametrize("kwargs", [
    {},
    {"where": "age >= 40 and arms in (1, 2)", "columns": ["pidnum", "age", "arms"]},
    {"where": {"or": [{"column": "gender", "op": "==", "value": "female"}, {"column": "cd40", "op": "<", "value": 250}]}},
    {"where": "age > 500"},
    {"columns": "pidnum,cd40", "limit": 17},
])
def test_frames_are_identical_to_local(remote, local, kwargs):
    there, here = remote.frame("patients", **kwargs), local.frame("patients", **kwargs)
    assert there.schema == here.schema
    assert there.equals(here)


def test_a_readers_results_offer_no_buttons_the_server_would_refuse(remote, product_url, tokens):
    from jupyter_dataproduct.client.bundle import RESULT_MIME

    reader = connect(product_url, token=tokens["reader"])
    assert not reader.may_run_and_save and remote.may_run_and_save
    cohort = "gender == 'female'"
    read = reader.frame("patients", where=cohort)
    assert read._repr_mimebundle_()[RESULT_MIME]["code"]["save"] == []  # saving a cohort needs an analyst
    assert remote.frame("patients", where=cohort)._repr_mimebundle_()[RESULT_MIME]["code"]["save"]
    # A result an analyst saved, loaded by a reader: no save or re-run, the form still opens.
    result = remote.run("survival", group="arms", cohort="karnof >= 90")
    remote.save(result, "survival_for_readers", overwrite=True)
    code = reader.load("survival_for_readers").value._repr_mimebundle_()[RESULT_MIME]["code"]
    assert code["save"] == [] and code["rerun"] is None and code["open"]["protocol"] == "survival"
    analyst_code = result._repr_mimebundle_()[RESULT_MIME]["code"]
    assert len(analyst_code["save"]) == 2 and analyst_code["rerun"]


def test_a_large_frame_arrives_in_many_batches_intact(base_url, tokens, served_dirs):
    synthetic = connect(f"{base_url}/api/products/actg_synthetic", token=tokens["synthetic_reader"])
    there = synthetic.frame("patients")
    here = connect(served_dirs["actg_synthetic"]).frame("patients")
    assert there.height == 200_000 and there.equals(here)
    assert synthetic.frame("patients", library="pandas").shape == (200_000, here.width)


def test_the_stream_reader_copes_with_any_chunking():
    """Messages split anywhere by the network: reads inside a chunk, across many, and a cut-off end."""
    import io

    import polars as pl
    import pyarrow as pa

    from jupyter_dataproduct.client.remote import _ResponseFile

    frame = pl.DataFrame({"a": range(50_000), "b": pl.Series(["x", "y"] * 25_000, dtype=pl.Enum(["x", "y"])),
                          "c": [1.5, None] * 25_000})
    sink = io.BytesIO()
    table = frame.to_arrow()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=7_000)
    data = sink.getvalue()
    for size in (1, 7, 4096, 65_536, len(data)):
        chunks = (data[i:i + size] for i in range(0, len(data), size))
        received = pl.from_arrow(pa.ipc.open_stream(_ResponseFile(chunks)).read_all(), rechunk=False)
        assert received.equals(frame)
    with pytest.raises((pa.ArrowInvalid, OSError)):  # a stream cut short
        pa.ipc.open_stream(_ResponseFile(iter([data[: len(data) // 2]]))).read_all()


def test_errors_arrive_as_the_same_classes(remote, tokens, product_url):
    with pytest.raises(ParameterError, match="threshold"):
        remote.run("cd4_response", threshold=5000)
    with pytest.raises(ProtocolNotFoundError):
        remote.run("no_such_protocol")
    with pytest.raises(ColumnNotFoundError):
        remote.frame("patients", columns=["pidnum", "nope"])
    with pytest.raises(SnapshotNotFoundError):
        remote.snapshot("nosuchtag")
    with pytest.raises(ArtifactNotFoundError):
        remote.load("never_saved")
    with pytest.raises(UnauthorizedError):
        connect(product_url, token="dp_nope_nope").snapshots()
    with pytest.raises(UnauthorizedError):
        connect(product_url).info
    with pytest.raises(ForbiddenError):
        connect(product_url, token=tokens["reader"]).run("survival")
    with pytest.raises(ForbiddenError):
        connect(product_url, token=tokens["survival_only"]).run("compare_arms")


def test_the_token_may_come_from_the_environment(product_url, tokens, monkeypatch):
    monkeypatch.setenv("DATAPRODUCT_TOKEN", tokens["reader"])
    assert connect(product_url).name == "actg175"


def test_urls_name_the_product_or_the_server_serves_one(base_url, tokens):
    # The admin token reads only actg175 of the two products, so the bare server URL resolves to it.
    assert connect(base_url, token=tokens["admin"]).location == f"{base_url}/actg175"
    assert connect(f"{base_url}/api/products/actg175/", token=tokens["admin"]).location == f"{base_url}/actg175"
    assert connect(f"{base_url}/actg_synthetic", token=tokens["synthetic_reader"]).name == "actg_synthetic"


def test_a_server_url_must_name_the_product_when_the_token_reads_several(base_url, served_dirs):
    from jupyter_dataproduct.server.tokens import TokenStore

    reader_of_both = TokenStore.for_product(served_dirs["actg175"]).create("reader")[0]
    store = TokenStore.for_product(served_dirs["actg_synthetic"])
    entries = store._read()
    entries.append({**TokenStore.for_product(served_dirs["actg175"])._read()[-1], "id": "both0001"})
    store._write(entries)  # the same token valid for both products
    with pytest.raises(ParameterError, match="serves 2 products"):
        connect(base_url, token=reader_of_both)


def test_unreachable_servers_say_so():
    with pytest.raises(RemoteConnectionError, match="Cannot reach"):
        RemoteTransport("http://127.0.0.1:9/actg175", token="dp_x", timeout=2).snapshots()
    with pytest.raises(ParameterError):
        RemoteTransport("ftp://example.org/actg175")


def test_artifacts_round_trip(remote, local):
    saved = remote.save("age >= 50", "remote_older", entity="patients", overwrite=True)
    assert saved.kind == "cohort" and saved.summary["rows"] > 0
    loaded = remote.load("remote_older")
    assert loaded.value.entity == "patients" and loaded.value.tree == local.load("remote_older").value.tree
    by_cohort = remote.run("survival", cohort="@remote_older")
    assert by_cohort._core.equals(local.run("survival", cohort="@remote_older")._core)

    result = remote.run("compare_arms", cohort_a="arms == 0", cohort_b="arms == 1")
    result.save("remote_comparison", overwrite=True)
    stored = remote.load("remote_comparison")
    assert stored.kind == "result" and stored.value._core.equals(result._core)
    assert {"remote_older", "remote_comparison"} <= {a.name for a in remote.artifacts()}
    remote.delete_artifact("remote_older")
    remote.delete_artifact("remote_comparison")
    with pytest.raises(ArtifactNotFoundError):
        local.load("remote_older")


def test_a_result_without_a_history_entry_is_saved_by_rerunning_it(remote):
    result = remote.run("survival", group="race")
    provenance = {k: v for k, v in result.provenance.items() if k != "history_id"}
    remote._transport.save_result("rerun_saved", type(result._core)(provenance=provenance), overwrite=True)
    assert remote.load("rerun_saved").value._core.equals(result._core)
    remote.delete_artifact("rerun_saved")


def test_history_rerun_and_history_result(remote):
    result = remote.run("cd4_response", threshold=60)
    entries = remote.history(5)
    assert result.provenance["history_id"] in [e["id"] for e in entries]
    again = remote.history_result(result.provenance["history_id"])
    assert again._core.equals(result._core)
    assert result.rerun()._core.equals(result._core)


def test_build_tag_and_diff_for_admins(remote):
    events = []
    snapshot = remote.build(progress=events.append)
    assert snapshot.rows["patients"] == 2139 and events
    assert remote.tag("remote_v1")["id"] == snapshot.id
    assert remote.snapshot("remote_v1").id == snapshot.id
    assert remote.diff("remote_v1", "latest") is not None


def test_concurrent_clients_get_identical_answers(product_url, tokens, local):
    expected_run = local.run("compare_arms", cohort_a="arms == 0", cohort_b="arms == 3")._core
    expected_frame = local.frame("patients", where="cd40 < 300")

    def work(i: int) -> bool:
        client = connect(product_url, token=tokens["analyst"])
        if i % 2:
            return client.run("compare_arms", cohort_a="arms == 0", cohort_b="arms == 3")._core.equals(expected_run)
        return client.frame("patients", where="cd40 < 300").equals(expected_frame)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(24)))


def test_a_client_that_breaks_off_a_stream_leaves_the_server_fine(base_url, tokens, headers):
    url = f"{base_url}/api/products/actg_synthetic/entities/patients/frame"
    auth = {"Authorization": f"Bearer {tokens['synthetic_reader']}"}
    for _ in range(3):
        with httpx.Client(timeout=30) as client, client.stream("GET", url, headers=auth) as response:
            assert response.status_code == 200
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 200_000:
                    break  # leave with most of the body unread; the connection is closed
    time.sleep(0.3)
    assert httpx.get(f"{base_url}/api/health", timeout=60).json()["status"] == "ok"
    whole = httpx.get(url, params={"format": "csv", "columns": "pidnum"}, headers=auth, timeout=60)
    assert whole.status_code == 200 and whole.text.count("\n") == 200_001
    assert threading.active_count() < 100


def test_the_magics_work_against_a_server(product_url, tokens, capsys):
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_dataproduct.kernel.session import Session

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_dataproduct")
    magics = shell.magics_manager.registry["DataProductMagics"]
    magics.session = Session()
    try:
        connected = shell.run_line_magic("dataproduct", f"connect {product_url} --token {tokens['analyst']}")
        assert connected.location == product_url
        result = shell.run_line_magic("dataproduct", "run survival group=race")
        assert result.values["p_value"] > 0
        frame = shell.run_line_magic("dataproduct", 'frame patients --where "age >= 40" --columns pidnum,age,arms')
        assert frame.columns == ["pidnum", "age", "arms"] and frame["age"].min() >= 40
        capsys.readouterr()
        shell.run_line_magic("dataproduct", "frame patients")
        assert "frame patients:" in capsys.readouterr().err  # a server's frame shows its bytes arriving
    finally:
        magics.session = Session()


def test_a_remote_frame_reports_the_bytes_arriving(base_url, tokens, served_dirs):
    from jupyter_dataproduct.core.progress import ProgressEvent

    for codec in ("none", "lz4"):  # the bytes counted are those on the wire, compressed or not
        # Arrow for whole entities too (the Parquet file's progress: tests/client/test_remote_parquet.py)
        remote = connect(f"{base_url}/actg_synthetic", token=tokens["synthetic_reader"], compression=codec, parquet=False)
        for where in (None, "age >= 40"):  # whole (cached, Content-Length) and filtered (streamed)
            events: list[ProgressEvent] = []
            frame = remote.frame("patients", where=where, progress=events.append)
            assert frame.height == connect(served_dirs["actg_synthetic"]).frame("patients", where=where).height
            done = [e.done for e in events]
            assert done == sorted(done) and len(events) >= (2 if codec == "none" else 1)  # never going back
            assert events[-1].done == events[-1].total > 1_000_000  # the end: every byte, of a known total


# -- plugins written in cells, for a product behind a URL ---------------------------------------

CELL = '''
import polars as pl

def arm_sizes(patients: pl.LazyFrame, minimum_age: int = 0) -> pl.DataFrame:
    """Patients per arm."""
    return patients.filter(pl.col("age") >= minimum_age).group_by("arms").len().sort("arms").collect()
'''


def test_a_cell_plugin_runs_in_the_kernel_on_frames_from_the_server(product_url, tokens, local):
    remote = connect(product_url, token=tokens["analyst"])  # its own session of cell plugins
    plugin = remote.define_plugin("arm_sizes", CELL)
    assert plugin.parameters == ["patients", "minimum_age"]
    assert "arm_sizes" in [p.name for p in remote.plugins()]

    result = remote.run_plugin("arm_sizes", patients="gender == 'female'", minimum_age=30)
    expected = (
        local.frame("patients", where="gender == 'female' and age >= 30")
        .group_by("arms").len().sort("arms")
    )
    assert result.to_polars().equals(expected)
    assert result.provenance["ran_in"] == "notebook kernel"
    assert result.provenance["snapshot"] == local.snapshot().id
    assert result.rerun().to_polars().equals(result.to_polars())


def test_a_cell_plugin_result_is_not_saved_on_the_server(product_url, tokens):
    remote = connect(product_url, token=tokens["analyst"])
    remote.define_plugin("arm_sizes", CELL)
    with pytest.raises(ParameterError, match="computed in this kernel by the cell plugin 'arm_sizes'"):
        remote.run_plugin("arm_sizes").save("sizes")


def test_exporting_a_cell_plugin_of_a_server_writes_it_here(product_url, tokens, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    remote = connect(product_url, token=tokens["analyst"])
    remote.define_plugin("arm_sizes", CELL)
    target = remote.export_plugin("arm_sizes")
    assert target == str(tmp_path / "plugins" / "arm_sizes.py")
    assert "@plugin\ndef arm_sizes(" in (tmp_path / "plugins" / "arm_sizes.py").read_text()
    with pytest.raises(PluginError, match="already exists; export with --force"):
        remote.export_plugin("arm_sizes")


def test_a_cell_plugin_needing_the_snapshot_itself_is_refused_remotely(product_url, tokens):
    remote = connect(product_url, token=tokens["analyst"])
    remote.define_plugin("peek", "def peek(ctx):\n    return ctx.scan('patients').collect().height\n")
    with pytest.raises(ParameterError, match="takes ctx, which only exists where the snapshot is"):
        remote.run_plugin("peek")
