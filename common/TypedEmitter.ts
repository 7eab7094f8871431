/**
 * An EventEmitter typed by a map of event name -> argument tuple, with `safeEmit` that catches a
 * throwing listener so one bad handler cannot break a socket loop (as in mediasoup).
 */
import { EventEmitter } from 'node:events';

export type EventMap = { [name: string]: unknown[] };

/** Every emitter also reports listeners that threw. */
export type BaseEvents = { listenerError: [event: string, error: unknown] };

export class TypedEmitter<
  Events extends EventMap,
  E extends EventMap = Events & BaseEvents,
> extends EventEmitter {
  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  override emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return super.emit(event, ...args);
  }
  /** Emits, reporting a throwing listener through 'listenerError' instead of throwing. */
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      return super.emit(event, ...args);
    } catch (error) {
      try {
        super.emit('listenerError', event, error);
      } catch {
        // a throwing error listener is ignored: nothing else can be done here
      }
      return true;
    }
  }
}
