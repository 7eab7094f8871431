// Host controls: users barred from a meeting by its host (removed with "do not let back in").
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('meeting_bans', (t) => {
    if ((knex.client.config as Knex.Config).client === 'mysql2') {
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
      t.engine('InnoDB');
    }
    t.string('meeting_id', 16).notNullable();
    t.integer('user_id').unsigned().notNullable();
    t.integer('by_user_id').unsigned().notNullable();
    t.bigInteger('at').notNullable();
    t.primary(['meeting_id', 'user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('meeting_bans');
}
