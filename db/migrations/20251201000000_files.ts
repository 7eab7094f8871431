// Shared files: one row per offered file (name, sender, recipient or meeting, MIME type, size,
// SHA-256, times, state) and one row per recipient (who may download it, and when they did). The
// bytes live on disk under the server's data folder, stored once per SHA-256.
import type { Knex } from 'knex';
import { mysqlTable } from '../schema';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('files', (t) => {
    mysqlTable(knex, t);
    t.increments('id');
    t.string('meeting_id', 16).notNullable().index();
    t.integer('sender_user_id').unsigned().notNullable().index();
    t.string('sender_name', 32).notNullable();
    // Null: offered to the whole meeting.
    t.integer('recipient_user_id').unsigned().nullable();
    t.string('recipient_name', 32).nullable();
    t.boolean('later_joiners').notNullable().defaultTo(false);
    t.string('name', 255).notNullable();
    t.string('mime', 100).notNullable();
    t.bigInteger('size').notNullable();
    t.string('sha256', 64).notNullable().index();
    // 'uploading' | 'complete' | 'failed' | 'cancelled'
    t.string('status', 16).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('completed_at').nullable();
  });

  await knex.schema.createTable('file_recipients', (t) => {
    mysqlTable(knex, t);
    t.integer('file_id').unsigned().notNullable();
    t.integer('user_id').unsigned().notNullable().index();
    // Set when the user's client received the whole file.
    t.bigInteger('downloaded_at').nullable();
    t.primary(['file_id', 'user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('file_recipients');
  await knex.schema.dropTable('files');
}
