// What lets members come back after a dropped link or a server restart: the sessions of logged-in
// clients (their resume token's hash, their meeting and media state), the host's room options, and
// a client-generated id per chat message so a message re-sent after a reconnect is stored once.
import type { Knex } from 'knex';
import { mysqlTable } from '../schema';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (t) => {
    mysqlTable(knex, t);
    // The session id is the member id clients see: unique across restarts.
    t.increments('id');
    t.integer('user_id').unsigned().notNullable().index();
    // SHA-256 (hex) of the current resume token; the token itself is never stored.
    t.string('resume_hash', 64).notNullable().unique();
    t.string('meeting_id', 16).nullable().index();
    t.bigInteger('joined_at').nullable();
    t.boolean('audio').notNullable().defaultTo(true);
    t.boolean('video').notNullable().defaultTo(true);
    t.boolean('screen').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('seen_at').notNullable();
  });
  await knex.schema.alterTable('meetings', (t) => {
    // JSON of the host's RoomOptions while the meeting is open.
    t.text('room_options').nullable();
  });
  await knex.schema.alterTable('messages', (t) => {
    t.string('client_id', 64).nullable();
    t.unique(['sender_user_id', 'client_id'], { indexName: 'messages_sender_client_id_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropUnique(['sender_user_id', 'client_id'], 'messages_sender_client_id_unique');
    t.dropColumn('client_id');
  });
  await knex.schema.alterTable('meetings', (t) => {
    t.dropColumn('room_options');
  });
  await knex.schema.dropTableIfExists('sessions');
}
