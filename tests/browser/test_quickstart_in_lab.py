"""The quickstart as a user meets it: opened in a real JupyterLab in Chromium, run top to
bottom with "Run All Cells", every chart the results carry drawn on the page."""

from __future__ import annotations

import json
import time

VEGALITE = "application/vnd.vegalite.v5+json"

# The notebook panel's state, read in the page through the app JupyterLab exposes.
NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session?.kernel;
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  return {
    kernel: kernel ? kernel.status : 'none',
    busy: panel.sessionContext.session ? !!panel.sessionContext.pendingInput || kernel.status !== 'idle' : true,
    unrun: cells.filter(cell => cell.model.executionCount === null).length,
    queued: document.querySelectorAll('.jp-InputPrompt').length
      ? [...document.querySelectorAll('.jp-InputPrompt')].filter(p => p.textContent.includes('*')).length : 0,
    dirty: panel.context.model.dirty,
  };
}"""

DRAWN_CHARTS = "els => els.filter(el => el.querySelector('svg, canvas')).length"

# How the cards and the result apps lay out: none wider than its output area, whose tables
# scroll sideways, and the alignment the browser computed for a text and a number cell of
# a result's table.
CARD_LAYOUT = """() => {
  const cards = [...document.querySelectorAll('.jp-OutputArea-output .dp-card, .jp-OutputArea-output .jp-DataProduct-result')];
  const overflowing = cards.filter(card => {
    const area = card.closest('.jp-OutputArea-output').getBoundingClientRect();
    return card.getBoundingClientRect().right > area.right + 1;
  }).length;
  const scrolling = [...document.querySelectorAll('.dp-scroll, .jp-DataProduct-resultScroll')]
    .filter(box => box.scrollWidth > box.clientWidth + 1)
    .map(box => box.querySelectorAll('thead th').length);
  const cell = document.querySelector('.jp-DataProduct-result tbody td:not(.jp-DataProduct-num)');
  const number = document.querySelector('.jp-DataProduct-result tbody td.jp-DataProduct-num');
  return {cards: cards.length, apps: document.querySelectorAll('.jp-DataProduct-result').length, overflowing, scrolling,
          text: getComputedStyle(cell).textAlign, number: getComputedStyle(number).textAlign};
}"""


def wait_for(page, predicate, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = page.evaluate(NOTEBOOK_STATE)
        if predicate(state):
            return state
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {state}"
        page.wait_for_timeout(250)


def test_run_all_cells_draws_every_chart_and_no_error(lab, page, screenshots):
    page.goto(lab.address("lab/tree/quickstart.ipynb"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => window.jupyterapp?.shell.currentWidget?.context?.path === 'quickstart.ipynb'"
        " && window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel", timeout=60_000)
    wait_for(page, lambda s: s["kernel"] == "idle", 60, "the kernel to start")

    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    wait_for(page, lambda s: s["unrun"] == 0 and s["queued"] == 0 and not s["busy"], 150, "all cells to run")
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    wait_for(page, lambda s: not s["dirty"], 20, "the notebook to be saved")

    saved = json.loads((lab.root / "quickstart.ipynb").read_text())
    outputs = [o for cell in saved["cells"] if cell["cell_type"] == "code" for o in cell["outputs"]]
    errors = [o for o in outputs if o["output_type"] == "error"]
    charts = [o for o in outputs if VEGALITE in o.get("data", {})]

    page.wait_for_function(f"() => [...document.querySelectorAll('.vega-embed')].filter(el => el.querySelector('svg, canvas')).length >= {len(charts)}", timeout=30_000)
    drawn = page.locator(".vega-embed")
    page.screenshot(path=str(screenshots / "quickstart-window.png"))
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    for i in range(cells.count()):  # one picture per code cell, for a person to look at
        cells.nth(i).screenshot(path=str(screenshots / f"quickstart-cell-{i + 1:02d}.png"))

    assert errors == []
    assert len(charts) >= 3  # the comparison, the survival curves, the saved cohort's curves
    assert drawn.evaluate_all(DRAWN_CHARTS) == len(charts)
    # Each chart drawn once, by Lab's Vega-Lite renderer inside its result's app (not the SVG
    # copy, not an HTML card); the chart's own output, kept for other front ends, shows nothing.
    assert page.locator(".jp-RenderedVegaLite").count() == len(charts)
    assert page.locator(".jp-DataProduct-result .jp-DataProduct-resultChart .jp-RenderedVegaLite").count() == len(charts)
    assert page.locator(".jp-DataProduct-chartMarker").count() == len(charts)

    layout = page.evaluate(CARD_LAYOUT)
    assert layout["cards"] > 5 and layout["overflowing"] == 0
    assert layout["apps"] == 3  # comparison, km and women_km: results render as apps
    assert max(layout["scrolling"]) >= 20  # compare_arms' table (20+ columns) scrolls inside its app
    assert (layout["text"], layout["number"]) == ("left", "right")
