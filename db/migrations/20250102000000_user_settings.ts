// Per-user settings that follow the account between meetings: the chosen face effect.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.string('face_effect', 32).notNullable().defaultTo('none');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('face_effect');
  });
}
