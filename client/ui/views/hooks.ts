/**
 * React hooks binding views to the DesktopApp: re-render on its events, and uncontrolled line edits
 * (react-nodegui re-applies every prop on every render, so a `text` prop would reset what the user
 * is typing; inputs are read through refs instead).
 */
import type { QWidget } from '@nodegui/nodegui';
import { useEffect, useLayoutEffect, useRef, useState, type MutableRefObject } from 'react';
import type { DesktopApp, DesktopAppEvents } from '../DesktopApp';

/** Re-renders the calling component whenever `app` emits one of `events`. */
export function useAppEvents(app: DesktopApp, ...events: Array<keyof DesktopAppEvents>): void {
  const [, setTick] = useState(0);
  // A layout effect: unsubscribed within the commit that unmounts the component.
  useLayoutEffect(() => {
    // An emit that unmounts this component (synchronously) still calls the listeners it copied.
    let mounted = true;
    const bump = (): void => {
      if (mounted) setTick((t) => t + 1);
    };
    for (const e of events) app.on(e, bump);
    return () => {
      mounted = false;
      for (const e of events) app.off(e, bump);
    };
    // the event list is fixed for a component's lifetime
  }, [app]);
}

/** A value derived from `app.state`; the component re-renders only when it changes. */
export function useAppState<T>(app: DesktopApp, select: (app: DesktopApp) => T): T {
  const [value, setValue] = useState(() => select(app));
  const selectRef = useRef(select);
  selectRef.current = select;
  useLayoutEffect(() => {
    let mounted = true;
    const update = (): void => {
      if (mounted) setValue(selectRef.current(app));
    };
    app.on('state', update);
    app.on('meeting', update);
    update();
    return () => {
      mounted = false;
      app.off('state', update);
      app.off('meeting', update);
    };
  }, [app]);
  return value;
}

/** Runs `tick` every `ms` while mounted. */
export function useInterval(tick: () => void, ms: number): void {
  const ref = useRef(tick);
  ref.current = tick;
  useEffect(() => {
    const timer = setInterval(() => ref.current(), ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/**
 * A stable ref callback that deletes the widget once React removed it. react-nodegui only hides a
 * removed widget (`close()`), leaving it parented and alive for good; Qt's deleteLater never runs
 * either, as Qt's loop is pumped with processEvents() and no loop level is ever entered. A widget
 * left behind also breaks NodeGui's `children()` once its JS wrapper is collected. `inner`, when
 * given, receives the widget too.
 */
export function useRemovable<T extends QWidget>(
  inner?: MutableRefObject<T | null>,
): (widget: T | null) => void {
  const holder = useRef<{ widget: T | null; callback: ((widget: T | null) => void) | null }>({
    widget: null,
    callback: null,
  });
  const h = holder.current;
  if (!h.callback) {
    h.callback = (widget) => {
      if (inner) inner.current = widget;
      if (widget) {
        h.widget = widget;
        return;
      }
      const removed = h.widget;
      h.widget = null;
      // After the commit that removed it; a parent deleted first has already taken it along.
      if (removed) setImmediate(() => removed.native && removed.delete());
    };
  }
  return h.callback;
}
