/** Re-render a React section whenever the panel model changes. */
import React from 'react';

import { PanelModel } from '../model';
import { useChanged } from './useSection';

export function useModel(model: PanelModel): PanelModel {
  return useChanged(model);
}

/** Enter or Space on a focusable row acts like a click. */
export function activateOnKey(action: () => void): (event: React.KeyboardEvent) => void {
  return event => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      action();
    }
  };
}

/** Arrow keys move the focus between the rows of one list (a roving focus). */
export function moveFocus(event: React.KeyboardEvent, selector: string): void {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') {
    return;
  }
  const current = event.currentTarget as HTMLElement;
  const list = current.parentElement;
  if (!list) {
    return;
  }
  const rows = Array.from(list.querySelectorAll<HTMLElement>(selector));
  const index = rows.indexOf(current);
  const next = rows[index + (event.key === 'ArrowDown' ? 1 : -1)];
  if (next) {
    event.preventDefault();
    next.focus();
  }
}
