/**
 * Column parameters in a narrow panel: a search box over the entity's columns grouped
 * by collection; checkboxes for `columns`, a grouped pick-list for `column`.
 */
import type { FieldProps } from '@rjsf/utils';
import React from 'react';

import { columnLabel, entityColumns, groupColumns, IFormContext } from './context';

function FieldHeader(props: FieldProps & { summary?: string }) {
  const { schema, idSchema, required } = props;
  return (
    <div className="jp-DataProduct-fieldHeader">
      <label htmlFor={idSchema.$id} className="jp-DataProduct-fieldLabel">
        {schema.title ?? props.name}
        {required ? ' *' : ''}
      </label>
      {props.summary && <span className="jp-DataProduct-meta"> {props.summary}</span>}
      {schema.description && <div className="jp-DataProduct-fieldDescription">{schema.description}</div>}
    </div>
  );
}

export function FieldErrors(props: { errors?: string[]; id: string }): JSX.Element | null {
  if (!props.errors || props.errors.length === 0) {
    return null;
  }
  return (
    <ul className="jp-DataProduct-fieldErrors" id={`${props.id}__errors`} role="alert">
      {props.errors.map((e, i) => (
        <li key={i}>{e}</li>
      ))}
    </ul>
  );
}

export function ColumnsField(props: FieldProps): JSX.Element {
  const { schema, formData, onChange, idSchema, disabled, readonly, rawErrors } = props;
  const context = props.formContext as IFormContext;
  const [needle, setNeedle] = React.useState('');
  const allowed = ((schema.items as { enum?: string[] } | undefined)?.enum ?? undefined) as string[] | undefined;
  const columns = entityColumns(context, schema['x-entity'] as string | undefined);
  const groups = groupColumns(columns, allowed, needle);
  const selected: string[] = Array.isArray(formData) ? formData : [];
  const total = allowed?.length ?? columns.length;
  const toggle = (name: string, on: boolean): void => {
    const next = on ? [...selected, name] : selected.filter(n => n !== name);
    // Keep the dictionary's order, so the generated cell is stable.
    const order = allowed ?? columns.map(c => c.name);
    onChange(order.filter(n => next.includes(n)));
  };
  const visible = groups.flatMap(([, cols]) => cols.map(c => c.name));
  return (
    <div className="jp-DataProduct-field jp-DataProduct-columns" data-parameter={props.name}>
      <FieldHeader {...props} summary={`${selected.length} of ${total} selected`} />
      <div className="jp-DataProduct-pickerTools">
        <input
          id={idSchema.$id}
          className="jp-mod-styled jp-DataProduct-search"
          type="search"
          placeholder="Search columns"
          aria-label={`Search the columns of ${schema.title ?? props.name}`}
          value={needle}
          onChange={e => setNeedle(e.target.value)}
        />
        <button
          type="button"
          className="jp-DataProduct-link"
          disabled={disabled || readonly}
          onClick={() => onChange([...new Set([...selected, ...visible])].filter(n => (allowed ?? visible).includes(n)))}
        >
          all
        </button>
        <button
          type="button"
          className="jp-DataProduct-link"
          disabled={disabled || readonly}
          onClick={() => onChange(selected.filter(n => !visible.includes(n)))}
        >
          none
        </button>
      </div>
      <div className="jp-DataProduct-pickerList" role="group" aria-label={`${schema.title ?? props.name} columns`}>
        {groups.map(([collection, cols]) => (
          <fieldset key={collection} className="jp-DataProduct-pickerGroup">
            <legend>{collection}</legend>
            {cols.map(column => (
              <label key={column.name} className="jp-DataProduct-check" title={column.description ?? ''}>
                <input
                  type="checkbox"
                  checked={selected.includes(column.name)}
                  disabled={disabled || readonly}
                  onChange={e => toggle(column.name, e.target.checked)}
                />
                {columnLabel(column)}
              </label>
            ))}
          </fieldset>
        ))}
        {groups.length === 0 && <div className="jp-DataProduct-meta">No column matches “{needle}”.</div>}
      </div>
      <FieldErrors errors={rawErrors} id={idSchema.$id} />
    </div>
  );
}

export function ColumnSelect(props: {
  id?: string;
  label: string;
  value: string;
  groups: [string, { name: string; title?: string; unit?: string }[]][];
  onChange: (value: string) => void;
  disabled?: boolean;
  placeholder?: string;
}): JSX.Element {
  return (
    <select
      id={props.id}
      className="jp-mod-styled jp-DataProduct-select"
      aria-label={props.label}
      value={props.value}
      disabled={props.disabled}
      onChange={e => props.onChange(e.target.value)}
    >
      <option value="">{props.placeholder ?? '(choose a column)'}</option>
      {props.groups.map(([collection, cols]) => (
        <optgroup key={collection} label={collection}>
          {cols.map(c => (
            <option key={c.name} value={c.name}>
              {columnLabel({ type: '', ...c })}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}

export function ColumnField(props: FieldProps): JSX.Element {
  const { schema, formData, onChange, idSchema, disabled, readonly, rawErrors } = props;
  const context = props.formContext as IFormContext;
  const [needle, setNeedle] = React.useState('');
  const columns = entityColumns(context, schema['x-entity'] as string | undefined);
  const groups = groupColumns(columns, schema.enum as string[] | undefined, needle);
  return (
    <div className="jp-DataProduct-field jp-DataProduct-column" data-parameter={props.name}>
      <FieldHeader {...props} />
      <div className="jp-DataProduct-pickerTools">
        <input
          className="jp-mod-styled jp-DataProduct-search"
          type="search"
          placeholder="Search columns"
          aria-label={`Search the columns for ${schema.title ?? props.name}`}
          value={needle}
          onChange={e => setNeedle(e.target.value)}
        />
      </div>
      <ColumnSelect
        id={idSchema.$id}
        label={String(schema.title ?? props.name)}
        value={typeof formData === 'string' ? formData : ''}
        groups={groups}
        disabled={disabled || readonly}
        onChange={value => onChange(value === '' ? undefined : value)}
      />
      <FieldErrors errors={rawErrors} id={idSchema.$id} />
    </div>
  );
}

export { FieldHeader };
