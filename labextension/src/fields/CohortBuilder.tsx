/**
 * The cohort builder: rows of (column, operator, value) from the entity's columns and
 * labels, joined by all-of / any-of, with one level of groups; the text form shown live;
 * a live "N of M" count from the server; a saved cohort `@name`; text and back.
 */
import type { FieldProps } from '@rjsf/utils';
import React from 'react';

import { api } from '../api';
import {
  builderToTree,
  CohortSyntaxError,
  CohortTree,
  CohortValue,
  ICondition,
  IBuilderGroup,
  isBuilderGroup,
  NULL_OPS,
  parseCohort,
  treeToBuilder,
  treeToText
} from '../cohort';
import { IArtifactEntry, ICohortCount, IColumnInfo } from '../types';
import { ColumnSelect, FieldErrors, FieldHeader } from './ColumnPicker';
import { entityColumns, groupColumns, IFormContext } from './context';

type Mode = 'builder' | 'text' | 'saved';

const NUMERIC = ['int', 'float', 'date', 'datetime'];

/** The operators that make sense for a column of this type. */
export function operatorsFor(column: IColumnInfo | undefined): string[] {
  const nulls = ['is null', 'is not null'];
  if (!column) {
    return ['==', '!=', ...nulls];
  }
  if (column.labels || column.type === 'category') {
    return ['==', '!=', 'in', 'not in', ...nulls];
  }
  if (column.type === 'bool') {
    return ['==', '!=', ...nulls];
  }
  if (NUMERIC.includes(column.type)) {
    return ['==', '!=', '<', '<=', '>', '>=', 'between', 'in', 'not in', ...nulls];
  }
  return ['==', '!=', 'contains', 'in', 'not in', ...nulls];
}

function defaultValue(column: IColumnInfo | undefined, op: string): CohortValue | CohortValue[] | undefined {
  if (NULL_OPS.includes(op)) {
    return undefined;
  }
  const first: CohortValue = column?.labels
    ? Object.values(column.labels)[0]
    : column?.type === 'bool'
      ? true
      : column && ['int', 'float'].includes(column.type)
        ? 0
        : '';
  if (op === 'in' || op === 'not in') {
    return first === '' ? [] : [first];
  }
  if (op === 'between') {
    return [first, first];
  }
  return first;
}

function initialState(value: unknown): { mode: Mode; group: IBuilderGroup; text: string; saved: string; note: string } {
  const empty: IBuilderGroup = { join: 'and', items: [] };
  if (value && typeof value === 'object' && 'artifact' in (value as object)) {
    return { mode: 'saved', group: empty, text: '', saved: String((value as { artifact: string }).artifact), note: '' };
  }
  if (typeof value === 'string' && value.trim().startsWith('@')) {
    return { mode: 'saved', group: empty, text: '', saved: value.trim().slice(1), note: '' };
  }
  let tree: CohortTree | null = null;
  let text = '';
  if (typeof value === 'string') {
    text = value;
    try {
      tree = parseCohort(value);
    } catch {
      return { mode: 'text', group: empty, text, saved: '', note: '' };
    }
  } else if (value && typeof value === 'object') {
    tree = value as CohortTree;
    text = treeToText(tree);
  } else {
    tree = { and: [] };
  }
  const group = treeToBuilder(tree);
  if (group === null) {
    return { mode: 'text', group: empty, text, saved: '', note: 'This cohort needs the text form (not, or deeper groups).' };
  }
  return { mode: 'builder', group, text, saved: '', note: '' };
}

/** Rows without a column are left out of the cohort (and flagged). */
function completeGroup(group: IBuilderGroup): IBuilderGroup {
  return {
    join: group.join,
    items: group.items
      .map(item => (isBuilderGroup(item) ? completeGroup(item) : item))
      .filter(item => (isBuilderGroup(item) ? item.items.length > 0 : item.column !== ''))
  };
}

function countIncomplete(group: IBuilderGroup): number {
  return group.items.reduce(
    (n, item) => n + (isBuilderGroup(item) ? countIncomplete(item) : item.column === '' ? 1 : 0),
    0
  );
}

function ValueInput(props: {
  column: IColumnInfo | undefined;
  condition: ICondition;
  label: string;
  onChange: (value: CohortValue | CohortValue[] | undefined) => void;
}): JSX.Element | null {
  const { column, condition, label, onChange } = props;
  const op = condition.op;
  if (NULL_OPS.includes(op)) {
    return null;
  }
  const labels = column?.labels ? Object.values(column.labels) : null;
  const numeric = column && ['int', 'float'].includes(column.type);
  const inputType = numeric ? 'number' : column?.type === 'date' ? 'date' : 'text';
  const parse = (raw: string): CohortValue => (numeric ? (raw === '' ? '' : Number(raw)) : raw);
  if (op === 'in' || op === 'not in') {
    const values = Array.isArray(condition.value) ? condition.value : [];
    if (labels) {
      return (
        <div className="jp-DataProduct-valueChoices" role="group" aria-label={label}>
          {labels.map(l => (
            <label key={l} className="jp-DataProduct-check">
              <input
                type="checkbox"
                checked={values.includes(l)}
                onChange={e => onChange(e.target.checked ? [...values, l] : values.filter(v => v !== l))}
              />
              {l}
            </label>
          ))}
        </div>
      );
    }
    return (
      <input
        className="jp-mod-styled jp-DataProduct-value"
        aria-label={`${label} (comma-separated)`}
        placeholder="a, b, c"
        defaultValue={values.join(', ')}
        onChange={e =>
          onChange(
            e.target.value
              .split(',')
              .map(v => v.trim())
              .filter(v => v !== '')
              .map(parse)
          )
        }
      />
    );
  }
  if (op === 'between') {
    const [low, high] = Array.isArray(condition.value) ? condition.value : ['', ''];
    return (
      <span className="jp-DataProduct-between">
        <input
          className="jp-mod-styled jp-DataProduct-value"
          type={inputType}
          aria-label={`${label}, from`}
          value={String(low ?? '')}
          onChange={e => onChange([parse(e.target.value), high])}
        />
        <span aria-hidden="true">and</span>
        <input
          className="jp-mod-styled jp-DataProduct-value"
          type={inputType}
          aria-label={`${label}, to`}
          value={String(high ?? '')}
          onChange={e => onChange([low, parse(e.target.value)])}
        />
      </span>
    );
  }
  if (labels) {
    return (
      <select
        className="jp-mod-styled jp-DataProduct-value"
        aria-label={label}
        value={String(condition.value ?? '')}
        onChange={e => onChange(e.target.value)}
      >
        {labels.map(l => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
    );
  }
  if (column?.type === 'bool') {
    return (
      <select
        className="jp-mod-styled jp-DataProduct-value"
        aria-label={label}
        value={String(condition.value)}
        onChange={e => onChange(e.target.value === 'true')}
      >
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  }
  return (
    <input
      className="jp-mod-styled jp-DataProduct-value"
      type={inputType}
      aria-label={label}
      value={String(condition.value ?? '')}
      onChange={e => onChange(parse(e.target.value))}
    />
  );
}

function ConditionRow(props: {
  condition: ICondition;
  index: string;
  columns: IColumnInfo[];
  groups: [string, IColumnInfo[]][];
  onChange: (condition: ICondition) => void;
  onRemove: () => void;
}): JSX.Element {
  const { condition, index, columns, groups, onChange, onRemove } = props;
  const column = columns.find(c => c.name === condition.column);
  const ops = operatorsFor(column);
  const incomplete = condition.column === '';
  return (
    <div className={`jp-DataProduct-condition${incomplete ? ' jp-mod-incomplete' : ''}`} role="group" aria-label={`Condition ${index}`}>
      <ColumnSelect
        label={`Condition ${index}: column`}
        value={condition.column}
        groups={groups}
        onChange={name => {
          const next = columns.find(c => c.name === name);
          const op = operatorsFor(next).includes(condition.op) ? condition.op : '==';
          onChange({ column: name, op, value: defaultValue(next, op) });
        }}
      />
      <div className="jp-DataProduct-conditionLine">
        <select
          className="jp-mod-styled jp-DataProduct-op"
          aria-label={`Condition ${index}: operator`}
          value={condition.op}
          onChange={e => onChange({ column: condition.column, op: e.target.value, value: defaultValue(column, e.target.value) })}
        >
          {ops.map(op => (
            <option key={op} value={op}>
              {op}
            </option>
          ))}
        </select>
        <ValueInput
          column={column}
          condition={condition}
          label={`Condition ${index}: value`}
          onChange={value => onChange({ ...condition, value })}
        />
        <button
          type="button"
          className="jp-DataProduct-link jp-DataProduct-remove"
          aria-label={`Remove condition ${index}`}
          title="Remove this condition"
          onClick={onRemove}
        >
          ✕
        </button>
      </div>
      {incomplete && <div className="jp-DataProduct-meta">Choose a column (until then this row is left out).</div>}
    </div>
  );
}

function GroupEditor(props: {
  group: IBuilderGroup;
  path: string;
  depth: number;
  columns: IColumnInfo[];
  groups: [string, IColumnInfo[]][];
  onChange: (group: IBuilderGroup) => void;
  onRemove?: () => void;
}): JSX.Element {
  const { group, path, depth, columns, groups, onChange } = props;
  const setItem = (i: number, item: ICondition | IBuilderGroup): void =>
    onChange({ ...group, items: group.items.map((old, j) => (j === i ? item : old)) });
  const removeItem = (i: number): void => onChange({ ...group, items: group.items.filter((_, j) => j !== i) });
  const label = path ? `Group ${path}` : 'Cohort conditions';
  return (
    <div className={`jp-DataProduct-group${depth > 0 ? ' jp-mod-nested' : ''}`} role="group" aria-label={label}>
      <div className="jp-DataProduct-groupHeader">
        <select
          className="jp-mod-styled jp-DataProduct-join"
          aria-label={`${label}: match`}
          value={group.join}
          onChange={e => onChange({ ...group, join: e.target.value as 'and' | 'or' })}
        >
          <option value="and">all of (and)</option>
          <option value="or">any of (or)</option>
        </select>
        {props.onRemove && (
          <button type="button" className="jp-DataProduct-link" aria-label={`Remove ${label}`} onClick={props.onRemove}>
            remove group
          </button>
        )}
      </div>
      {group.items.length === 0 && depth === 0 && (
        <div className="jp-DataProduct-meta">No condition: everyone.</div>
      )}
      {group.items.map((item, i) => {
        const index = path ? `${path}.${i + 1}` : `${i + 1}`;
        return isBuilderGroup(item) ? (
          <GroupEditor
            key={i}
            group={item}
            path={index}
            depth={depth + 1}
            columns={columns}
            groups={groups}
            onChange={g => setItem(i, g)}
            onRemove={() => removeItem(i)}
          />
        ) : (
          <ConditionRow
            key={i}
            index={index}
            condition={item}
            columns={columns}
            groups={groups}
            onChange={c => setItem(i, c)}
            onRemove={() => removeItem(i)}
          />
        );
      })}
      <div className="jp-DataProduct-groupTools">
        <button
          type="button"
          className="jp-DataProduct-link jp-DataProduct-addCondition"
          onClick={() => onChange({ ...group, items: [...group.items, { column: '', op: '==', value: '' }] })}
        >
          + condition
        </button>
        {depth === 0 && (
          <button
            type="button"
            className="jp-DataProduct-link jp-DataProduct-addGroup"
            onClick={() =>
              onChange({
                ...group,
                items: [...group.items, { join: group.join === 'and' ? 'or' : 'and', items: [{ column: '', op: '==', value: '' }] }]
              })
            }
          >
            + group
          </button>
        )}
      </div>
    </div>
  );
}

/** The live count, debounced: "N of M patients". */
function useCohortCount(context: IFormContext, entity: string, value: unknown): {
  count: ICohortCount | null;
  error: string | null;
  pending: boolean;
} {
  const [state, setState] = React.useState<{ count: ICohortCount | null; error: string | null; pending: boolean }>({
    count: null,
    error: null,
    pending: false
  });
  const key = JSON.stringify(value ?? null);
  React.useEffect(() => {
    if (value === undefined || value === null) {
      setState({ count: null, error: null, pending: false });
      return;
    }
    let live = true;
    setState(s => ({ ...s, pending: true }));
    const timer = window.setTimeout(() => {
      api
        .countCohort(context.product, entity, value)
        .then(count => live && setState({ count, error: null, pending: false }))
        .catch(error => live && setState({ count: null, error: (error as Error).message, pending: false }));
    }, 400);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [key, context.product, entity]);
  return state;
}

export function CohortField(props: FieldProps): JSX.Element {
  const { schema, formData, onChange, idSchema, rawErrors } = props;
  const context = props.formContext as IFormContext;
  const entity = String(schema['x-entity'] ?? '');
  const columns = entityColumns(context, entity);
  const allowed = (schema['x-columns'] as string[] | undefined) ?? undefined;
  const groups = groupColumns(columns, allowed);
  const [state, setState] = React.useState(() => initialState(formData));
  const [textError, setTextError] = React.useState<string | null>(null);
  const [artifacts, setArtifacts] = React.useState<IArtifactEntry[] | null>(null);
  const { count, error, pending } = useCohortCount(context, entity, formData);

  React.useEffect(() => {
    if (state.mode === 'saved' && artifacts === null) {
      api
        .artifacts(context.product)
        .then(list => setArtifacts(list.filter(a => a.kind === 'cohort' && (!a.entity || a.entity === entity))))
        .catch(() => setArtifacts([]));
    }
  }, [state.mode, artifacts]);

  const emitGroup = (group: IBuilderGroup): void => {
    setState(s => ({ ...s, group, note: '' }));
    onChange(builderToTree(completeGroup(group)));
  };
  const switchTo = (mode: Mode): void => {
    if (mode === state.mode) {
      return;
    }
    if (mode === 'text') {
      const text = state.mode === 'builder' ? treeToText(builderToTree(completeGroup(state.group))) : state.text;
      setState(s => ({ ...s, mode, text, note: '' }));
      setTextError(null);
      onChange(text === 'everyone' ? '' : text);
    } else if (mode === 'builder') {
      let tree: CohortTree;
      try {
        tree = parseCohort(state.text);
      } catch (e) {
        setTextError((e as Error).message);
        return;
      }
      const group = treeToBuilder(tree);
      if (group === null) {
        setState(s => ({ ...s, note: 'This cohort needs the text form (not, or deeper groups); it stays as text.' }));
        return;
      }
      setState(s => ({ ...s, mode, group, note: '' }));
      onChange(builderToTree(group));
    } else {
      setState(s => ({ ...s, mode }));
      if (state.saved) {
        onChange(`@${state.saved}`);
      }
    }
  };

  const liveText = (() => {
    if (state.mode === 'builder') {
      return treeToText(builderToTree(completeGroup(state.group)));
    }
    if (state.mode === 'saved') {
      return state.saved ? `@${state.saved}` : '';
    }
    return state.text;
  })();
  const incomplete = state.mode === 'builder' ? countIncomplete(state.group) : 0;
  const modes: [Mode, string][] = [
    ['builder', 'Builder'],
    ['text', 'Text'],
    ['saved', 'Saved']
  ];

  return (
    <div className="jp-DataProduct-field jp-DataProduct-cohort" id={idSchema.$id} data-parameter={props.name}>
      <FieldHeader {...props} />
      <div className="jp-DataProduct-modes" role="radiogroup" aria-label={`${schema.title ?? props.name}: how to write it`}>
        {modes.map(([mode, label]) => (
          <button
            key={mode}
            type="button"
            role="radio"
            aria-checked={state.mode === mode}
            className={`jp-DataProduct-mode${state.mode === mode ? ' jp-mod-active' : ''}`}
            onClick={() => switchTo(mode)}
          >
            {label}
          </button>
        ))}
      </div>
      {state.mode === 'builder' && (
        <GroupEditor group={state.group} path="" depth={0} columns={columns} groups={groups} onChange={emitGroup} />
      )}
      {state.mode === 'text' && (
        <textarea
          className="jp-mod-styled jp-DataProduct-cohortText"
          aria-label={`${schema.title ?? props.name} as text`}
          rows={2}
          spellCheck={false}
          placeholder="age >= 40 and arms in ('ZDV', 'ddI')"
          value={state.text}
          onChange={e => {
            const text = e.target.value;
            setState(s => ({ ...s, text }));
            try {
              parseCohort(text);
              setTextError(null);
            } catch (err) {
              setTextError(err instanceof CohortSyntaxError ? err.message : String(err));
            }
            onChange(text);
          }}
        />
      )}
      {state.mode === 'saved' && (
        <select
          className="jp-mod-styled jp-DataProduct-select"
          aria-label={`${schema.title ?? props.name}: saved cohort`}
          value={state.saved}
          onChange={e => {
            const saved = e.target.value;
            setState(s => ({ ...s, saved }));
            onChange(saved ? `@${saved}` : undefined);
          }}
        >
          <option value="">{artifacts === null ? 'loading…' : artifacts.length ? '(choose a saved cohort)' : '(no saved cohort)'}</option>
          {state.saved && !(artifacts ?? []).some(a => a.name === state.saved) && (
            <option value={state.saved}>@{state.saved}</option>
          )}
          {(artifacts ?? []).map(a => (
            <option key={a.name} value={a.name}>
              @{a.name}
            </option>
          ))}
        </select>
      )}
      {state.note && <div className="jp-DataProduct-meta">{state.note}</div>}
      {incomplete > 0 && (
        <div className="jp-DataProduct-warning" role="status">
          {incomplete} condition{incomplete > 1 ? 's' : ''} without a column left out.
        </div>
      )}
      {textError && (
        <pre className="jp-DataProduct-error" role="alert">
          {textError}
        </pre>
      )}
      <div className="jp-DataProduct-cohortSummary">
        <code className="jp-DataProduct-cohortLive" aria-label="Cohort as text">
          {liveText || 'everyone'}
        </code>
        <div className="jp-DataProduct-count" aria-live="polite">
          {error ? (
            <span className="jp-DataProduct-error">{error}</span>
          ) : count ? (
            <span>
              <strong>{count.matched.toLocaleString()}</strong> of {count.total.toLocaleString()} {entity}
            </span>
          ) : pending ? (
            <span className="jp-DataProduct-meta">counting…</span>
          ) : null}
        </div>
      </div>
      <FieldErrors errors={rawErrors} id={idSchema.$id} />
    </div>
  );
}
