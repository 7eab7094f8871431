/** The login / register page: server address, username, password (and confirmation), inline errors. */
import { EchoMode, FocusReason, type QLabel, type QLineEdit, type QWidget } from '@nodegui/nodegui';
import { Button, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import type { DesktopApp } from '../DesktopApp';
import type { LoginField } from '../pages/AppContext';
import { firstEmptyField } from '../pages/LoginPage';
import { TrustPrompt } from './Banners';
import { useAppEvents, useRemovable } from './hooks';

export function LoginView({ app }: { app: DesktopApp }): React.ReactElement {
  useAppEvents(app, 'state');
  const { busy, loginError, loginInfo, registerMode, loginFocus, loginFocusTick, trustPrompt } =
    app.state;
  const server = useRef<QLineEdit>(null);
  const user = useRef<QLineEdit>(null);
  const password = useRef<QLineEdit>(null);
  const confirm = useRef<QLineEdit | null>(null);
  const page = useRemovable<QWidget>();
  const confirmLabelRef = useRemovable<QLabel>();
  const confirmRef = useRemovable(confirm);

  const fields = { server, user, password, confirm } as const;
  const focus = (field: LoginField | null, select: boolean): void => {
    const box = field ? fields[field].current : null;
    if (!box) return;
    box.setFocus(FocusReason.OtherFocusReason);
    if (select) box.selectAll();
  };
  const firstEmpty = (): LoginField | null =>
    firstEmptyField(
      {
        server: server.current?.text() ?? '',
        username: user.current?.text() ?? '',
        password: password.current?.text() ?? '',
        confirm: confirm.current?.text() ?? '',
      },
      app.state.registerMode,
    );

  // Prefilled from the last login; the cursor starts in the first empty field.
  useEffect(() => {
    server.current?.setText(app.state.server);
    user.current?.setText(app.state.lastUsername);
    focus(firstEmpty() ?? 'password', false);
  }, [app]);
  // Register… shows the confirm field: the cursor goes to the first empty field (usually it).
  useEffect(() => {
    focus(firstEmpty() ?? (registerMode ? 'confirm' : 'password'), false);
  }, [registerMode]);
  // After an error: the field the page named (the first empty one, or the one to retype).
  useEffect(() => {
    if (loginFocusTick === 0 || busy) return;
    const empty = firstEmpty();
    if (empty) focus(empty, false);
    else focus(loginFocus, true);
  }, [loginFocusTick, busy]);

  const values = (): [string, string, string] => [
    server.current?.text() ?? '',
    user.current?.text() ?? '',
    password.current?.text() ?? '',
  ];
  const onLogin = useCallback(() => {
    app.loginPage.setRegisterMode(false);
    void app.loginPage.login(...values());
  }, [app]);
  const onRegister = useCallback(() => {
    void app.loginPage.register(...values(), confirm.current?.text() ?? '');
  }, [app]);
  const onSubmit = useCallback(
    () => (app.state.registerMode ? onRegister() : onLogin()),
    [app, onLogin, onRegister],
  );
  const submitOn = useMemo(() => ({ returnPressed: onSubmit }), [onSubmit]);
  const loginOn = useMemo(() => ({ clicked: onLogin }), [onLogin]);
  const cancelOn = useMemo(() => ({ clicked: () => app.loginPage.cancel() }), [app]);
  const cancelButton = useRef<QWidget | null>(null);
  const cancelRef = useRemovable(cancelButton);
  // While connecting, the disabled Log in button would pass the focus on to the first field: the
  // Cancel button takes it instead (Space or Return gives up).
  useEffect(() => {
    if (busy) cancelButton.current?.setFocus(FocusReason.OtherFocusReason);
  }, [busy]);
  const registerOn = useMemo(() => ({ clicked: onRegister }), [onRegister]);

  return (
    <View
      id="loginPage"
      ref={page}
      style="flex: 1; flex-direction: column; justify-content: 'center'; align-items: 'center';"
    >
      {/* While the user decides about a changed certificate, the prompt takes the form's place. */}
      <TrustPrompt app={app} />
      {trustPrompt ? null : (
        <View id="loginForm" style="flex-direction: column; width: 360px; padding: 16px;">
          <Text id="loginTitle" style="font-size: 20px; font-weight: bold; margin-bottom: 10px;">
            {registerMode ? 'Create an account' : 'Log in to a meeting server'}
          </Text>
          <Text id="loginServerLabel">Server (host:port)</Text>
          <LineEdit id="loginServer" ref={server} on={submitOn} style="margin-bottom: 6px;" />
          <Text id="loginUserLabel">Username</Text>
          <LineEdit id="loginUser" ref={user} on={submitOn} style="margin-bottom: 6px;" />
          <Text id="loginPasswordLabel">Password</Text>
          <LineEdit
            id="loginPassword"
            ref={password}
            echoMode={EchoMode.Password}
            on={submitOn}
            style="margin-bottom: 6px;"
          />
          {registerMode ? (
            <Text id="loginConfirmLabel" ref={confirmLabelRef}>
              Confirm password
            </Text>
          ) : null}
          {registerMode ? (
            <LineEdit
              id="loginConfirm"
              ref={confirmRef}
              echoMode={EchoMode.Password}
              on={submitOn}
              style="margin-bottom: 6px;"
            />
          ) : null}
          <Text id="loginInfo" wordWrap={true} style="margin-top: 4px;">
            {busy ? 'Connecting… (Cancel gives up)' : loginInfo}
          </Text>
          <Text id="loginError" wordWrap={true} style="min-height: 36px; margin-bottom: 4px;">
            {loginError}
          </Text>
          <View id="loginButtons" style="flex-direction: row; justify-content: 'flex-end';">
            {busy ? (
              <Button
                id="cancelButton"
                ref={cancelRef}
                text="Cancel"
                on={cancelOn}
                style="margin-right: 8px;"
              />
            ) : null}
            <Button
              id="registerButton"
              text={registerMode ? 'Register' : 'Register…'}
              enabled={!busy}
              on={registerOn}
              style="margin-right: 8px;"
            />
            <Button
              id="loginButton"
              text={busy ? 'Connecting…' : 'Log in'}
              enabled={!busy}
              on={loginOn}
              style="min-width: 110px;"
            />
          </View>
        </View>
      )}
    </View>
  );
}
