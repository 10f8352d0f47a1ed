/** Re-render a section whenever its own model (Snapshots, Artifacts) changes. */
import { ISignal } from '@lumino/signaling';
import React from 'react';

export function useChanged<T extends { changed: ISignal<T, void> }>(model: T): T {
  const [, setTick] = React.useState(0);
  React.useEffect(() => {
    const update = (): void => setTick(t => t + 1);
    model.changed.connect(update);
    return () => {
      model.changed.disconnect(update);
    };
  }, [model]);
  return model;
}

/** A date-time as the panel shows it: `2026-12-01 17:25` (the server's ISO text, shortened). */
export function shortTime(iso: string): string {
  return iso ? iso.replace('T', ' ').slice(0, 16) : '';
}
