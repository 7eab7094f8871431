import type { Knex } from 'knex';
import { DuplicateError, isUniqueViolation } from '../errors';
import { checkInteger, checkString, toNullableNumber, toNumber } from '../rows';

/** A registered account. */
export interface User {
  id: number;
  username: string;
  passwordHash: string;
  createdAt: number;
  lastLoginAt: number | null;
  /** Face effect the user chose last (remembered between meetings). */
  faceEffect: string;
}

interface UserRow {
  id: number | string;
  username: string;
  password_hash: string;
  created_at: number | string;
  last_login_at: number | string | null;
  face_effect: string | null;
}

function fromRow(row: UserRow): User {
  return {
    id: toNumber(row.id, 'users.id'),
    username: row.username,
    passwordHash: row.password_hash,
    createdAt: toNumber(row.created_at, 'users.created_at'),
    lastLoginAt: toNullableNumber(row.last_login_at, 'users.last_login_at'),
    faceEffect: row.face_effect ?? 'none',
  };
}

/** Accounts (`users` table). */
export class UserRepository {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Inserts a user; throws DuplicateError (constraint `users.username`) if the name is taken. */
  async create(u: { username: string; passwordHash: string; createdAt: number }): Promise<User> {
    checkString(u.username, 'username', 32);
    checkString(u.passwordHash, 'passwordHash', 255);
    checkInteger(u.createdAt, 'createdAt');
    let ids: number[];
    try {
      ids = await this.#knex('users').insert({
        username: u.username,
        password_hash: u.passwordHash,
        created_at: u.createdAt,
        last_login_at: null,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateError('users.username', { cause: err });
      throw err;
    }
    return {
      id: toNumber(ids[0], 'users.id'),
      username: u.username,
      passwordHash: u.passwordHash,
      createdAt: u.createdAt,
      lastLoginAt: null,
      faceEffect: 'none',
    };
  }

  /** The user with exactly this (case-sensitive) name. */
  async findByUsername(username: string): Promise<User | undefined> {
    const row = (await this.#knex('users').where({ username }).first()) as UserRow | undefined;
    return row && fromRow(row);
  }

  async findById(id: number): Promise<User | undefined> {
    const row = (await this.#knex('users').where({ id }).first()) as UserRow | undefined;
    return row && fromRow(row);
  }

  /** Records a successful login at `at` (ms). */
  async touchLogin(id: number, at: number): Promise<void> {
    checkInteger(at, 'at');
    await this.#knex('users').where({ id }).update({ last_login_at: at });
  }

  /** Remembers the user's face effect. */
  async setFaceEffect(id: number, effect: string): Promise<void> {
    checkString(effect, 'effect', 32);
    await this.#knex('users').where({ id }).update({ face_effect: effect });
  }
}
