/**
 * The Form section: the open protocol's parameters as a form generated from their JSON
 * Schema by JupyterLab's FormComponent (rjsf 5, JSON Schema 2020-12), with the custom
 * fields of a narrow panel; checked at once in the browser, then by the server's binding.
 */
import { Button, FormComponent } from '@jupyterlab/ui-components';
import type { IChangeEvent } from '@rjsf/core';
import type { RegistryFieldsType, UiSchema } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import Ajv2020 from 'ajv/dist/2020';
import React from 'react';

import { isPluginDetail, validateDetail } from '../apiPlugins';
import { CohortField } from '../fields/CohortBuilder';
import { ColumnField, ColumnsField } from '../fields/ColumnPicker';
import { IFormContext } from '../fields/context';
import { PanelModel } from '../model';
import { Delivery } from '../notebook';
import { IParameterSchema, IProtocolDetail } from '../types';
import { useModel } from './useModel';

const validator = customizeValidator({ AjvClass: Ajv2020 });

// FormComponent is typed for JSON-only form data; ours holds the same JSON values.
const Form = FormComponent as unknown as React.FunctionComponent<Record<string, unknown>>;

const FIELDS: RegistryFieldsType = {
  dpColumn: ColumnField,
  dpColumns: ColumnsField,
  dpCohort: CohortField
};

/** The uiSchema that picks a custom field or widget per parameter type. */
export function uiSchemaFor(schema: IParameterSchema): UiSchema {
  const ui: UiSchema = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    switch (property['x-dataproduct-type']) {
      case 'column':
        ui[name] = { 'ui:field': 'dpColumn' };
        break;
      case 'columns':
        ui[name] = { 'ui:field': 'dpColumns' };
        break;
      case 'cohort':
        // The builder replaces rjsf's own anyOf chooser (string / tree / saved).
        ui[name] = { 'ui:field': 'dpCohort', 'ui:fieldReplacesAnyOrOneOf': true };
        break;
      case 'int':
      case 'float':
        ui[name] = { 'ui:widget': 'updown' };
        break;
      case 'date':
        ui[name] = { 'ui:widget': 'date' };
        break;
      case 'bool':
        ui[name] = { 'ui:widget': 'select' };
        break;
    }
  }
  return ui;
}

export interface IFormActions {
  deliver(mode: Delivery): Promise<void>;
}

type Check = { state: 'idle' | 'checking' | 'ok' } | { state: 'error'; message: string };

function useServerCheck(product: string, detail: IProtocolDetail, data: Record<string, unknown>, clientOk: boolean): Check {
  const [check, setCheck] = React.useState<Check>({ state: 'idle' });
  const key = JSON.stringify(data);
  React.useEffect(() => {
    if (!clientOk) {
      setCheck({ state: 'idle' });
      return;
    }
    let live = true;
    setCheck({ state: 'checking' });
    const timer = window.setTimeout(() => {
      validateDetail(product, detail, data)
        .then(() => live && setCheck({ state: 'ok' }))
        .catch(error => live && setCheck({ state: 'error', message: (error as Error).message }));
    }, 600);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [product, detail, key, clientOk]);
  return check;
}

/** The schema's complaints about the form's first values (none for the defaults, usually). */
function initialErrors(detail: { schema: unknown }, data: Record<string, unknown>): string[] {
  try {
    return validator.validateFormData(data, detail.schema as never).errors.map(e => e.stack);
  } catch {
    return [];
  }
}

function ProtocolForm(props: { model: PanelModel; actions: IFormActions }): JSX.Element {
  const { model, actions } = props;
  const detail = model.protocol!;
  const product = model.selected!;
  const [data, setData] = React.useState<Record<string, unknown>>(model.formData);
  // A pre-filled form may start with values the schema refuses: shown at once.
  const [clientErrors, setClientErrors] = React.useState<string[]>(() => initialErrors(detail, model.formData));
  const [busy, setBusy] = React.useState(false);
  const check = useServerCheck(product, detail, data, clientErrors.length === 0);
  const context: IFormContext = { model, product };
  const schema = React.useMemo(() => {
    const copy = JSON.parse(JSON.stringify(detail.schema));
    delete copy.title; // shown in the section header already
    delete copy.description;
    // The form starts from the defaults (model.defaults). rjsf would merge a default back
    // into every change, spreading a cohort's default text into its tree.
    for (const property of Object.values(copy.properties as Record<string, Record<string, unknown>>)) {
      delete property.default;
    }
    return copy;
  }, [detail]);
  const uiSchema = React.useMemo(() => uiSchemaFor(detail.schema), [detail]);

  const deliver = async (mode: Delivery): Promise<void> => {
    if (clientErrors.length > 0) {
      model.announce(`Fix the form first: ${clientErrors.join('; ')}`);
      return;
    }
    setBusy(true);
    try {
      await actions.deliver(mode);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="jp-DataProduct-form">
      <Form
        schema={schema}
        uiSchema={uiSchema}
        formData={data}
        formContext={context}
        fields={FIELDS}
        validator={validator}
        liveValidate
        noHtml5Validate
        showErrorList={false}
        compact
        onChange={(event: IChangeEvent) => {
          const next = (event.formData ?? {}) as Record<string, unknown>;
          setData(next);
          model.setFormData(next);
          setClientErrors((event.errors ?? []).map(e => e.stack));
        }}
      />
      <div className="jp-DataProduct-validation" aria-live="polite">
        {clientErrors.length > 0 && (
          <div className="jp-DataProduct-error" role="alert">
            {clientErrors.join('; ')}
          </div>
        )}
        {check.state === 'checking' && <span className="jp-DataProduct-meta">checking with the product…</span>}
        {check.state === 'ok' && <span className="jp-DataProduct-ok">✓ parameters accepted by the product</span>}
        {check.state === 'error' && (
          <div className="jp-DataProduct-error jp-DataProduct-serverError" role="alert">
            {check.message}
          </div>
        )}
      </div>
      <div className="jp-DataProduct-actions">
        <Button
          className="jp-DataProduct-run"
          disabled={busy}
          onClick={() => void deliver('run')}
          title="Insert the %dataproduct cell into the notebook and run it"
        >
          Run
        </Button>
        <Button
          minimal
          className="jp-DataProduct-insert"
          disabled={busy}
          onClick={() => void deliver('insert')}
          title="Insert the cell without running it"
        >
          Insert
        </Button>
        <Button
          minimal
          className="jp-DataProduct-copy"
          disabled={busy}
          onClick={() => void deliver('copy')}
          title="Copy the cell's code"
        >
          Copy
        </Button>
      </div>
    </div>
  );
}

export function FormSection(props: { model: PanelModel; actions: IFormActions }): JSX.Element {
  const model = useModel(props.model);
  const detail = model.protocol;
  return (
    <div className="jp-DataProduct-section jp-DataProduct-formSection">
      {model.formError && (
        <div className="jp-DataProduct-error" role="alert">
          {model.formError}
        </div>
      )}
      {!detail && !model.formError && (
        <p className="jp-DataProduct-empty">Choose a protocol to fill its parameters and run it into the notebook.</p>
      )}
      {detail && (
        <>
          <div className="jp-DataProduct-productHeader">
            <h3 className="jp-DataProduct-title" tabIndex={-1} id="jp-DataProduct-formTitle">
              {detail.title || detail.name}
            </h3>
            <div className="jp-DataProduct-meta">
              {isPluginDetail(detail)
                ? `${model.selected} · plugin ${detail.name} (${detail.kind === 'r' ? 'R' : detail.kind}) · run directly`
                : `${model.selected} · ${detail.name} v${detail.version} · ${detail.tests} tests`}
            </div>
            {detail.description && <div className="jp-DataProduct-description">{detail.description}</div>}
          </div>
          {model.formNote && (
            <div className="jp-DataProduct-formNote jp-DataProduct-meta" role="note">
              {model.formNote}
            </div>
          )}
          <ProtocolForm key={`${model.selected}/${detail.name}/${model.formRevision}`} model={model} actions={props.actions} />
        </>
      )}
      <div className="jp-DataProduct-announce" role="status" aria-live="polite">
        {model.announcement}
      </div>
    </div>
  );
}
