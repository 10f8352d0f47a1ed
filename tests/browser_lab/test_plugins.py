"""The Plugins section in a real JupyterLab and Chromium: the listing, the sources, and the
round trip of a plugin written in a cell (run it, test it, export it, see it listed, call
it from a protocol, run it from the panel's form), from the UI alone."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

from playwright.sync_api import expect

from tests.browsers import wait_for_lab
from tests.servers import dataproduct_serve

PANEL = "#jp-dataproduct-panel"

PLUGIN_CELL = '''%%dataproduct plugin old_share --product actg175
import polars as pl


def old_share(patients: pl.LazyFrame, age: int = 50):
    """Share of patients older than an age"""
    return patients.select((pl.col("age") > age).mean().alias("share")).collect()'''

PROTOCOL_CELL = '''%%writefile examples/actg175/protocols/old_share_by_age.yaml
name: old_share_by_age
version: 1.0.0
title: Share of older patients
description: The share of patients older than an age (the old_share plugin).
parameters:
  cohort: {type: cohort, entity: patients, title: Patients, default: ""}
  age: {type: int, title: Older than (years), minimum: 0, maximum: 120, default: 50}
steps:
  - id: share
    algorithm: old_share
    with: {patients: $cohort, age: $age}
outputs:
  share: {type: table}
tests:
  - name: a share between 0 and 1
    expect:
      share: {rows: 1, values: {share: {min: 0.0, max: 1.0}}}'''


def open_plugins(page):
    tab = page.locator('.jp-SideBar [data-id="jp-dataproduct-panel"]')
    if not page.locator(PANEL).is_visible():
        tab.click()
    panel = page.locator(PANEL)
    expect(panel.locator('.jp-DataProduct-product[data-product="actg175"]')).to_be_visible()
    section = panel.locator(".jp-DataProduct-pluginsSection")
    if not section.is_visible():
        panel.locator(".jp-AccordionPanel-title", has_text=re.compile(r"^Plugins")).click()
    expect(section).to_be_visible()
    return panel, section


def new_notebook(page):
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }")
    notebook = page.locator(".jp-NotebookPanel:visible")
    expect(notebook.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_be_visible(timeout=60_000)
    return notebook


def write_cell(page, cell, text: str) -> None:
    """Replace a cell's text (inserted as typed text, so the editor does not re-indent it)."""
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def run_new_cell(page, notebook, text: str):
    """Write ``text`` in a cell at the end (the empty last one, or a new one) and run it
    (Shift+Enter), as a user does; the cell's locator stays on that cell."""
    cells = notebook.locator(".jp-Cell")
    last = cells.nth(cells.count() - 1)
    if last.locator(".jp-InputArea-editor").inner_text().strip():
        last.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Escape")
        page.keyboard.press("b")
        expect(cells.nth(cells.count() - 1).locator(".jp-InputArea-editor")).to_have_text("")
    cell = cells.nth(cells.count() - 1)
    write_cell(page, cell, text)
    page.keyboard.press("Shift+Enter")
    return cell


def test_plugins_are_listed_by_language_and_open_in_the_editor(page, screenshot):
    panel, section = open_plugins(page)
    # The first listing loads the product's plugins on the server: give it time on a busy machine.
    expect(section.locator('[data-plugin="cd4_response"] .jp-DataProduct-pluginKind')).to_have_text("Python", timeout=60_000)
    expect(section.locator('[data-plugin="cox_model"] .jp-DataProduct-pluginKind')).to_have_text("R")
    expect(section.locator('[data-plugin="arm_profile"] .jp-DataProduct-pluginKind')).to_have_text("Notebook")
    expect(section.locator('[data-plugin="cd4_response"]')).to_contain_text("(patients, threshold, week)")
    builtins = section.locator(".jp-DataProduct-builtins")
    expect(builtins).not_to_have_attribute("open", "")
    expect(builtins.locator('[data-plugin="survival"]')).to_be_hidden()
    builtins.locator("summary").click()
    expect(builtins.locator('[data-plugin="survival"]')).to_be_visible()
    expect(builtins.locator('[data-plugin="survival"] .jp-DataProduct-pluginSource')).to_have_count(0)
    screenshot(page, "plugins-list")

    section.locator('[data-plugin="cox_model"] .jp-DataProduct-pluginSource').click()
    editor = page.locator(".jp-FileEditor:visible")
    expect(editor).to_contain_text("cox_model <- function")
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")).to_contain_text("cox_model.R")
    screenshot(page, "plugins-source")
    section.locator('[data-plugin="arm_profile"] .jp-DataProduct-pluginSource').click()
    expect(page.locator(".jp-NotebookPanel:visible")).to_be_visible()
    expect(page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")).to_contain_text("arm_profile.ipynb")
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")


def test_a_plugin_goes_from_a_cell_to_the_product_and_a_protocol_from_the_ui_alone(page, lab, screenshot):
    page.goto(lab.lab_url("lab/workspaces/plugins-round-trip"))  # a layout of its own
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=90_000)
    wait_for_lab(page)
    notebook = new_notebook(page)
    panel, section = open_plugins(page)

    # New plugin from a cell: the dialog asks the name and the language.
    section.locator(".jp-DataProduct-newPlugin").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator('input[name="name"]').fill("old_share")
    dialog.get_by_label("Language").select_option("python")
    screenshot(page, "plugins-new-dialog")
    dialog.get_by_role("button", name="Insert cell").click()
    expect(notebook.locator(".jp-CodeCell").filter(has_text="%%dataproduct plugin old_share")).to_have_count(1, timeout=60_000)
    template = notebook.locator(".jp-CodeCell").nth(1)  # below the set-up cell; later cells go below it
    expect(template).to_contain_text("%%dataproduct plugin old_share")
    expect(template).to_contain_text("--product actg175")
    expect(notebook.locator(".jp-CodeCell").first).to_contain_text("%dataproduct connect examples/actg175")

    # Write the plugin in the cell and run it: defined for this session at once.
    write_cell(page, template, PLUGIN_CELL)
    page.keyboard.press("Shift+Enter")
    expect(template.locator(".jp-OutputArea")).to_contain_text("Plugin old_share(patients, age) is ready")

    # Try it and test it on the snapshot.
    tried = run_new_cell(page, notebook, "%dataproduct run old_share age=40 --product actg175 -o tried")
    expect(tried.locator(".jp-OutputArea")).to_contain_text("share", timeout=60_000)
    check = run_new_cell(page, notebook, 'share = tried.to_polars()["share"][0]\nassert 0.2 < share < 0.3, share\nprint(f"tested: {share:.3f}")')
    expect(check.locator(".jp-OutputArea")).to_contain_text(re.compile(r"tested: 0\.\d{3}"))

    # Export it from the panel, with the plugin cell active.
    template.locator(".jp-InputArea-editor").click()
    section.locator(".jp-DataProduct-exportPlugin").click()
    exported = notebook.locator(".jp-CodeCell").filter(has_text="%dataproduct plugin export old_share")
    expect(exported.locator(".jp-OutputArea")).to_contain_text("Exported plugin old_share", timeout=30_000)
    file = lab.root / "examples" / "actg175" / "plugins" / "old_share.py"
    assert file.is_file() and "@plugin\ndef old_share(" in file.read_text()
    row = section.locator('[data-plugin="old_share"]')
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("Share of patients older than an age")
    expect(row).to_contain_text("(patients, age)")
    screenshot(page, "plugins-exported")

    # Exporting again shows the kernel's refusals: the plugin left the session with the
    # export; defined again, the file exists and overwriting it must be confirmed.
    template.locator(".jp-InputArea-editor").click()
    section.locator(".jp-DataProduct-exportPlugin").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("No plugin 'old_share' defined in this session")
    dialog.get_by_role("button", name="Close").click()
    template.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    expect(template.locator(".jp-OutputArea")).to_contain_text("is ready")
    section.locator(".jp-DataProduct-exportPlugin").click()
    expect(dialog).to_contain_text("already exists")
    screenshot(page, "plugins-overwrite")
    dialog.get_by_role("button", name="Overwrite").click()
    forced = notebook.locator(".jp-CodeCell").filter(has_text="%dataproduct plugin export old_share --force")
    expect(forced.locator(".jp-OutputArea")).to_contain_text("Exported plugin old_share", timeout=30_000)

    # Call it from a protocol: written in a cell, listed in the panel, run from its form.
    run_new_cell(page, notebook, PROTOCOL_CELL)
    run_new_cell(page, notebook, "!python -m jupyter_dataproduct.cli test examples/actg175 old_share_by_age")
    tests = notebook.locator(".jp-CodeCell").filter(has_text="cli test examples/actg175")
    expect(tests.locator(".jp-OutputArea")).to_contain_text("protocol tests: 1 passed, 0 failed", timeout=60_000)
    panel.get_by_role("button", name="Refresh data products").click()
    protocol = panel.locator('.jp-DataProduct-protocol[data-protocol="old_share_by_age"]')
    expect(protocol).to_be_visible(timeout=30_000)
    protocol.click()
    form = panel.locator(".jp-DataProduct-form")
    expect(form.locator(".jp-DataProduct-ok")).to_be_visible(timeout=30_000)
    form.get_by_role("button", name="Run").click()
    ran = notebook.locator(".jp-CodeCell").filter(has_text="%dataproduct run old_share_by_age")
    expect(ran.locator(".jp-OutputArea table").first).to_be_visible(timeout=60_000)
    expect(ran.locator(".jp-OutputArea")).to_contain_text("share")

    # Run the exported plugin itself through its form.
    open_plugins(page)
    section.locator('[data-plugin="old_share"] .jp-DataProduct-pluginRun').click()
    expect(form).to_be_visible()
    expect(panel.locator(".jp-DataProduct-formSection")).to_contain_text("plugin old_share")
    age = form.locator('input[id$="age"]')
    expect(age).to_have_value("50")
    age.fill("60")
    expect(form.locator(".jp-DataProduct-ok")).to_be_visible(timeout=30_000)
    screenshot(page, "plugins-form")
    form.get_by_role("button", name="Run").click()
    direct = notebook.locator(".jp-CodeCell").filter(has_text="%dataproduct run old_share age=60")
    expect(direct).to_contain_text("--product actg175 -o old_share_result")
    expect(direct.locator(".jp-OutputArea table").first).to_be_visible(timeout=60_000)
    screenshot(page, "plugins-roundtrip")


def test_a_servers_plugin_source_shows_read_only_only_where_the_server_shares_it(page, lab, screenshot, tmp_path):
    page.goto(lab.lab_url("lab/workspaces/plugins-remote"))  # a layout of its own
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=90_000)
    wait_for_lab(page)
    folder = tmp_path / "actg175"
    shutil.copytree(lab.root / "examples" / "actg175", folder, symlinks=True)
    token = subprocess.run([sys.executable, "-m", "jupyter_dataproduct.cli", "token", "create", str(folder), "--role", "reader"],
                           check=True, capture_output=True, text=True).stdout.split()[0]
    panel, section = open_plugins(page)
    with dataproduct_serve(folder) as closed, dataproduct_serve(folder, options=("--share-plugin-source",)) as shared:
        for name, base in (("closed", closed), ("shared", shared)):
            panel.get_by_role("button", name="Add a data product").click()
            dialog = page.locator(".jp-Dialog")
            dialog.locator('input[name="location"]').fill(f"{base}/actg175")
            dialog.locator('input[name="name"]').fill(name)
            dialog.locator('input[name="token"]').fill(token)
            dialog.get_by_role("button", name="Add").click()
            expect(panel.locator(f'.jp-DataProduct-product[data-product="{name}"]')).to_contain_text("v1.0.0")

        panel.locator('.jp-DataProduct-product[data-product="closed"]').click()
        expect(section.locator('[data-plugin="cd4_response"]')).to_contain_text("plugins/cd4_response.py")
        section.locator('[data-plugin="cd4_response"] .jp-DataProduct-pluginSource').click()
        refusal = page.locator(".jp-Dialog")
        expect(refusal).to_contain_text("does not share its plugins' source")
        expect(refusal).to_contain_text("--share-plugin-source")
        refusal.get_by_role("button", name="Close").click()

        panel.locator('.jp-DataProduct-product[data-product="shared"]').click()
        expect(section.locator('[data-plugin="cox_model"]')).to_be_visible()
        section.locator('[data-plugin="cox_model"] .jp-DataProduct-pluginSource').click()
        viewer = page.locator(".jp-DataProduct-sourceViewer:visible")
        expect(viewer).to_contain_text("cox_model <- function(patients")
        expect(viewer).to_contain_text("shared: plugins/cox_model.R (read-only")
        expect(viewer.locator("textarea, [contenteditable=true]")).to_have_count(0)
        screenshot(page, "plugins-remote-source")
        section.locator('[data-plugin="arm_profile"] .jp-DataProduct-pluginSource').click()
        expect(page.locator(".jp-DataProduct-sourceViewer:visible")).to_contain_text("---- cell 1 (markdown) ----")
        for name in ("closed", "shared"):
            panel.get_by_role("button", name=f"Remove {name}").click()
            page.locator(".jp-Dialog").get_by_role("button", name="Remove").click()
    assert token not in page.content()
