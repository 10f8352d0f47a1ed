/**
 * The renderer of RESULT_MIME: a result (or a frame) as an app - its card and buttons, every
 * table sortable and paged over all the rows the bundle carries, every chart drawn by
 * JupyterLab's own Vega-Lite renderer, and the provenance. And the renderer of CHART_MIME,
 * which shows nothing: the result above draws that chart.
 */
import { MimeModel, IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Panel, PanelLayout, Widget } from '@lumino/widgets';
import React from 'react';

import { ResultActions } from './actions';
import { decodeArrow } from './arrow';
import { Provenance, ResultHeader } from './ResultHeader';
import { ResultTable } from './ResultTable';
import { IResultBundle, VEGALITE_MIME } from './types';

export const SUPPORTED_VERSION = 1;

export class RenderedResult extends Widget implements IRenderMime.IRenderer {
  constructor(
    private mimeType: string,
    private rendermime: IRenderMimeRegistry,
    private actions: ResultActions
  ) {
    super();
    this.layout = new PanelLayout();
    this.addClass('jp-DataProduct-result');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const bundle = model.data[this.mimeType] as unknown as IResultBundle;
    const layout = this.layout as PanelLayout;
    while (layout.widgets.length) {
      layout.widgets[0].dispose();
    }
    this.node.dataset.kind = bundle.kind;
    if (bundle.version !== SUPPORTED_VERSION) {
      layout.addWidget(ReactWidget.create(
        <div className="jp-DataProduct-resultNote">
          This output was made by another version of jupyter-dataproduct (bundle version {String(bundle.version)}); re-run the cell.
        </div>
      ));
      return;
    }
    const code = bundle.code;
    layout.addWidget(ReactWidget.create(
      <ResultHeader
        bundle={bundle}
        actions={{
          save: () => this.actions.save(this.node, code.save ?? []),
          rerun: () => this.actions.insert(this.node, code.rerun!, true),
          open: () => this.actions.open(code.open!),
          copy: () => this.actions.copy(code.reproduce!)
        }}
      />
    ));
    for (const table of bundle.tables) {
      const data = decodeArrow(table.arrow);
      const widget = ReactWidget.create(
        <section className="jp-DataProduct-resultSection">
          <h5>
            {table.name} <span className="jp-DataProduct-resultSubtitle">{table.rows.toLocaleString('en-US')} rows × {table.columns.length} columns</span>
          </h5>
          <ResultTable table={table} data={data} />
        </section>
      );
      layout.addWidget(widget);
    }
    const drawn: Promise<void>[] = [];
    for (const chart of bundle.charts) {
      drawn.push(this.addChart(chart.name, chart.spec));
    }
    layout.addWidget(ReactWidget.create(<Provenance provenance={bundle.provenance} />));
    await Promise.all(drawn);
  }

  /** A chart drawn by the Vega-Lite renderer JupyterLab registered (vega5-extension). */
  private async addChart(name: string, spec: Record<string, unknown>): Promise<void> {
    const box = new Panel();
    box.addClass('jp-DataProduct-resultChart');
    box.node.dataset.chart = name;
    (this.layout as PanelLayout).addWidget(box);
    if (!this.rendermime.mimeTypes.includes(VEGALITE_MIME)) {
      box.addWidget(ReactWidget.create(<div className="jp-DataProduct-resultNote">No Vega-Lite renderer in this JupyterLab: chart {name} is not drawn.</div>));
      return;
    }
    const renderer = this.rendermime.createRenderer(VEGALITE_MIME);
    box.addWidget(renderer);
    await renderer.renderModel(new MimeModel({ data: { [VEGALITE_MIME]: spec as never }, trusted: true }));
  }
}

/** A chart output that the result above already draws: nothing to show here. */
export class RenderedChartMarker extends Widget implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('jp-DataProduct-chartMarker');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const marker = Object.values(model.data).find(v => v && typeof v === 'object' && 'chart' in (v as object)) as
      | { chart: string }
      | undefined;
    this.node.dataset.chart = marker?.chart ?? '';
  }
}
