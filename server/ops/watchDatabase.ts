/** Times every database query through knex's query events (metrics), bounded by queries in flight. */
import type { Knex } from 'knex';

interface QueryEvent {
  __knexQueryUid?: string;
}

export function watchDatabase(knex: Knex, onQuery: (seconds: number) => void): void {
  const started = new Map<string, number>();
  knex.on('query', (q: QueryEvent) => {
    if (q.__knexQueryUid) started.set(q.__knexQueryUid, performance.now());
  });
  const done = (q: QueryEvent): void => {
    const uid = q.__knexQueryUid;
    const t = uid === undefined ? undefined : started.get(uid);
    if (uid === undefined || t === undefined) return;
    started.delete(uid);
    onQuery((performance.now() - t) / 1000);
  };
  knex.on('query-response', (_response: unknown, q: QueryEvent) => done(q));
  knex.on('query-error', (_error: unknown, q: QueryEvent) => done(q));
}
