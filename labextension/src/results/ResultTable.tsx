/**
 * One table of a result: every row the bundle carries, sorted by any column (click its
 * header: ascending, descending, bundle order) and paged.
 */
import { Button, caretDownIcon, caretUpIcon, HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';

import { cellText, IDecodedTable, sortedOrder } from './arrow';
import { IBundleTable } from './types';

const PAGE_SIZES = [10, 25, 100, 500];

interface ISort {
  column: number;
  direction: 1 | -1;
}

export function ResultTable(props: { table: IBundleTable; data: IDecodedTable }): JSX.Element {
  const { table, data } = props;
  const [sort, setSort] = React.useState<ISort | null>(null);
  const [pageSize, setPageSize] = React.useState(10);
  const [page, setPage] = React.useState(0);
  const order = React.useMemo(
    () => (sort ? sortedOrder(data.columns[sort.column], sort.direction) : null),
    [sort, data]
  );
  const pages = Math.max(1, Math.ceil(data.rows / pageSize));
  const current = Math.min(page, pages - 1);
  const first = current * pageSize;
  const last = Math.min(data.rows, first + pageSize);
  const rows: number[] = [];
  for (let i = first; i < last; i++) {
    rows.push(order ? order[i] : i);
  }

  const clickHeader = (column: number): void => {
    setSort(s => (s?.column !== column ? { column, direction: 1 } : s.direction === 1 ? { column, direction: -1 } : null));
    setPage(0);
  };

  return (
    <div className="jp-DataProduct-resultTable" data-table={table.name}>
      <div className="jp-DataProduct-resultScroll">
        <table className="jp-sortable-table">
          <thead>
            <tr className="jp-sortable-table-tr">
              {data.columns.map((column, index) => {
                const sorted = sort?.column === index;
                const Icon = sorted && sort!.direction === -1 ? caretDownIcon : caretUpIcon;
                return (
                  <th
                    key={column.name}
                    className={(sorted ? 'jp-sorted-header ' : '') + (column.numeric ? 'jp-DataProduct-num' : '')}
                    data-column={column.name}
                    aria-sort={sorted ? (sort!.direction === 1 ? 'ascending' : 'descending') : 'none'}
                    title={`Sort by ${column.name}`}
                    tabIndex={0}
                    onClick={() => clickHeader(index)}
                    onKeyDown={e => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        clickHeader(index);
                      }
                    }}
                  >
                    <div className="jp-sortable-table-th-wrapper">
                      <label>{column.name}</label>
                      <Icon.react tag="span" className="jp-sort-icon" />
                    </div>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {rows.map(row => (
              <tr key={row} className="jp-sortable-table-tr" data-row={row}>
                {data.columns.map(column => {
                  const value = column.values[row];
                  return (
                    <td key={column.name} className={(column.numeric ? 'jp-DataProduct-num' : '') + (value === null ? ' jp-DataProduct-null' : '')}>
                      {cellText(value)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="jp-DataProduct-pager">
        <Button minimal small className="jp-DataProduct-pageFirst" disabled={current === 0} onClick={() => setPage(0)} title="First page">
          «
        </Button>
        <Button minimal small className="jp-DataProduct-pagePrev" disabled={current === 0} onClick={() => setPage(current - 1)} title="Previous page">
          ‹
        </Button>
        <span className="jp-DataProduct-pageInfo">
          rows {(data.rows ? first + 1 : 0).toLocaleString('en-US')}–{last.toLocaleString('en-US')} of {data.rows.toLocaleString('en-US')}
          {table.rows > table.included ? ` (of ${table.rows.toLocaleString('en-US')})` : ''}, page {(current + 1).toLocaleString('en-US')}/{pages.toLocaleString('en-US')}
        </span>
        <Button minimal small className="jp-DataProduct-pageNext" disabled={current >= pages - 1} onClick={() => setPage(current + 1)} title="Next page">
          ›
        </Button>
        <Button minimal small className="jp-DataProduct-pageLast" disabled={current >= pages - 1} onClick={() => setPage(pages - 1)} title="Last page">
          »
        </Button>
        <HTMLSelect
          className="jp-DataProduct-pageSize"
          aria-label="Rows per page"
          value={pageSize}
          onChange={e => {
            const size = Number(e.currentTarget.value);
            setPage(Math.floor(first / size));
            setPageSize(size);
          }}
          options={PAGE_SIZES.map(n => ({ label: `${n} / page`, value: n }))}
        />
      </div>
      {table.rest && (
        <div className="jp-DataProduct-resultNote" role="note">
          The notebook holds the first {table.included.toLocaleString('en-US')} of {table.rows.toLocaleString('en-US')} rows.
          All rows: <code>{table.rest}</code>
        </div>
      )}
    </div>
  );
}
