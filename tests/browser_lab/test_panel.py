"""The Data Products sidebar in a real JupyterLab and a real Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browsers import PANEL, SHOWN_NOTEBOOK, open_panel, wait_for_lab


def test_the_icon_opens_the_panel_listing_the_example_product(page, screenshot):
    panel = open_panel(page)
    product = panel.locator('.jp-DataProduct-product[data-product="actg175"]')
    expect(product).to_be_visible()
    expect(product).to_contain_text("ACTG 175 clinical trial")
    expect(product).to_contain_text("v1.0.0")
    expect(panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]')).to_be_visible()
    screenshot(page, "panel")


def test_compare_arms_form_with_a_cohort_built_by_clicks_runs_into_the_notebook(page, screenshot):
    panel = open_panel(page)
    panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]').click()
    form = panel.locator(".jp-DataProduct-form")
    expect(form).to_be_visible()

    # Cohort A: the default row (arms == 'ZDV') and a second row built by clicks.
    cohort_a = form.locator('[data-parameter="cohort_a"]')
    cohort_a.locator(".jp-DataProduct-addCondition").click()
    cohort_a.get_by_label("Condition 2: column").select_option("age")
    cohort_a.get_by_label("Condition 2: operator").select_option(">=")
    cohort_a.get_by_label("Condition 2: value").fill("40")
    expect(cohort_a.locator(".jp-DataProduct-cohortLive")).to_have_text("arms == 'ZDV' and age >= 40")
    expect(cohort_a.locator(".jp-DataProduct-count")).to_have_text("146 of 2,139 patients")

    # Variables: none, then four of them.
    variables = form.locator('[data-parameter="variables"]')
    variables.get_by_role("button", name="none").click()
    for name in ("age", "wtkg", "karnof", "gender"):
        variables.get_by_role("checkbox", name=re.compile(rf"^{name} ")).check()
    expect(variables).to_contain_text("4 of 27 selected")
    expect(form.locator(".jp-DataProduct-ok")).to_be_visible()
    screenshot(page, "form-filled")
    panel.screenshot(path=str(screenshot.folder / "panel-form.png"))

    form.get_by_role("button", name="Run").click()
    cell = page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(has_text="%dataproduct run compare_arms")
    expect(cell).to_have_count(1)
    source = cell.locator(".jp-InputArea-editor").inner_text()
    assert "%load_ext jupyter_dataproduct" in source
    assert "%dataproduct connect examples/actg175" in source
    assert "cohort_a=\"arms == 'ZDV' and age >= 40\"" in source
    assert "--product actg175 -o compare_arms_result" in source
    output = cell.locator(".jp-OutputArea")
    expect(output.locator("table").first).to_be_visible(timeout=120_000)
    expect(output).to_contain_text("karnof")
    screenshot(page, "run-output")
    # For the README: a wider sidebar (dragged by its handle) and the cohort's live count.
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 1, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 90, box["y"] + 200, steps=5)
    page.mouse.up()
    cohort_a.locator(".jp-DataProduct-count").scroll_into_view_if_needed()
    screenshot(page, "readme-panel", clip={"x": 0, "y": 0, "width": 1280, "height": 860})
    chart = output.locator(".vega-embed svg, .vega-embed canvas")
    expect(chart.first).to_be_visible(timeout=30_000)


def test_products_added_and_removed_while_an_unreachable_one_shows_its_own_error(page, lab):
    answers: list[str] = []
    page.on("response", lambda r: answers.append(r.text()) if "/dataproduct/" in r.url and r.ok and r.status != 204 else None)
    panel = open_panel(page)
    offline = panel.locator('.jp-DataProduct-product[data-product="offline"]')
    expect(offline.locator(".jp-DataProduct-error")).to_be_visible()
    expect(panel.locator('.jp-DataProduct-product[data-product="actg175"]')).to_contain_text("v1.0.0")

    panel.get_by_role("button", name="Add a data product").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator('input[name="location"]').fill("examples/actg175")
    dialog.locator('input[name="name"]').fill("trial2")
    dialog.get_by_role("button", name="Add").click()
    added = panel.locator('.jp-DataProduct-product[data-product="trial2"]')
    expect(added).to_contain_text("ACTG 175 clinical trial")
    assert "trial2" in lab.connections.read_text()

    added.get_by_role("button", name="Remove trial2").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Remove").click()
    expect(added).to_have_count(0)
    assert "trial2" not in lab.connections.read_text()

    assert answers and not any(lab.offline_token in a for a in answers)
    assert lab.offline_token not in page.content()


def tab_to(page, target, presses: int = 80) -> None:
    """Press Tab until the focus is on ``target`` (a CSS selector or a locator): it must be
    reachable by keyboard."""
    locator = page.locator(target) if isinstance(target, str) else target
    for _ in range(presses):
        if locator.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} is not reachable with Tab")


def test_the_same_flow_by_keyboard_only(page, lab, screenshot):
    # A workspace of its own: a notebook restored from an earlier test would take the focus
    # (and close the palette) while this test types.
    page.goto(lab.lab_url("lab/workspaces/keyboard-only"))
    wait_for_lab(page)
    palette = page.locator("#modal-command-palette")
    for _ in range(5):  # retried: JupyterLab settles its keymaps and focus after loading
        page.keyboard.press("Control+Shift+C")
        try:
            expect(palette.locator("input")).to_be_focused(timeout=3000)
            page.keyboard.type("Open the Data Products panel")
            expect(palette.locator(".lm-CommandPalette-content")).to_contain_text(
                "Open the Data Products panel", timeout=3000)
            break
        except AssertionError:
            # The shortcut toggles the palette: close one that lost its focus or its text,
            # so the next press opens it afresh instead of closing it.
            if palette.is_visible():
                page.keyboard.press("Escape")
                expect(palette).to_be_hidden()
    expect(palette.locator(".lm-CommandPalette-content")).to_contain_text("Open the Data Products panel")
    page.keyboard.press("Enter")
    panel = page.locator(PANEL)
    expect(panel).to_be_visible()
    expect(panel.locator(":focus")).to_have_count(1)
    expect(panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]')).to_be_visible()

    tab_to(page, ".jp-DataProduct-filter")
    page.keyboard.type("compare_arms")
    expect(panel.locator(".jp-DataProduct-protocol")).to_have_count(1)
    tab_to(page, '.jp-DataProduct-protocol[data-protocol="compare_arms"]')
    page.keyboard.press("Enter")
    expect(page.locator("#jp-DataProduct-formTitle")).to_be_focused()

    # Cohort B: written as text, then back to the builder's rows.
    cohort_b = panel.locator('[data-parameter="cohort_b"]')
    tab_to(page, '[data-parameter="cohort_b"] [role="radio"]:nth-child(2)')
    page.keyboard.press("Enter")
    tab_to(page, '[data-parameter="cohort_b"] textarea')
    page.keyboard.press("Control+A")
    page.keyboard.type("arms == 'ZDV+ddI' and karnof < 90")
    for _ in range(3):  # Saved, Text, Builder
        page.keyboard.press("Shift+Tab")
    expect(cohort_b.get_by_role("radio", name="Builder")).to_be_focused()
    page.keyboard.press("Enter")
    expect(cohort_b.get_by_label("Condition 2: column")).to_have_value("karnof")
    expect(cohort_b.locator(".jp-DataProduct-cohortLive")).to_have_text("arms == 'ZDV+ddI' and karnof < 90")
    expect(cohort_b.locator(".jp-DataProduct-count")).to_contain_text("of 2,139 patients")

    # Variables: none, then age, by keyboard.
    variables = panel.locator('[data-parameter="variables"]')
    tab_to(page, variables.get_by_role("button", name="none"))
    page.keyboard.press("Enter")
    tab_to(page, variables.get_by_role("checkbox", name=re.compile("^age ")))
    page.keyboard.press("Space")
    expect(panel.locator('[data-parameter="variables"]')).to_contain_text("1 of 27 selected")

    tab_to(page, ".jp-DataProduct-run")
    page.keyboard.press("Enter")
    cell = page.locator(f"{SHOWN_NOTEBOOK} .jp-CodeCell").filter(has_text="cohort_b=\"arms == 'ZDV+ddI' and karnof < 90\"")
    expect(cell).to_have_count(1)
    expect(cell.locator(".jp-OutputArea table").first).to_be_visible(timeout=120_000)
    expect(cell.locator(".jp-OutputArea")).to_contain_text("age")
    expect(panel.locator(".jp-DataProduct-announce")).to_contain_text("compare_arms ran")
    screenshot(page, "keyboard-run")


def test_dark_theme(page, screenshot):
    panel = open_panel(page)
    try:
        page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        expect(page.locator('body[data-jp-theme-light="false"]')).to_have_count(1)
        panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]').click()
        expect(panel.locator(".jp-DataProduct-form")).to_be_visible()
        expect(panel.locator('[data-parameter="cohort_a"] .jp-DataProduct-count')).to_contain_text("of 2,139 patients")
        # The panel follows the theme: a dark background, light text.
        background, color = page.evaluate(
            """() => { const s = getComputedStyle(document.querySelector('.jp-DataProduct-formSection'));
                      const p = getComputedStyle(document.querySelector('#jp-dataproduct-panel'));
                      return [p.backgroundColor, s.color]; }"""
        )
        assert luminance(background) < 0.3 < luminance(color), (background, color)
        screenshot(page, "dark-theme")
    finally:
        page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
        expect(page.locator('body[data-jp-theme-light="true"]')).to_have_count(1)


def luminance(css_color: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def reload(page):
    page.reload()
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=90_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")


def test_a_missing_server_extension_says_how_to_enable_it(page):
    # As a server without the extension answers (the GET carries a cache-busting query).
    page.route("**/dataproduct/version*", lambda route: route.fulfill(status=404, body="Not Found"))
    reload(page)
    panel = open_panel(page)
    banner = panel.locator(".jp-DataProduct-banner.jp-mod-error")
    expect(banner).to_contain_text("jupyter server extension enable jupyter_dataproduct")
    expect(banner).to_have_attribute("role", "alert")


def test_a_version_mismatch_warns_and_the_panel_keeps_working(page):
    page.route("**/dataproduct/version*",
               lambda route: route.fulfill(status=200, content_type="application/json", body='{"version": "9.9.9"}'))
    reload(page)
    panel = open_panel(page)
    expect(panel.locator(".jp-DataProduct-banner.jp-mod-warning")).to_contain_text("9.9.9")
    expect(panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]')).to_be_visible()


def test_insert_from_the_context_menu_writes_the_cell_without_running_it(page):
    panel = open_panel(page)
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }")
    expect(page.locator(".jp-NotebookPanel .jp-Notebook")).to_be_visible()
    panel.locator('.jp-DataProduct-protocol[data-protocol="survival"]').click(button="right")
    page.locator(".lm-Menu-itemLabel", has_text="Insert protocol cell into the notebook").click()
    cell = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").filter(has_text="%dataproduct run survival")
    expect(cell).to_have_count(1)
    assert "%dataproduct connect examples/actg175" in cell.inner_text()
    expect(cell.locator(".jp-InputPrompt")).to_have_text("[ ]:")  # inserted, not run


def test_numbers_and_pick_lists_are_checked_at_once_and_a_protocol_drags_into_a_notebook(page, screenshot):
    panel = open_panel(page)
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3'}); }")
    notebook = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    expect(notebook).to_be_visible()
    row = panel.locator('.jp-DataProduct-protocol[data-protocol="cd4_response"]')
    row.click()
    form = panel.locator(".jp-DataProduct-form")
    threshold = form.locator("input#root_threshold")
    expect(threshold).to_have_value("50")
    expect(form.locator("select#root_week")).to_be_visible()
    threshold.fill("5000")  # above the maximum: flagged at once, in the browser
    expect(form.locator(".jp-DataProduct-validation .jp-DataProduct-error")).to_contain_text("1000")
    threshold.fill("80")
    form.locator("select#root_week").select_option(label="96")
    expect(form.locator(".jp-DataProduct-ok")).to_be_visible()
    screenshot(page, "form-numbers-enums")

    # Drag the protocol's row onto the notebook: a cell with the form's values.
    box, target = row.bounding_box(), notebook.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 10)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 20, steps=4)
    page.mouse.move(target["x"] + 200, target["y"] + 60, steps=12)
    page.mouse.up()
    cell = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").filter(has_text="%dataproduct run cd4_response")
    expect(cell).to_have_count(1)
    assert "threshold=80 week:=96" in cell.inner_text()
