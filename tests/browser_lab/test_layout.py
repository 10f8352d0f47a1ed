"""Every section of the panel at a narrow (300 px) and a normal sidebar width, in a real
JupyterLab and a real Chromium: nothing overflows sideways, no button is cut, empty and error
states say what to do next, and the keyboard focus shows. Screenshots: layout-*.png."""

from __future__ import annotations

import re
import shutil

import httpx
import pytest
from playwright.sync_api import expect

from jupyter_dataproduct.core.product import Product
from tests.browsers import open_panel

SECTIONS = ("Products", "Protocols", "Form", "Snapshots", "Plugins", "Artifacts", "History", "Current notebook")
WIDTHS = {"narrow": 300, "normal": 420}

# Elements of the panel wider than their box (text or buttons cut, or a sideways scrollbar).
OVERFLOWING = """panel => {
  const found = [];
  for (const el of panel.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (el.offsetParent === null || style.display === 'inline' || el.closest('svg')) continue;
    const cut = el.scrollWidth > el.clientWidth + 1 && style.overflowX !== 'visible';
    const out = el.getBoundingClientRect().right > panel.getBoundingClientRect().right + 1;
    if (cut || out) found.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}: ${(el.textContent || '').trim().slice(0, 40)}`);
  }
  return found;
}"""

# Resolves once the panel's sections kept their boxes for a few animation frames (the accordion
# has settled its sizes after a section opened), rather than after a fixed time.
SETTLED = """async panel => {
  const boxes = () => [...panel.querySelectorAll('.lm-AccordionPanel > *')]
    .map(e => { const r = e.getBoundingClientRect(); return [r.top, r.height, r.width].join(','); }).join('|');
  let last = boxes();
  for (let same = 0, frames = 0; same < 3 && frames < 1000; frames++) {
    await new Promise(done => requestAnimationFrame(done));
    const now = boxes();
    same = now === last ? same + 1 : 0;
    last = now;
  }
}"""


def set_sidebar_width(page, width: int) -> None:
    """Drag the handle between the left sidebar and the main area until the panel is ``width`` wide."""
    panel = page.locator("#jp-dataproduct-panel")
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    for _ in range(3):  # the split panel snaps to whole pixels of its own layout
        box, now = handle.bounding_box(), panel.bounding_box()["width"]
        if abs(now - width) <= 2:
            return
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + (width - now), y, steps=4)
        page.mouse.up()
    assert abs(panel.bounding_box()["width"] - width) <= 4, panel.bounding_box()


def show_only(panel, keep: tuple[str, ...]) -> None:
    """Expand the sections titled ``keep`` (by their start), collapse the others."""
    for heading in panel.locator(".jp-AccordionPanel-title").all():
        title = heading.inner_text().strip()
        wanted = any(title.lower().startswith(k.lower()) for k in keep)
        if (heading.get_attribute("aria-expanded") == "true") != wanted:
            heading.click()


def select(panel, product: str) -> None:
    row = panel.locator(f'.jp-DataProduct-product[data-product="{product}"]')
    row.click()
    expect(row).to_have_class(re.compile("jp-mod-selected"))


def overflowing(panel) -> list[str]:
    return panel.evaluate(OVERFLOWING)


@pytest.fixture(scope="module")
def long_names(lab):
    """A saved cohort and a run whose names and values are longer than a narrow sidebar."""
    product = Product.open(lab.root / "examples" / "actg175")
    product.save_cohort("patients_older_than_fifty_on_zidovudine_alone_v2", "patients", "age >= 50 and arms == 'ZDV'")
    product.run("compare_arms", {"cohort_a": "age >= 50 and arms == 'ZDV' and karnof < 90 and wtkg > 60",
                                 "variables": ["age", "wtkg", "karnof", "gender", "race", "hemo", "homo", "drugs"]})


@pytest.mark.parametrize("size", WIDTHS)
def test_every_section_fits_the_sidebar(page, lab, screenshot, size, long_names):
    panel = open_panel(page)
    set_sidebar_width(page, WIDTHS[size])
    show_only(panel, ("Products", "Protocols"))
    select(panel, "actg175")
    panel.locator('.jp-DataProduct-protocol[data-protocol="compare_arms"]').click()
    problems = {}
    for title in SECTIONS:
        show_only(panel, (title,) if title == "Products" else ("Products", title))
        panel.evaluate(SETTLED)  # the accordion settles its sizes
        panel.screenshot(path=str(screenshot.folder / f"layout-{size}-{title.lower().replace(' ', '-')}.png"))
        if found := overflowing(panel):
            problems[title] = found
    assert not problems, problems
    # The check sees what sticks out: a row wider than the panel is found.
    panel.locator(".jp-DataProduct-current").evaluate(
        "e => { const d = document.createElement('div'); d.className = 'jp-TooWide'; d.style.width = '2000px';"
        " d.textContent = 'x'; e.appendChild(d); }")
    assert any(p.startswith("div.jp-TooWide") for p in overflowing(panel)), overflowing(panel)


def test_a_server_that_went_away_says_so_in_every_section(page, screenshot):
    """Not an empty list ("no snapshot yet") but the product's error and what to do."""
    panel = open_panel(page)
    set_sidebar_width(page, WIDTHS["narrow"])
    select(panel, "offline")
    for title, section in (("Protocols", ".jp-DataProduct-browse"), ("Snapshots", ".jp-DataProduct-snapshots"),
                           ("Artifacts", ".jp-DataProduct-artifacts"), ("History", ".jp-DataProduct-history")):
        show_only(panel, ("Products", title))
        error = panel.locator(f"{section} .jp-DataProduct-error")
        expect(error).to_contain_text("Cannot reach http://127.0.0.1:")
        panel.screenshot(path=str(screenshot.folder / f"layout-offline-{title.lower()}.png"))
        assert not overflowing(panel)
    for section in (".jp-DataProduct-snapshots", ".jp-DataProduct-artifacts"):
        expect(panel.locator(f"{section} .jp-DataProduct-error")).to_contain_text("Refresh the products")
        expect(panel.locator(f"{section} .jp-DataProduct-empty")).to_have_count(0)
        expect(panel.locator(f"{section} .jp-DataProduct-role")).to_have_count(0)
        expect(panel.locator(f"{section} .jp-DataProduct-rowActions")).to_have_count(0)


def test_a_product_whose_folder_went_missing_says_so_once_the_list_is_refreshed(page, lab, screenshot):
    gone = lab.root / "examples" / "gone"
    shutil.copytree(lab.root / "examples" / "actg175", gone, symlinks=True)
    answer = httpx.post(f"{lab.url}/dataproduct/products", headers={"Authorization": f"token {lab.token}"},
                        json={"location": "examples/gone", "name": "gone"}, timeout=60)
    assert answer.status_code == 201, answer.text
    panel = open_panel(page)
    set_sidebar_width(page, WIDTHS["narrow"])
    show_only(panel, ("Products", "Snapshots"))
    select(panel, "gone")
    expect(panel.locator(".jp-DataProduct-snapshot")).to_have_count(1)

    shutil.rmtree(gone)
    panel.get_by_role("button", name="Refresh data products").click()
    said = "examples/gone no longer holds a data product (dataproduct.yaml is missing)"
    row = panel.locator('.jp-DataProduct-product[data-product="gone"]')
    expect(row).to_contain_text(said)
    expect(row).not_to_contain_text("FileNotFoundError")
    for title, section in (("Snapshots", ".jp-DataProduct-snapshots"), ("Artifacts", ".jp-DataProduct-artifacts"),
                           ("History", ".jp-DataProduct-history"), ("Protocols", ".jp-DataProduct-browse")):
        show_only(panel, ("Products", title))
        expect(panel.locator(f"{section} .jp-DataProduct-error")).to_contain_text(said)
        panel.screenshot(path=str(screenshot.folder / f"layout-missing-{title.lower()}.png"))
    expect(panel.locator(".jp-DataProduct-snapshot")).to_have_count(0)


def test_the_keyboard_focus_shows_on_row_buttons(page, screenshot):
    panel = open_panel(page)
    set_sidebar_width(page, WIDTHS["narrow"])
    show_only(panel, ("Products", "Snapshots"))
    select(panel, "actg175")
    row = panel.locator(".jp-DataProduct-snapshot").first
    use = row.locator(".jp-DataProduct-use")
    expect(use).to_be_visible()
    # By keyboard (so :focus-visible applies): from the button back to the row's pick box and forward again.
    # Each step waits for the focus to be where it should before the next key.
    use.focus()
    expect(use).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(row.locator(".jp-DataProduct-pick")).to_be_focused()
    page.keyboard.press("Tab")
    expect(use).to_be_focused()
    panel.screenshot(path=str(screenshot.folder / "layout-focus-row-button.png"))
