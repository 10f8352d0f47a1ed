"""The README's notebook lines, typed into a new notebook of the JupyterLab that the README's
set-up command starts (``jupyter lab examples/quickstart.ipynb`` from the repository root)."""

from __future__ import annotations

import json
import time

from tests.readme import notebook_connect_line

# The notebook at `path` (found among Lab's open documents, whichever is in front).
NOTEBOOK = """(path) => {
  const panel = [...window.jupyterapp.shell.widgets('main')].find(w => w.context?.path === path);
  const kernel = panel?.sessionContext?.session?.kernel;
  const cell = panel?.content?.widgets?.[0];
  return {
    path: panel?.context?.path ?? null, kernel: kernel ? kernel.status : 'none',
    count: cell?.model?.executionCount ?? null,
    outputs: cell?.model?.outputs?.toJSON() ?? [],
  };
}"""


def wait_for(page, path: str, predicate, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = page.evaluate(NOTEBOOK, path)
        if predicate(state):
            return state
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {json.dumps(state)[:2000]}"
        page.wait_for_timeout(250)


def test_the_readme_connect_line_works_in_a_new_notebook(lab, page, screenshots):
    page.goto(lab.address("lab"))
    page.wait_for_function("() => window.jupyterapp?.commands.hasCommand('notebook:create-new')", timeout=60_000)
    # After Lab has restored its layout (it opens the quickstart it was started with).
    path = page.evaluate(
        "async () => { await window.jupyterapp.restored;"
        " return (await window.jupyterapp.commands.execute('notebook:create-new', {kernelName: 'python3', cwd: ''})).context.path; }"
    )
    assert path.endswith(".ipynb") and "/" not in path  # created in Lab's root: examples/, beside actg175/
    wait_for(page, path, lambda s: s["path"] == path and s["kernel"] == "idle", 120, "the new notebook's kernel")

    code = f"%load_ext jupyter_dataproduct\n{notebook_connect_line()}"
    page.evaluate(
        """([path, code]) => {
          const panel = [...window.jupyterapp.shell.widgets('main')].find(w => w.context?.path === path);
          window.jupyterapp.shell.activateById(panel.id);
          panel.content.activeCellIndex = 0;
          panel.content.widgets[0].model.sharedModel.setSource(code);
        }""",
        [path, code],
    )
    page.wait_for_function("(path) => window.jupyterapp.shell.currentWidget?.context?.path === path", arg=path, timeout=30_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    state = wait_for(page, path, lambda s: s["count"] is not None and s["kernel"] == "idle", 120, "the cell to run")
    page.screenshot(path=str(screenshots / "readme-connect.png"))

    assert [o for o in state["outputs"] if o["output_type"] == "error"] == []
    card = [o["data"]["text/html"] for o in state["outputs"] if "text/html" in o.get("data", {})]
    assert card and "actg175" in card[0] and "compare_arms" in card[0]
