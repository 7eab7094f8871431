/**
 * The login page's intents: log in, register (with a confirmed password), cancel an attempt that
 * hangs, accept or refuse a server's changed certificate, and log out again. An attempt gives up
 * after DESKTOP_CONNECT_TIMEOUT_MS. After an error the page names the field the cursor should go
 * to (the first empty one, else the one to retype).
 */
import os from 'node:os';
import { DESKTOP_CONNECT_TIMEOUT_MS, KNOWN_SERVERS_FILE } from '../../../common/constants';
import { MeetingClient, parseServerAddress } from '../../MeetingClient';
import { CertChangedError, KnownServers, defaultKnownServersFile } from '../../trust';
import { describeError } from '../format';
import type { AppContext, LoginField } from './AppContext';

/** What the app does around a session starting or ending. */
export interface LoginPageHooks {
  /** A client just logged in: follow it and show the lobby. */
  loggedIn(client: MeetingClient): void;
  /** The session is ending: stop media and stop following the client. */
  loggingOut(): Promise<void>;
  /** Server address and username of a successful login, to prefill next time. */
  remember(server: string, username: string): void;
}

/** The login form's fields as typed. */
export interface LoginFields {
  server: string;
  username: string;
  password: string;
  confirm?: string;
}

/** The first empty field of the form (in screen order), or null when all are filled. */
export function firstEmptyField(fields: LoginFields, registerMode: boolean): LoginField | null {
  if (!fields.server.trim()) return 'server';
  if (!fields.username) return 'user';
  if (!fields.password) return 'password';
  if (registerMode && !fields.confirm) return 'confirm';
  return null;
}

class Cancelled extends Error {}

export class LoginPage {
  readonly #app: AppContext;
  readonly #hooks: LoginPageHooks;
  /** Pinned server certificates (the user's known-servers file). */
  readonly #trust = new KnownServers(defaultKnownServersFile(os.homedir(), KNOWN_SERVERS_FILE));
  /** The login or registration that met a changed certificate, to run again once accepted. */
  #retry: (() => Promise<void>) | null = null;
  readonly #timeoutMs: number;
  /** Ends the attempt in flight (Cancel, or its timeout). */
  #abort: ((error: Error) => void) | null = null;

  constructor(app: AppContext, hooks: LoginPageHooks, timeoutMs = DESKTOP_CONNECT_TIMEOUT_MS) {
    this.#app = app;
    this.#hooks = hooks;
    this.#timeoutMs = timeoutMs;
  }

  /** Shows or hides the register form (the confirm field). */
  setRegisterMode(on: boolean): void {
    if (this.#app.state.registerMode !== on)
      this.#app.set({
        registerMode: on,
        loginError: '',
        loginInfo: on ? 'Choose a username and password, confirm it, then press Register' : '',
      });
  }

  #fail(text: string, field: LoginField | null): void {
    const { loginFocusTick } = this.#app.state;
    this.#app.set({
      busy: false,
      loginError: text,
      loginInfo: '',
      loginFocus: field,
      loginFocusTick: loginFocusTick + 1,
    });
  }

  /** Connects to `server` and logs in; errors show on the login page. */
  async login(server: string, username: string, password: string): Promise<void> {
    const empty = firstEmptyField({ server, username, password }, false);
    if (empty) return this.#fail(emptyText(empty), empty);
    await this.#enter(server, username, (c) => c.login(username, password));
  }

  /** First press shows the confirm field; then registers and logs in. */
  async register(
    server: string,
    username: string,
    password: string,
    confirm: string,
  ): Promise<void> {
    const app = this.#app;
    if (!app.state.registerMode) return this.setRegisterMode(true);
    const empty = firstEmptyField({ server, username, password, confirm }, true);
    if (empty) return this.#fail(emptyText(empty), empty);
    if (password !== confirm) return this.#fail('The passwords do not match', 'confirm');
    await this.#enter(server, username, (c) => c.register(username, password));
  }

  /** Gives up the connection or login in flight (the Cancel button). */
  cancel(): void {
    this.#abort?.(new Cancelled('cancelled'));
  }

  /** Ends the session and returns to the login page. */
  async logout(): Promise<void> {
    const client = this.#app.client;
    await this.#hooks.loggingOut();
    if (client) {
      await client.logout().catch(() => undefined);
      await client.close();
    }
    this.#app.set({ page: 'login', loginError: '', loginInfo: '', busy: false });
  }

  async #enter(
    server: string,
    username: string,
    step: (c: MeetingClient) => Promise<unknown>,
  ): Promise<void> {
    const app = this.#app;
    if (app.state.busy) return;
    app.set({ busy: true, loginError: '', loginInfo: '', server, lastUsername: username });
    let client: MeetingClient;
    try {
      client = new MeetingClient(parseServerAddress(server), { trust: this.#trust });
    } catch (error) {
      return this.#fail(describeError(error), 'server');
    }
    const attempt = (async () => {
      await client.connect();
      await step(client);
    })();
    let timer: NodeJS.Timeout | undefined;
    const stopped = new Promise<never>((_, reject) => {
      this.#abort = reject;
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `No answer from ${server} within ${Math.round(this.#timeoutMs / 1000)} s; check the address and try again`,
            ),
          ),
        this.#timeoutMs,
      );
    });
    try {
      await Promise.race([attempt, stopped]);
    } catch (error) {
      // The attempt may still finish later: close what it opened once it settles (a client closed
      // before its socket connected would not know about that socket).
      void attempt.then(
        () => client.close(),
        () => client.close(),
      );
      if (error instanceof Cancelled) {
        app.set({ busy: false, loginInfo: 'Cancelled', loginError: '' });
        return;
      }
      if (error instanceof CertChangedError) {
        // Asked, not decided here: the prompt's Accept pins the new certificate and tries again.
        this.#retry = () => this.#enter(server, username, step);
        app.set({
          busy: false,
          loginError: 'The server’s certificate changed',
          trustPrompt: { server, pinned: error.pinned, presented: error.presented },
        });
        return;
      }
      const text = describeError(error);
      const field = /ERR_USERNAME_TAKEN|ERR_INVALID_USERNAME/.test(text)
        ? 'user'
        : /ERR_BAD_CREDENTIALS|ERR_WEAK_PASSWORD/.test(text)
          ? 'password'
          : 'server';
      this.#fail(text, field);
      return;
    } finally {
      clearTimeout(timer);
      this.#abort = null;
    }
    this.#hooks.remember(server, username);
    this.#hooks.loggedIn(client);
  }

  /** The user trusts the server's new certificate: pin it and log in again. */
  async acceptCertificate(): Promise<void> {
    const prompt = this.#app.state.trustPrompt;
    const retry = this.#retry;
    if (!prompt || !retry) return;
    this.#trust.accept(parseServerAddress(prompt.server), prompt.presented);
    this.#retry = null;
    this.#app.set({ trustPrompt: null, loginError: '' });
    await retry();
  }

  /** The user refuses the changed certificate: nothing is sent to that server. */
  refuseCertificate(): void {
    this.#retry = null;
    this.#app.set({
      trustPrompt: null,
      loginError: 'Not connected: the server’s certificate was refused',
    });
  }
}

function emptyText(field: LoginField): string {
  switch (field) {
    case 'server':
      return 'Enter the server address (host:port)';
    case 'user':
      return 'Enter a username';
    case 'password':
      return 'Enter a password';
    default:
      return 'Type the password again to confirm it';
  }
}
