"""The Snapshots and Artifacts sections in a real JupyterLab and a real Chromium: build with
progress, tag, verify, diff, use; load an artifact, use one in a form, delete one."""

from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, expect

from jupyter_dataproduct.core.product import Product
from tests.browsers import PANEL, SHOWN_NOTEBOOK
# Records every value the build's progress bar shows (a build may end between two polls).
WATCH_PROGRESS = """() => {
  window.__progress = [];
  new MutationObserver(() => {
    for (const bar of document.querySelectorAll('.jp-DataProduct-progress')) {
      window.__progress.push(bar.getAttribute('value'));
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['value']});
  // Toasts close after 5 s, maybe before a loaded machine lists the new row: record each one.
  window.__toasts = [];
  new MutationObserver(() => {
    for (const toast of document.querySelectorAll('.jp-Notification-Toast-success, .Toastify__toast')) {
      window.__toasts.push(toast.textContent);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def open_section(page, title: str):
    """Open the panel and expand the section called ``title``; return the panel."""
    tab = page.locator('.jp-SideBar [data-id="jp-dataproduct-panel"]')
    if not page.locator(PANEL).is_visible():
        tab.click()
    panel = page.locator(PANEL)
    expect(panel.locator('.jp-DataProduct-product[data-product="actg175"]')).to_be_visible()
    panel.locator('.jp-DataProduct-product[data-product="actg175"]').click()
    header = panel.locator(".jp-AccordionPanel-title", has_text=title)
    if header.get_attribute("aria-expanded") != "true":
        header.click()
    return panel


def test_build_tag_verify_diff_and_use_a_snapshot(page, lab, screenshot):
    panel = open_section(page, "Snapshots")
    section = panel.locator(".jp-DataProduct-snapshots")
    rows = section.locator(".jp-DataProduct-snapshot")
    expect(rows).to_have_count(1)
    first_id = rows.first.get_attribute("data-snapshot")
    expect(rows.first).to_contain_text("patients 2,139")

    # New data, then Build: the progress bar moves and the new snapshot is listed first.
    data = lab.root / "examples" / "actg175" / "data" / "actg175.csv"
    data.write_text(data.read_text() + '"2140",990078,45,77.3,1,0,0,100,0,0,1,0,0,1,0,1,0,1,0,911,930,NA,0,885,526,0,1045,3\n')
    page.evaluate(WATCH_PROGRESS)
    section.locator(".jp-DataProduct-buildButton").click()
    try:  # a picture of the bar part-way (the build may also finish before it is taken)
        section.locator(".jp-DataProduct-progress[value]").wait_for(timeout=30_000)
        panel.screenshot(path=str(screenshot.folder / "snapshots-building.png"))
    except PlaywrightTimeoutError:
        pass
    expect(rows).to_have_count(2, timeout=120_000)
    new = section.locator(".jp-DataProduct-snapshot.jp-mod-new")
    expect(new).to_contain_text("patients 2,140")
    seen = [float(v) for v in page.evaluate("window.__progress") if v is not None]
    assert seen and max(seen) > 0, seen
    page.wait_for_function("() => window.__toasts.some(text => text.includes('Built snapshot'))", timeout=30_000)
    screenshot(page, "snapshots-built")

    # Tag it: a bad name is refused with the rule, a good one shows as a chip.
    new.locator(".jp-DataProduct-tagButton").click()
    page.locator(".jp-Dialog input").fill("latest")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    expect(section.locator(".jp-DataProduct-snapshotsMessage")).to_contain_text("not a tag name")
    new.locator(".jp-DataProduct-tagButton").click()
    page.locator(".jp-Dialog input").fill("v2")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    expect(new.locator(".jp-DataProduct-tag", has_text="v2")).to_be_visible()

    # Verify: intact.
    new.locator(".jp-DataProduct-verify").click()
    expect(new.locator(".jp-DataProduct-verified")).to_contain_text("intact")
    screenshot(page, "snapshots-verified")

    # Diff the two: a main-area view with the row-count change of patients.
    for row in rows.all():
        row.locator(".jp-DataProduct-pick").check()
    section.locator(".jp-DataProduct-diffButton").click()
    view = page.locator(".jp-DataProduct-diff")
    expect(view).to_be_visible()
    patients = view.locator('.jp-DataProduct-diffEntity[data-entity="patients"]')
    expect(patients).to_contain_text("2,139")
    expect(patients).to_contain_text("+1")
    screenshot(page, "snapshots-diff")
    screenshot(page, "readme-snapshots", clip={"x": 0, "y": 0, "width": 1080, "height": 960})  # docs/images/snapshots.png

    # Use the older one: a cell pins the notebook, and the row says so.
    page.evaluate("async () => { await window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }")
    page.wait_for_selector(".jp-Notebook")
    old = section.locator(f'.jp-DataProduct-snapshot[data-snapshot="{first_id}"]')
    old.locator(".jp-DataProduct-use").click()
    cell = page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(has_text="%dataproduct snapshot use")
    expect(cell).to_have_count(1)
    source = cell.locator(".jp-InputArea-editor").inner_text()
    assert f"%dataproduct snapshot use {first_id} --product actg175" in source
    expect(cell.locator(".jp-OutputArea")).to_contain_text(first_id[:12], timeout=120_000)
    expect(old.locator(".jp-DataProduct-pinned")).to_be_visible()
    panel.screenshot(path=str(screenshot.folder / "snapshots-panel.png"))
    screenshot(page, "snapshots-pinned")


def test_load_use_as_parameter_and_delete_artifacts(page, lab, screenshot):
    product = Product.open(lab.root / "examples" / "actg175")
    product.save_cohort("older50", "patients", "age >= 50")
    product.save_cohort("younger30", "patients", "age < 30")
    panel = open_section(page, "Artifacts")
    section = panel.locator(".jp-DataProduct-artifacts")
    older = section.locator('.jp-DataProduct-artifact[data-artifact="older50"]')
    expect(older).to_contain_text("cohort of patients")

    # Provenance expands.
    older.locator(".jp-DataProduct-disclosure").click()
    expect(older.locator(".jp-DataProduct-provenance")).to_contain_text("snapshot")
    screenshot(page, "artifacts-provenance")

    # Use as a parameter: no form open, then into the compare_arms form.
    older.locator(".jp-DataProduct-useParameter").click()
    expect(section.locator(".jp-DataProduct-artifactsMessage")).to_contain_text("Open a protocol's form first")
    panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]').click()
    expect(panel.locator(".jp-DataProduct-form")).to_be_visible()
    screenshot(page, "artifacts-form-open")
    older.locator(".jp-DataProduct-useParameter").click()
    cohort_a = panel.locator('.jp-DataProduct-form [data-parameter="cohort_a"]')
    expect(cohort_a.locator("select").filter(has=page.locator('option[value="older50"]')).first).to_have_value("older50")
    expect(section.locator(".jp-DataProduct-artifactsMessage")).to_contain_text("cohort_a of compare_arms is now @older50")
    screenshot(page, "artifacts-parameter")

    # Load it into a variable: a cell, run.
    older.locator(".jp-DataProduct-load").click()
    cell = page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(has_text="%dataproduct load older50")
    expect(cell).to_have_count(1)
    assert "%dataproduct load older50 -o older50 --product actg175" in cell.locator(".jp-InputArea-editor").inner_text()
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=120_000)
    expect(cell.locator(".jp-OutputArea")).to_contain_text("age >= 50")
    expect(cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)

    # Delete: asked first; cancel keeps it, Delete removes it.
    younger = section.locator('.jp-DataProduct-artifact[data-artifact="younger30"]')
    younger.locator(".jp-DataProduct-deleteArtifact").click()
    expect(page.locator(".jp-Dialog")).to_contain_text("younger30")
    screenshot(page, "artifacts-delete-confirm")
    page.locator(".jp-Dialog .jp-mod-reject").click()
    expect(younger).to_be_visible()
    younger.locator(".jp-DataProduct-deleteArtifact").click()
    page.locator(".jp-Dialog .jp-mod-warn").click()
    expect(younger).to_have_count(0)
    assert "younger30" not in [a.name for a in product.artifacts.list()]
    panel.screenshot(path=str(screenshot.folder / "artifacts-panel.png"))


def test_a_reader_sees_no_build_tag_verify_or_delete(page, lab, reader_product, screenshot):
    tab = page.locator('.jp-SideBar [data-id="jp-dataproduct-panel"]')
    if not page.locator(PANEL).is_visible():
        tab.click()
    panel = page.locator(PANEL)
    panel.locator(f'.jp-DataProduct-product[data-product="{reader_product}"]').click()
    for title in ("Snapshots", "Artifacts"):
        header = panel.locator(".jp-AccordionPanel-title", has_text=title)
        if header.get_attribute("aria-expanded") != "true":
            header.click()
    snapshots = panel.locator(".jp-DataProduct-snapshots")
    expect(snapshots.locator(".jp-DataProduct-role")).to_have_text("reader")
    row = snapshots.locator(".jp-DataProduct-snapshot").first
    expect(row.locator(".jp-DataProduct-use")).to_be_visible()
    for hidden in (".jp-DataProduct-tagButton", ".jp-DataProduct-verify"):
        expect(row.locator(hidden)).to_have_count(0)
    expect(snapshots.locator(".jp-DataProduct-buildButton")).to_have_count(0)
    artifact = panel.locator('.jp-DataProduct-artifact[data-artifact="served_older"]')
    expect(artifact.locator(".jp-DataProduct-load")).to_be_visible()
    expect(artifact.locator(".jp-DataProduct-deleteArtifact")).to_have_count(0)
    panel.screenshot(path=str(screenshot.folder / "snapshots-reader.png"))
