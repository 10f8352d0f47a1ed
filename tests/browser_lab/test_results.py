"""Results and frames rendered as apps by the labextension's MIME renderer, in a real
JupyterLab and Chromium; and the same notebook exported by nbconvert, without the renderer.

The notebook is executed once by ``jupyter nbconvert --execute`` (a real kernel on this
worktree's code); the browser tests open it with its outputs, and the tests of the buttons
run it again in JupyterLab so that its kernel holds the connections.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_lab.conftest import REPO
from tests.browsers import SHOWN_NOTEBOOK

RESULT = ".jp-DataProduct-result"
ROWS = 10_000
NOTEBOOK = "results.ipynb"

READINGS_MANIFEST = """\
name: readings
version: 0.1.0
title: Readings
description: Ten thousand synthetic readings, to page through.
owners: [Test Team]
license: CC0
sources:
  readings: {kind: csv, path: data/readings.csv}
model:
  entities:
    readings:
      source: readings
      key: id
      columns:
        id: {type: int, required: true}
        label: {type: string}
        value: {type: int}
        ratio: {type: float}
"""

CELLS = [
    "%load_ext jupyter_dataproduct",
    "%dataproduct connect readings",
    "big = %dataproduct frame readings -o big\nbig",
    "%dataproduct connect examples/actg175",
    "km = %dataproduct run survival group=arms cohort=\"karnof >= 90\"\nkm",
    "%dataproduct frame patients --where \"age >= 40\" --columns pidnum,age,arms -o older",
]


def reading(i: int) -> dict:
    """Row ``i`` (1-based) of the readings product: values that sort differently from the id."""
    return {"id": i, "label": f"r{i:05d}", "value": (i * 7919) % 10007, "ratio": round(i / 7, 3)}


def write_notebook(path: Path, sources: list[str] = CELLS) -> None:
    cells = [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}
             for source in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                           "language": "python"}},
                                "nbformat": 4, "nbformat_minor": 5}))


def execute_in_place(notebook: Path, lab, **environment: str) -> None:
    """Run ``notebook`` top to bottom with nbconvert (a real kernel) and save its outputs in it."""
    env = {**os.environ, **environment,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    "--ExecutePreprocessor.timeout=300", "--ExecutePreprocessor.startup_timeout=180", str(notebook)],
                   check=True, capture_output=True, cwd=lab.root, env=env)


@pytest.fixture(scope="module")
def executed(lab) -> Path:
    """The results notebook beside examples/ and a 10,000-row product, executed by nbconvert."""
    product = lab.root / "readings"
    (product / "data").mkdir(parents=True)
    (product / "dataproduct.yaml").write_text(READINGS_MANIFEST)
    lines = ["id,label,value,ratio"] + [",".join(map(str, reading(i).values())) for i in range(1, ROWS + 1)]
    (product / "data" / "readings.csv").write_text("\n".join(lines) + "\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-m", "jupyter_dataproduct.cli", "build", str(product)], check=True,
                   capture_output=True, env=env)
    notebook = lab.root / NOTEBOOK
    write_notebook(notebook)
    execute_in_place(notebook, lab)
    return notebook


def open_notebook(page, lab, name: str = NOTEBOOK):
    # Nothing returned: Playwright would try to serialize the notebook widget.
    page.evaluate(f"() => {{ void window.jupyterapp.commands.execute('docmanager:open', {{path: '{name}'}}); }}")
    page.wait_for_function(
        "(name) => { const shown = window.jupyterapp.shell.currentWidget;"
        f" return shown?.context?.path === name && shown.node.querySelector('{RESULT}') !== null; }}",
        arg=name, timeout=60_000)
    page.wait_for_selector(f"{SHOWN_NOTEBOOK} {RESULT}", timeout=60_000)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=60_000)


def run_all(page):
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(
        "() => { const p = window.jupyterapp.shell.currentWidget;"
        " return p.content.widgets.every(c => c.model.type !== 'code' || (c.model.executionCount !== null"
        " && !c.node.querySelector('.jp-InputPrompt')?.textContent.includes('*')))"
        " && p.sessionContext.session.kernel.status === 'idle'; }", timeout=180_000)


def cell_with(page, text: str):
    return page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(has=page.locator(".jp-InputArea-editor", has_text=text))


def visible_rows(table) -> list[list[str]]:
    return table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.textContent))")


def test_a_survival_result_draws_its_kaplan_meier_chart_once(executed, page, screenshot):
    open_notebook(page, None)
    result = cell_with(page, "run survival").locator(f"{RESULT}[data-kind='result']")
    expect(result).to_have_count(1)
    expect(result.locator(".jp-DataProduct-resultTitle")).to_have_text("survival@1.0.0")
    chart = result.locator(".jp-DataProduct-resultChart[data-chart='km_chart']")
    drawn = chart.locator(".jp-RenderedVegaLite svg, .jp-RenderedVegaLite canvas")
    expect(drawn.first).to_be_visible(timeout=30_000)
    box = drawn.first.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    # Drawn once: the chart's own output (for nbconvert and other front ends) shows nothing here.
    saved = json.loads(executed.read_text())
    outputs = [o for c in saved["cells"] for o in c["outputs"] if "application/vnd.vegalite.v5+json" in o.get("data", {})]
    assert len(outputs) == 1
    assert page.locator(f"{SHOWN_NOTEBOOK} .jp-RenderedVegaLite").count() == 1
    expect(page.locator(f"{SHOWN_NOTEBOOK} .jp-DataProduct-chartMarker")).to_have_count(1)
    expect(page.locator(f"{SHOWN_NOTEBOOK} .jp-DataProduct-chartMarker")).to_be_hidden()
    # Tables, values and provenance.
    for name in ("curve", "median", "log_rank"):
        expect(result.locator(f".jp-DataProduct-resultTable[data-table='{name}']")).to_be_visible()
    expect(result.locator(".jp-DataProduct-resultValues")).to_contain_text("p_value")
    provenance = result.locator(".jp-DataProduct-resultProvenance")
    expect(provenance.locator("summary")).to_contain_text("cohort=karnof >= 90")
    expect(provenance.locator("summary")).to_contain_text("history 20")
    result.scroll_into_view_if_needed()
    result.screenshot(path=str(screenshot.folder / "results-survival.png"))


def test_a_ten_thousand_row_frame_pages_to_its_last_row(executed, page, screenshot):
    open_notebook(page, None)
    result = cell_with(page, "frame readings").locator(f"{RESULT}[data-kind='frame']")
    table = result.locator(".jp-DataProduct-resultTable")
    expect(table.locator(".jp-DataProduct-pageInfo")).to_contain_text("rows 1–10 of 10,000")
    assert visible_rows(table)[0] == [str(v) for v in reading(1).values()]
    table.locator(".jp-DataProduct-pageLast").click()
    expect(table.locator(".jp-DataProduct-pageInfo")).to_contain_text("rows 9,991–10,000 of 10,000, page 1,000/1,000")
    rows = visible_rows(table)
    assert rows[-1] == [str(v) for v in reading(ROWS).values()]
    assert rows[0] == [str(v) for v in reading(ROWS - 9).values()]
    table.locator(".jp-DataProduct-pagePrev").click()
    assert visible_rows(table)[-1][0] == str(ROWS - 10)
    result.scroll_into_view_if_needed()
    result.screenshot(path=str(screenshot.folder / "results-frame-last-page.png"))


def test_sorting_a_column_orders_all_rows(executed, page, screenshot):
    open_notebook(page, None)
    table = cell_with(page, "frame readings").locator(f"{RESULT} .jp-DataProduct-resultTable")
    header = table.locator("th[data-column='value']")
    data = sorted((reading(i) for i in range(1, ROWS + 1)), key=lambda r: (r["value"], r["id"]))
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert [r[0] for r in visible_rows(table)] == [str(r["id"]) for r in data[:10]]
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending")
    top = sorted((reading(i) for i in range(1, ROWS + 1)), key=lambda r: (-r["value"], r["id"]))
    assert [r[2] for r in visible_rows(table)] == [str(r["value"]) for r in top[:10]]
    table.locator(".jp-DataProduct-pageLast").click()
    assert visible_rows(table)[-1][2] == str(data[0]["value"])  # the smallest value, last
    # By keyboard: a header takes the focus and sorts on Enter (back on the first page).
    label = table.locator("th[data-column='label']")
    label.focus()
    page.keyboard.press("Enter")
    expect(label).to_have_attribute("aria-sort", "ascending")
    assert [r[1] for r in visible_rows(table)][:2] == ["r00001", "r00002"]
    table.scroll_into_view_if_needed()
    table.screenshot(path=str(screenshot.folder / "results-sorted.png"))


def test_the_buttons_insert_the_code_that_reruns_copies_and_opens(executed, page):
    open_notebook(page, None)
    saved = json.loads(executed.read_text())
    app = next(o["data"]["application/vnd.dataproduct.result.v1+json"] for c in saved["cells"] for o in c["outputs"]
               if o.get("data", {}).get("application/vnd.dataproduct.result.v1+json", {}).get("kind") == "result")
    history_id = app["provenance"]["history_id"]
    run_all(page)
    km = cell_with(page, "run survival")
    result = km.locator(f"{RESULT}[data-kind='result']")
    # Copy as code: the run line that reproduces it, on this snapshot.
    result.locator(".jp-DataProduct-resultCopy").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("%dataproduct run survival group=arms cohort='karnof >= 90' --snapshot ")
    assert copied.endswith("-o survival_result")
    # Re-run: a cell below the result, with the history entry of the re-run result.
    fresh_id = result.locator(".jp-DataProduct-resultProvenance summary").inner_text().rsplit("history ", 1)[1].strip()
    assert re.fullmatch(r"\d{8}T\d{9}-[0-9a-f]{8}", fresh_id) and fresh_id != history_id  # run again in Lab
    result.locator(".jp-DataProduct-resultRerun").click()
    rerun = cell_with(page, "--rerun")
    expect(rerun).to_have_count(1)
    assert rerun.locator(".jp-InputArea-editor").inner_text().strip() == f"%dataproduct history --rerun {fresh_id}"
    expect(rerun.locator(f"{RESULT}[data-kind='result']")).to_be_visible(timeout=60_000)
    sources = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => c.model.sharedModel.getSource())")
    assert sources.index(f"%dataproduct history --rerun {fresh_id}") == sources.index(CELLS[4]) + 1  # right below
    # Open in panel: the panel's shared command, with the result's product, protocol and parameters.
    page.evaluate("() => { window.openedWith = []; window.jupyterapp.commands.commandExecuted.connect("
                  "(_, e) => { if (e.id === 'dataproduct:open-protocol') window.openedWith.push(e.args); }); }")
    result.locator(".jp-DataProduct-resultOpen").click()
    page.wait_for_function("() => window.openedWith.length === 1")
    assert page.evaluate("() => window.openedWith[0]") == {
        "product": "actg175", "protocol": "survival", "parameters": {"group": "arms", "cohort": "karnof >= 90"}}
    expect(page.locator("#jp-dataproduct-panel")).to_be_visible()
    # ... and the form it opens holds the result's cohort, ready to change and run again.
    cohort = page.locator('#jp-dataproduct-panel .jp-DataProduct-form [data-parameter="cohort"]')
    expect(cohort.locator(".jp-DataProduct-cohortLive")).to_have_text("karnof >= 90")


def test_save_a_cohort_from_a_result_and_use_it_in_a_form(executed, page, screenshot):
    open_notebook(page, None)
    run_all(page)
    result = cell_with(page, "run survival").locator(f"{RESULT}[data-kind='result']")
    result.locator(".jp-DataProduct-resultSave").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("select").select_option(label="the cohort cohort: karnof >= 90")
    dialog.locator(".jp-mod-accept").click()
    dialog.locator("input").fill("fit_patients")
    screenshot(page, "results-save-dialog")
    dialog.locator(".jp-mod-accept").click()
    saving = cell_with(page, "save --cohort")
    expect(saving).to_have_count(1)
    assert saving.locator(".jp-InputArea-editor").inner_text().strip() == (
        "%dataproduct save --cohort 'karnof >= 90' --entity patients fit_patients")
    expect(saving.locator(".jp-OutputArea")).to_contain_text("fit_patients", timeout=60_000)
    expect(result.locator(".jp-DataProduct-resultStatus")).to_contain_text("Ran the inserted cell")

    # The form's saved-cohort picker offers it.
    if not page.locator("#jp-dataproduct-panel").is_visible():
        page.locator('.jp-SideBar [data-id="jp-dataproduct-panel"]').click()
    page.locator('#jp-dataproduct-panel .jp-DataProduct-product[data-product="actg175"]').click()
    page.evaluate("() => { void window.jupyterapp.commands.execute('dataproduct:open-protocol', {protocol: 'survival'}); }")
    form = page.locator("#jp-dataproduct-panel .jp-DataProduct-form")
    expect(form).to_be_visible()
    cohort = form.locator('[data-parameter="cohort"]')
    cohort.get_by_role("radio", name="Saved").click()
    picker = cohort.locator("select")
    expect(picker.locator("option", has_text="@fit_patients")).to_have_count(1)
    picker.select_option("fit_patients")
    screenshot(page, "results-saved-cohort-in-form")


def test_the_exported_html_shows_the_tables_and_the_chart(executed, tmp_path):
    html_file = tmp_path / "results.html"
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output", str(html_file),
                    str(executed)], check=True, capture_output=True)
    html = html_file.read_text()
    # The result's card with its tables (HTML, not the app's Arrow) and the chart as an SVG picture.
    assert '<div class="dp-card"><h4>survival@1.0.0</h4>' in html
    card = html.split('<h4>survival@1.0.0</h4>', 1)[1].split('data-mime-type="image/svg+xml"', 1)[0]
    assert card.count('class="dp-table"') >= 4  # values, curve, median, log_rank (and the provenance)
    assert "n_risk" in card and "log_rank" in card
    pictures = re.findall(r'data-mime-type="image/svg\+xml"[^>]*>\s*<img[^>]*src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(pictures) == 1
    svg = base64.b64decode(pictures[0]).decode()
    assert svg.startswith("<svg") and "Time to event by group" in svg and svg.count("<path") > 100
    # The frames: polars' own HTML table with its shape.
    assert "shape: (10_000, 4)" in html and "r00001" in html


def test_a_readers_frame_offers_no_save_the_server_would_refuse(lab, reader_product, page, screenshot):
    # The kernel connects by the panel's named connection: the served ACTG 175 with a reader's token.
    notebook = lab.root / "reader.ipynb"
    write_notebook(notebook, ["%load_ext jupyter_dataproduct", f"%dataproduct connect {reader_product}",
                              '%dataproduct frame patients --where "age >= 40" --columns pidnum,age -o older'])
    execute_in_place(notebook, lab, DATAPRODUCT_CONNECTIONS=str(lab.connections))
    open_notebook(page, lab, notebook.name)
    frame = cell_with(page, "--columns pidnum,age -o older").locator(f"{RESULT}[data-kind='frame']")
    expect(frame.locator(".jp-DataProduct-resultCopy")).to_be_visible()
    expect(frame).to_contain_text("pidnum")
    expect(frame.locator(".jp-DataProduct-resultSave")).to_have_count(0)  # saving a cohort needs an analyst
    screenshot(page, "result-reader-frame")


def test_a_served_frames_progress_bar_shows_finished_when_reopened_and_when_run_again(lab, reader_product, page,
                                                                                         screenshot):
    # Executed and saved by nbconvert, then opened: the bar's last state is what the file holds.
    notebook = lab.root / "progress.ipynb"
    write_notebook(notebook, ["%load_ext jupyter_dataproduct", f"%dataproduct connect {reader_product}",
                              "%dataproduct frame patients --columns pidnum,age,arms -o everyone"])
    execute_in_place(notebook, lab, DATAPRODUCT_CONNECTIONS=str(lab.connections))
    open_notebook(page, lab, notebook.name)
    cell = cell_with(page, "-o everyone")

    def expect_one_finished_bar():
        bar = cell.locator("progress")
        expect(bar).to_have_count(1)  # redrawn in place, not one bar per update
        expect(bar).to_be_visible()
        assert bar.get_attribute("value") == bar.get_attribute("max") and int(bar.get_attribute("max")) > 1000
        expect(cell.locator(".jp-DataProduct-progress-output")).to_contain_text(re.compile(r"frame patients: 100% "))

    expect_one_finished_bar()
    screenshot(page, "progress-frame-reopened")
    # Run again in the page's own kernel (the panel's connections reach it through the Lab's environment).
    run_all(page)
    expect_one_finished_bar()
    expect(cell.locator(f"{RESULT}[data-kind='frame']")).to_contain_text("pidnum")
    screenshot(page, "progress-frame-live")
