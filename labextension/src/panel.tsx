/**
 * The left sidebar: a SidePanel with three sections (Products, Protocols of the
 * selected product, Form). Polling runs only while the panel is visible.
 */
import { ReactWidget, SidePanel } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { BrowseSection, IBrowseActions } from './components/BrowseSection';
import { FormSection, IFormActions } from './components/FormSection';
import { collapsedWithRoom, IPluginActions, PluginsSection } from './components/PluginsSection';
import { IProductActions, ProductsSection } from './components/ProductsSection';
import { dataProductIcon } from './icon';
import { PanelModel } from './model';

export const PANEL_ID = 'jp-dataproduct-panel';

export type IPanelActions = IProductActions & IBrowseActions & IFormActions & IPluginActions;

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
    this.addWidget(section('Plugins', 'jp-DataProduct-pluginsSectionWidget', () => <PluginsSection actions={actions} />));
    collapsedWithRoom(this.content, this.widgets[this.widgets.length - 1]);
    // The browse section's title names the product it shows.
    model.changed.connect(() => {
      const browse = this.widgets[1];
      browse.title.label = model.selected ? `Protocols of ${model.selected}` : 'Protocols';
      this.formSection.title.label = model.protocol ? `Form: ${model.protocol.name}` : 'Form';
    });
  }

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
    accordion.setRelativeSizes?.([3, 3, 6, 3]);
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
    const target = this.node.querySelector<HTMLElement>(
      '.jp-DataProduct-product.jp-mod-selected, .jp-DataProduct-product, .jp-DataProduct-add'
    );
    target?.focus();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
    this.model.setPolling(true, this.refreshInterval);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setPolling(false, this.refreshInterval);
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
