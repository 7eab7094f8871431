// Helpers the migrations share.
import type { Knex } from 'knex';

/**
 * MySQL tables use utf8mb4 with a binary collation so that text compares exactly like SQLite does
 * (case-sensitive usernames, byte-exact meeting ids) and any Unicode fits.
 */
export function mysqlTable(knex: Knex, t: Knex.CreateTableBuilder): void {
  if ((knex.client.config as Knex.Config).client === 'mysql2') {
    t.charset('utf8mb4');
    t.collate('utf8mb4_bin');
    t.engine('InnoDB');
  }
}
