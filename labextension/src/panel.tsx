/**
 * The left sidebar: a SidePanel with three sections (Products, Protocols of the
 * selected product, Form). Polling runs only while the panel is visible.
 */
import { ReactWidget, SidePanel } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';
import React from 'react';

import { ArtifactsSection } from './components/ArtifactsSection';
import { BrowseSection, IBrowseActions } from './components/BrowseSection';
import { FormSection, IFormActions } from './components/FormSection';
import { HistorySection, IHistoryActions } from './components/HistorySection';
import { CurrentNotebookSection, ICurrentNotebookActions } from './components/CurrentNotebookSection';
import { IPluginActions, PluginsSection } from './components/PluginsSection';
import { IProductActions, ProductsSection } from './components/ProductsSection';
import { SnapshotsSection } from './components/SnapshotsSection';
import { dataProductIcon } from './icon';
import { PanelModel } from './model';

export const PANEL_ID = 'jp-dataproduct-panel';

export type IPanelActions = IProductActions & IBrowseActions & IFormActions & IHistoryActions & ICurrentNotebookActions &
  IPluginActions;

function section(title: string, className: string, render: () => JSX.Element): ReactWidget {
  const widget = ReactWidget.create(render());
  widget.title.label = title;
  widget.addClass(className);
  return widget;
}

export class DataProductPanel extends SidePanel {
  constructor(
    readonly model: PanelModel,
    actions: IPanelActions
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-DataProduct-panel');
    this.title.icon = dataProductIcon;
    this.title.caption = 'Data Products';
    this.header.addWidget(headerWidget());
    this.addWidget(section('Products', 'jp-DataProduct-productsSection', () => <ProductsSection model={model} actions={actions} />));
    this.addWidget(section('Protocols', 'jp-DataProduct-browseSection', () => <BrowseSection model={model} actions={actions} />));
    this.formSection = section('Form', 'jp-DataProduct-formSectionWidget', () => <FormSection model={model} actions={actions} />);
    this.addWidget(this.formSection);
    this.addWidget(section('Snapshots', 'jp-DataProduct-snapshotsSection', () => <SnapshotsSection model={model} />));
    this.addWidget(section('Plugins', 'jp-DataProduct-pluginsSectionWidget', () => <PluginsSection actions={actions} />));
    this.watchSection(this.widgets[this.widgets.length - 1], () => undefined); // collapsed; room when expanded
    this.addWidget(section('Artifacts', 'jp-DataProduct-artifactsSection', () => <ArtifactsSection model={model} />));
    this.collapseSections(['jp-DataProduct-snapshotsSection', 'jp-DataProduct-artifactsSection']);
    // The Snapshots section marks the pinned snapshot: the kernel is listened to while it shows.
    const snapshots = this.widgets.find(w => w.hasClass('jp-DataProduct-snapshotsSection'))!;
    this.watchSection(snapshots, on => actions.currentNotebook.setActive('snapshots', on));
    this.addWidget(section('History', 'jp-DataProduct-historySection', () => <HistorySection actions={actions} />));
    this.watchSection(this.widgets[this.widgets.length - 1], on => actions.history.setActive(on));
    this.addWidget(section('Current notebook', 'jp-DataProduct-currentSection', () => <CurrentNotebookSection actions={actions} />));
    this.watchSection(this.widgets[this.widgets.length - 1], on => actions.currentNotebook.setActive('current', on));
    // The browse section's title names the product it shows.
    model.changed.connect(() => {
      const browse = this.widgets[1];
      browse.title.label = model.selected ? `Protocols of ${model.selected}` : 'Protocols';
      this.formSection.title.label = model.protocol ? `Form: ${model.protocol.name}` : 'Form';
    });
  }

  /**
   * Call `callback(onScreen)` whenever `widget` (one of the sections, collapsed by this call)
   * comes on screen or leaves it: the panel shown or hidden, the section expanded or collapsed.
   * Sections that read from the server or the kernel do so only while on screen.
   */
  watchSection(widget: Widget, callback: (onScreen: boolean) => void): void {
    const accordion = this.content as AccordionPanel;
    accordion.collapse(this.widgets.indexOf(widget));
    this.watched.push([widget, callback]);
    if (this.watched.length === 1) {
      accordion.expansionToggled.connect((_, index) => {
        this.giveRoom(index);
        this.notifySections();
      });
    }
    callback(false);
  }

  /** An expanded section squeezed to nothing (showForm's sizes) gets a third of the height. */
  private giveRoom(index: number): void {
    const accordion = this.content as AccordionPanel;
    const widget = this.widgets[index];
    if (!widget || widget.isHidden || !this.watched.some(([w]) => w === widget)) {
      return;
    }
    const sizes = accordion.relativeSizes();
    if (sizes[index] >= 0.15) {
      return;
    }
    const share = 1 / 3;
    const rest = sizes.reduce((sum, size, i) => (i === index ? sum : sum + size), 0) || 1;
    accordion.setRelativeSizes(sizes.map((size, i) => (i === index ? share : (size / rest) * (1 - share))));
  }

  private notifySections(): void {
    for (const [widget, callback] of this.watched) {
      callback(this.isVisible && !widget.isHidden);
    }
  }

  private watched: [Widget, (onScreen: boolean) => void][] = [];

  /** Seconds between refreshes while visible (0: no polling). */
  refreshInterval = 30;

  /** Expand the Form section and move the focus to the form's title. */
  showForm(): void {
    const index = this.widgets.indexOf(this.formSection);
    const accordion = this.content as unknown as {
      expand?: (i: number) => void;
      setRelativeSizes?: (sizes: number[]) => void;
    };
    accordion.expand?.(index);
    // The form needs most of the height; the lists above keep a little each.
    // Sections after the form keep a share while expanded (none while collapsed).
    accordion.setRelativeSizes?.([3, 3, 6, ...this.widgets.slice(3).map(w => (w.isHidden ? 0 : 2))]);
    // React renders the form after this call: wait for its title to appear.
    const focusTitle = (tries: number): void => {
      const title = this.node.querySelector<HTMLElement>('#jp-DataProduct-formTitle');
      if (title) {
        title.focus();
      } else if (tries > 0) {
        window.setTimeout(() => focusTitle(tries - 1), 50);
      }
    };
    window.setTimeout(() => focusTitle(40), 0);
  }

  /** Collapse the sections with these classes (they open on a click on their title). */
  collapseSections(classNames: string[]): void {
    const accordion = this.content as unknown as { collapse?: (i: number) => void };
    this.widgets.forEach((widget, index) => {
      if (classNames.some(name => widget.hasClass(name))) {
        accordion.collapse?.(index);
      }
    });
  }

  /** Activating the panel (its icon, the palette) puts the keyboard focus in it. */
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    window.requestAnimationFrame(() => this.focusContent());
  }

  /** Focus the selected product (or the first one, or the Add button). */
  focusContent(): void {
    if (this.node.contains(document.activeElement) && document.activeElement !== this.node) {
      return;
    }
    // One selector at a time: a selector list would match whichever comes first on the page
    // (the Add button sits above the rows), not the first in this order of preference.
    const preferred = ['.jp-DataProduct-product.jp-mod-selected', '.jp-DataProduct-product', '.jp-DataProduct-add'];
    for (const selector of preferred) {
      const target = this.node.querySelector<HTMLElement>(selector);
      if (target) {
        target.focus();
        return;
      }
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
    this.model.setPolling(true, this.refreshInterval);
    this.notifySections();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setPolling(false, this.refreshInterval);
    this.notifySections();
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  private formSection: ReactWidget;
}

function headerWidget(): ReactWidget {
  const widget = ReactWidget.create(<h2 className="jp-DataProduct-panelTitle">Data Products</h2>);
  return widget;
}
