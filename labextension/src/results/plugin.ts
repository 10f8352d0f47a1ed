/**
 * The plugin that registers the result renderers with JupyterLab's rendermime registry
 * (as a mime extension would, but with the app at hand for the buttons' commands and
 * notebooks). Ranked before HTML (50) and Vega-Lite (57): in JupyterLab the app shows,
 * elsewhere the HTML card and the chart outputs.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { ResultActions } from './actions';
import { RenderedChartMarker, RenderedResult } from './renderer';
import { CHART_MIME, RESULT_MIME } from './types';

const RANK = 40;

export const resultsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-dataproduct:results',
  description: 'Renders data product results and frames as apps: tables, charts, provenance and buttons.',
  autoStart: true,
  requires: [IRenderMimeRegistry, INotebookTracker],
  activate: (app: JupyterFrontEnd, rendermime: IRenderMimeRegistry, tracker: INotebookTracker) => {
    const actions = new ResultActions(app, tracker);
    const results: IRenderMime.IRendererFactory = {
      safe: true, // draws data as text; its buttons only insert code, which the user can read
      mimeTypes: [RESULT_MIME],
      createRenderer: options => new RenderedResult(options.mimeType, rendermime, actions)
    };
    const markers: IRenderMime.IRendererFactory = {
      safe: true,
      mimeTypes: [CHART_MIME],
      createRenderer: () => new RenderedChartMarker()
    };
    rendermime.addFactory(results, RANK);
    rendermime.addFactory(markers, RANK);
  }
};
