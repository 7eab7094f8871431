// Meeting recordings (issue 13): one row per recording, one per segment file. Times are integer
// milliseconds since the epoch; sizes are bytes; files are paths relative to the server's
// recordings folder.
import type { Knex } from 'knex';
import { mysqlTable } from '../schema';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('recordings', (t) => {
    mysqlTable(knex, t);
    t.increments('id');
    t.string('meeting_id', 16).notNullable();
    t.integer('started_by_user_id').unsigned().notNullable();
    t.string('started_by_name', 32).notNullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('stopped_at').nullable();
    t.bigInteger('duration_ms').notNullable().defaultTo(0);
    t.bigInteger('size_bytes').notNullable().defaultTo(0);
    // recording | complete | interrupted | failed
    t.string('state', 16).notNullable();
    // Folder of the segment files, relative to the recordings folder.
    t.string('folder', 255).notNullable();
    t.index(['meeting_id', 'id']);
    t.index(['state']);
  });

  await knex.schema.createTable('recording_segments', (t) => {
    mysqlTable(knex, t);
    t.increments('id');
    t.integer('recording_id').unsigned().notNullable();
    t.integer('seq').unsigned().notNullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('duration_ms').nullable();
    t.bigInteger('size_bytes').notNullable().defaultTo(0);
    t.string('file', 255).notNullable();
    // open | complete | partial | failed
    t.string('state', 16).notNullable();
    t.unique(['recording_id', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('recording_segments');
  await knex.schema.dropTableIfExists('recordings');
}
