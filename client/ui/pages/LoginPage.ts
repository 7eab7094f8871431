/** The login page's intents: log in, register (with a confirmed password), and log out again. */
import os from 'node:os';
import { KNOWN_SERVERS_FILE } from '../../../common/constants';
import { MeetingClient, parseServerAddress } from '../../MeetingClient';
import { CertChangedError, KnownServers, defaultKnownServersFile } from '../../trust';
import { describeError } from '../format';
import type { AppContext } from './AppContext';

/** What the app does around a session starting or ending. */
export interface LoginPageHooks {
  /** A client just logged in: follow it and show the lobby. */
  loggedIn(client: MeetingClient): void;
  /** The session is ending: stop media and stop following the client. */
  loggingOut(): Promise<void>;
}

export class LoginPage {
  readonly #app: AppContext;
  readonly #hooks: LoginPageHooks;
  /** Pinned server certificates (the user's known-servers file). */
  readonly #trust = new KnownServers(defaultKnownServersFile(os.homedir(), KNOWN_SERVERS_FILE));
  /** The login or registration that met a changed certificate, to run again once accepted. */
  #retry: (() => Promise<void>) | null = null;

  constructor(app: AppContext, hooks: LoginPageHooks) {
    this.#app = app;
    this.#hooks = hooks;
  }

  /** Shows or hides the register form (the confirm field). */
  setRegisterMode(on: boolean): void {
    if (this.#app.state.registerMode !== on) this.#app.set({ registerMode: on, loginError: '' });
  }

  /** Connects to `server` and logs in; errors show on the login page. */
  async login(server: string, username: string, password: string): Promise<void> {
    if (!username || !password)
      return this.#app.set({ loginError: 'Enter a username and a password' });
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
    if (!app.state.registerMode)
      return app.set({
        registerMode: true,
        loginError: 'Confirm the password, then press Register',
      });
    if (!username || !password) return app.set({ loginError: 'Enter a username and a password' });
    if (password !== confirm) return app.set({ loginError: 'The passwords do not match' });
    await this.#enter(server, username, (c) => c.register(username, password));
  }

  /** Ends the session and returns to the login page. */
  async logout(): Promise<void> {
    const client = this.#app.client;
    await this.#hooks.loggingOut();
    if (client) {
      await client.logout().catch(() => undefined);
      await client.close();
    }
    this.#app.set({ page: 'login', loginError: '', busy: false });
  }

  async #enter(
    server: string,
    username: string,
    step: (c: MeetingClient) => Promise<unknown>,
  ): Promise<void> {
    const app = this.#app;
    if (app.state.busy) return;
    app.set({ busy: true, loginError: '', server, lastUsername: username });
    let client: MeetingClient | null = null;
    try {
      client = new MeetingClient(parseServerAddress(server), { trust: this.#trust });
      await client.connect();
      await step(client);
    } catch (error) {
      void client?.close();
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
      app.set({ busy: false, loginError: describeError(error) });
      return;
    }
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
