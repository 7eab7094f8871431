// Initial schema. Runs on SQLite and MySQL/MariaDB alike; timestamps are integer milliseconds since
// the epoch in BIGINT columns.
import type { Knex } from 'knex';
import { mysqlTable } from '../schema';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    mysqlTable(knex, t);
    t.increments('id');
    t.string('username', 32).notNullable().unique();
    t.string('password_hash', 255).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_login_at').nullable();
  });

  await knex.schema.createTable('meetings', (t) => {
    mysqlTable(knex, t);
    t.string('id', 16).primary();
    t.string('name', 100).notNullable();
    t.string('password_hash', 255).nullable();
    t.integer('host_user_id').unsigned().notNullable();
    t.integer('created_by_user_id').unsigned().notNullable().index();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('ended_at').nullable();
  });

  await knex.schema.createTable('meeting_members', (t) => {
    mysqlTable(knex, t);
    t.increments('id');
    t.string('meeting_id', 16).notNullable().index();
    t.integer('user_id').unsigned().notNullable().index();
    t.bigInteger('joined_at').notNullable();
    t.bigInteger('left_at').nullable();
    t.string('address', 64).nullable();
  });

  await knex.schema.createTable('messages', (t) => {
    mysqlTable(knex, t);
    t.increments('id');
    t.string('meeting_id', 16).notNullable();
    t.integer('sender_user_id').unsigned().notNullable();
    t.string('sender_name', 32).notNullable();
    t.integer('recipient_user_id').unsigned().nullable();
    // JSON array of user ids, written without spaces (see MessageRepository).
    t.text('mentions').nullable();
    // MEDIUMTEXT on MySQL: TEXT would cap a message at 64 KiB of UTF-8.
    t.text('text', 'mediumtext').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['meeting_id', 'id']);
  });

  await knex.schema.createTable('access_log', (t) => {
    mysqlTable(knex, t);
    t.increments('id');
    t.integer('user_id').unsigned().nullable();
    t.string('username', 32).notNullable();
    t.string('event', 16).notNullable();
    t.string('meeting_id', 16).nullable();
    t.string('address', 64).notNullable();
    t.bigInteger('at').notNullable();
    t.string('detail', 255).nullable();
    t.index(['user_id', 'id']);
    t.index(['username', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['access_log', 'messages', 'meeting_members', 'meetings', 'users']) {
    await knex.schema.dropTableIfExists(table);
  }
}
