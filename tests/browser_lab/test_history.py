"""The History and Current notebook sections in a real JupyterLab and a real Chromium."""

from __future__ import annotations

import re
import shutil

from playwright.sync_api import expect

from jupyter_dataproduct.core.product import Product
from tests.browsers import SHOWN_NOTEBOOK, open_panel, wait_for_lab


def expand(panel, title: str):
    """Expand a section of the panel (they start collapsed) and return it."""
    heading = panel.locator(".jp-AccordionPanel-title").filter(has_text=re.compile(rf"^{title}"))
    if heading.get_attribute("aria-expanded") != "true":
        heading.click()
    expect(heading).to_have_attribute("aria-expanded", "true")
    return heading


def run_from_the_form(page, panel):
    """compare_arms with cohort A = ZDV and age >= 40 and four variables, run into a notebook."""
    panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]').click()
    form = panel.locator(".jp-DataProduct-form")
    cohort_a = form.locator('[data-parameter="cohort_a"]')
    cohort_a.locator(".jp-DataProduct-addCondition").click()
    cohort_a.get_by_label("Condition 2: column").select_option("age")
    cohort_a.get_by_label("Condition 2: operator").select_option(">=")
    cohort_a.get_by_label("Condition 2: value").fill("40")
    variables = form.locator('[data-parameter="variables"]')
    variables.get_by_role("button", name="none").click()
    for name in ("age", "wtkg", "karnof", "gender"):
        variables.get_by_role("checkbox", name=re.compile(rf"^{name} ")).check()
    expect(form.locator(".jp-DataProduct-ok")).to_be_visible()
    form.get_by_role("button", name="Run").click()
    cell = page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(has_text="%dataproduct run compare_arms")
    expect(cell.locator(".jp-OutputArea table").first).to_be_visible(timeout=120_000)


def test_a_run_shows_in_history_reruns_and_opens_its_form_pre_filled(page, lab, screenshot):
    page.goto(lab.lab_url("lab/workspaces/history"))
    wait_for_lab(page)
    panel = open_panel(page)
    run_from_the_form(page, panel)

    expand(panel, "History")
    history = panel.locator(".jp-DataProduct-history")
    entries = history.locator(".jp-DataProduct-historyEntry")
    expect(entries).to_have_count(1)
    first = entries.first
    expect(first).to_contain_text("compare_arms")
    expect(first).to_contain_text("v1.0.0")
    expect(first.locator(".jp-DataProduct-snapshotId")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    expect(first.locator(".jp-DataProduct-params").first).to_contain_text("cohort_a=arms == 'ZDV' and age >= 40")
    expect(first.locator(".jp-DataProduct-params").first).to_contain_text("variables=[4 items: age, wtkg, …]")
    screenshot(page, "history-list")
    first.locator("summary").click()
    expect(first.locator("dd").last).to_have_text("[age, wtkg, gender, karnof]")
    entry_id = first.get_attribute("data-history-id")

    # Re-run: a %dataproduct history --rerun cell runs, and the history gains a newer entry.
    first.get_by_role("button", name="Re-run").click()
    rerun = page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(has_text=f"%dataproduct history --rerun {entry_id}")
    expect(rerun).to_have_count(1)
    assert "--product actg175 -o compare_arms_result" in rerun.locator(".jp-InputArea-editor").inner_text()
    expect(rerun.locator(".jp-OutputArea table").first).to_be_visible(timeout=120_000)
    expect(entries).to_have_count(2, timeout=30_000)
    assert entries.first.get_attribute("data-history-id") > entry_id
    expect(entries.first.locator(".jp-DataProduct-params").first).to_contain_text("age >= 40")
    # docs/images/history.png: the History section with room (Protocols and Form folded for it).
    folded = [h for h in panel.locator(".jp-AccordionPanel-title").all()
              if re.match(r"^(Protocols|Form)", h.inner_text().strip(), re.I) and h.get_attribute("aria-expanded") == "true"]
    for heading in folded:
        heading.click()
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    panel.screenshot(path=str(screenshot.folder / "history-readme.png"))
    for heading in folded:
        heading.click()

    # Save: a name asked in a dialog, then a %dataproduct history --save cell runs.
    entries.last.get_by_role("button", name="Save…").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("older_zdv_run")
    dialog.locator(".jp-mod-accept").click()
    saved = page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(
        has_text=f"%dataproduct history --save {entry_id} older_zdv_run --product actg175")
    expect(saved).to_have_count(1)
    expect(saved.locator(".jp-OutputArea")).to_contain_text("older_zdv_run", timeout=60_000)
    expect(saved.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)
    answer = page.request.get(f"{lab.url}/dataproduct/products/actg175/artifacts",
                              headers={"Authorization": f"token {lab.token}"})
    assert {"name": "older_zdv_run", "kind": "result"}.items() <= \
        next(a for a in answer.json()["artifacts"] if a["name"] == "older_zdv_run").items()

    # A fresh form (defaults), then the older entry's "Open form": its parameters are back.
    panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]').click()
    form = panel.locator(".jp-DataProduct-form")
    expect(form.locator('[data-parameter="cohort_a"] .jp-DataProduct-cohortLive')).to_have_text("arms == 'ZDV'")
    expand(panel, "History")
    entries.last.get_by_role("button", name="Open form").click()
    cohort_a = form.locator('[data-parameter="cohort_a"]')
    expect(cohort_a.locator(".jp-DataProduct-cohortLive")).to_have_text("arms == 'ZDV' and age >= 40")
    expect(cohort_a.get_by_label("Condition 2: column")).to_have_value("age")
    expect(cohort_a.get_by_label("Condition 2: value")).to_have_value("40")
    variables = form.locator('[data-parameter="variables"]')
    expect(variables).to_contain_text("4 of 27 selected")
    for name in ("age", "wtkg", "karnof", "gender"):
        expect(variables.get_by_role("checkbox", name=re.compile(rf"^{name} "))).to_be_checked()
    expect(variables.get_by_role("checkbox", name=re.compile(r"^hemo "))).not_to_be_checked()
    expect(form.locator(".jp-DataProduct-ok")).to_be_visible()
    screenshot(page, "history-form")


def test_the_open_protocol_command_drops_unknown_parameters_and_shows_refused_values(page, lab, screenshot):
    page.goto(lab.lab_url("lab/workspaces/history-command"))
    wait_for_lab(page)
    panel = open_panel(page)
    page.evaluate("""() => window.jupyterapp.commands.execute('dataproduct:open-protocol', {
        product: 'actg175', protocol: 'compare_arms@0.9.0',
        parameters: {cohort_b: {entity: 'patients', tree: {column: 'karnof', op: '<', value: 90},
                                text: 'karnof < 90'},
                     variables: ['age', 'no_such_column'], bogus: 1}})""")
    form = panel.locator(".jp-DataProduct-form")
    expect(panel.locator(".jp-DataProduct-formNote")).to_have_text(
        "Left out bogus: not a parameter of compare_arms v1.0.0. "
        "These parameters are from v0.9.0; the form is v1.0.0.")
    expect(form.locator('[data-parameter="cohort_b"] .jp-DataProduct-cohortLive')).to_have_text("karnof < 90")
    expect(form.locator('[data-parameter="cohort_a"] .jp-DataProduct-cohortLive')).to_have_text("arms == 'ZDV'")
    error = form.locator(".jp-DataProduct-validation .jp-DataProduct-error")
    expect(error).to_contain_text("variables")
    screenshot(page, "history-command-errors")


def run_cell(page, code: str) -> None:
    """Type ``code`` into a new cell at the end of the active notebook and run it."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:insert-cell-below'); }")
    editor = page.locator(f"{SHOWN_NOTEBOOK} .jp-Cell.jp-mod-active .cm-content")
    editor.click()
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")


def test_current_notebook_shows_the_kernels_products_and_pinned_snapshot(page, lab, screenshot):
    page.goto(lab.lab_url("lab/workspaces/current-notebook"))
    wait_for_lab(page)
    panel = open_panel(page)
    expand(panel, "Current notebook")
    current = panel.locator(".jp-DataProduct-current")
    expect(current).to_contain_text("No notebook is active: open or select one")

    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }")
    expect(page.locator(".jp-Notebook")).to_be_visible()
    expect(current.locator(".jp-DataProduct-currentStatus")).to_contain_text("has not loaded the magics", timeout=60_000)
    first_notebook = current.locator(".jp-DataProduct-currentNotebook").inner_text()

    # The panel's Connect writes and runs a %dataproduct connect cell: the kernel reports it.
    page.evaluate("() => { window.jupyterapp.commands.execute('dataproduct:connect-notebook', {product: 'actg175'}); }")
    row = current.locator('.jp-DataProduct-kernelProduct[data-product="actg175"]')
    expect(row).to_be_visible(timeout=60_000)
    expect(row).to_contain_text("not pinned: runs use the latest snapshot")
    expect(row).to_contain_text("default")
    expect(row).to_have_attribute("data-pinned", "")
    # A folder under the Jupyter root shows as the File Browser shows it; the tooltip has all of it.
    location = row.locator(".jp-DataProduct-location")
    expect(location).to_have_text("examples/actg175")
    expect(location).to_have_attribute("title", str(lab.root / "examples" / "actg175"))

    run_cell(page, "%dataproduct snapshot use latest")
    expect(row).to_have_attribute("data-pinned", re.compile(r"^[0-9a-f]{64}$"), timeout=60_000)
    pinned = row.get_attribute("data-pinned")
    expect(row.locator(".jp-DataProduct-pinned")).to_have_text(pinned[:12])
    screenshot(page, "current-notebook-pinned")

    run_cell(page, "%dataproduct snapshot use none")
    expect(row).to_have_attribute("data-pinned", "", timeout=60_000)
    run_cell(page, f"%dataproduct snapshot use {pinned[:10]}")
    expect(row).to_have_attribute("data-pinned", pinned, timeout=60_000)
    # A folder outside the root stays absolute.
    outside = lab.root.parent / "elsewhere" / "actg175"
    if not outside.exists():
        shutil.copytree(lab.root / "examples" / "actg175", outside, symlinks=True)
    run_cell(page, f"%dataproduct connect {outside} --as elsewhere")
    far = current.locator('.jp-DataProduct-kernelProduct[data-product="elsewhere"] .jp-DataProduct-location')
    expect(far).to_have_text(str(outside), timeout=60_000)

    # Another notebook: its own kernel has nothing; back to the first: its products again.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }")
    expect(current.locator(".jp-DataProduct-currentNotebook")).not_to_have_text(first_notebook)
    expect(current.locator(".jp-DataProduct-currentStatus")).to_contain_text("has not loaded the magics", timeout=60_000)
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab").filter(has_text=first_notebook).click()
    expect(row).to_have_attribute("data-pinned", pinned)

    # A restarted kernel has lost its products.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-kernel'); }")
    page.locator(".jp-Dialog").get_by_role("button", name="Confirm Kernel Restart").click()
    expect(current.locator(".jp-DataProduct-currentStatus")).to_contain_text("has not loaded the magics", timeout=60_000)
    expect(row).to_have_count(0)


def test_a_reader_sees_runs_but_no_rerun_or_save(page, lab, reader_product, screenshot):
    """Re-run and save fetch a run's result, which the server refuses a reader: no buttons."""
    Product.open(lab.root / "examples" / "actg175").run("compare_arms", {"cohort_a": "age >= 60", "variables": ["wtkg"]})
    panel = open_panel(page)
    panel.locator(f'.jp-DataProduct-product[data-product="{reader_product}"]').click()
    expand(panel, "History")
    history = panel.locator(".jp-DataProduct-history")
    entry = history.locator(".jp-DataProduct-historyEntry").first
    expect(entry).to_contain_text("compare_arms")
    expect(entry.locator(".jp-DataProduct-historyForm")).to_be_visible()
    expect(entry.locator(".jp-DataProduct-rerun")).to_have_count(0)
    expect(entry.locator(".jp-DataProduct-historySave")).to_have_count(0)
    expect(history.locator(".jp-DataProduct-historyRole")).to_have_text(
        "reader token: re-running or saving a run needs an analyst token.")
    panel.screenshot(path=str(screenshot.folder / "history-reader.png"))

    # The user's own folder: every button.
    panel.locator('.jp-DataProduct-product[data-product="actg175"]').click()
    expect(history.locator(".jp-DataProduct-historyRole")).to_have_count(0)
    own = history.locator(".jp-DataProduct-historyEntry").first
    expect(own.locator(".jp-DataProduct-rerun")).to_be_visible()
    expect(own.locator(".jp-DataProduct-historySave")).to_be_visible()
