// Several nodes: the node each session lives on, so that a surviving node adopts the sessions of a
// dead one (their clients resume there) and never those of a live one.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    // Null on a single server (no cluster).
    t.string('node_id', 64).nullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropIndex(['node_id']);
    t.dropColumn('node_id');
  });
}
