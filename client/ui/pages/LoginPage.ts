/** The login page's intents: log in, register (with a confirmed password), and log out again. */
import { MeetingClient, parseServerAddress } from '../../MeetingClient';
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
      client = new MeetingClient(parseServerAddress(server));
      await client.connect();
      await step(client);
    } catch (error) {
      void client?.close();
      app.set({ busy: false, loginError: describeError(error) });
      return;
    }
    this.#hooks.loggedIn(client);
  }
}
