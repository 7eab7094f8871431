/** The login / register page: server address, username, password (and confirmation), inline errors. */
import { EchoMode, FocusReason, type QLabel, type QLineEdit, type QWidget } from '@nodegui/nodegui';
import { Button, LineEdit, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { TrustPrompt } from './Banners';
import { useAppEvents, useRemovable } from './hooks';

export function LoginView({ app }: { app: DesktopApp }): React.ReactElement {
  useAppEvents(app, 'state');
  const { busy, loginError, registerMode } = app.state;
  const server = useRef<QLineEdit>(null);
  const user = useRef<QLineEdit>(null);
  const password = useRef<QLineEdit>(null);
  const confirm = useRef<QLineEdit | null>(null);
  const page = useRemovable<QWidget>();
  const confirmLabelRef = useRemovable<QLabel>();
  const confirmRef = useRemovable(confirm);

  useEffect(() => {
    server.current?.setText(app.state.server);
    user.current?.setText(app.state.lastUsername);
    (app.state.lastUsername ? password : user).current?.setFocus(FocusReason.OtherFocusReason);
  }, [app]);
  useEffect(() => {
    if (registerMode) confirm.current?.setFocus(FocusReason.OtherFocusReason);
  }, [registerMode]);
  // After a failed attempt the password is the field to retype.
  useEffect(() => {
    if (!loginError || busy || !password.current) return;
    password.current.setFocus(FocusReason.OtherFocusReason);
    password.current.selectAll();
  }, [loginError, busy]);

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
  const registerOn = useMemo(() => ({ clicked: onRegister }), [onRegister]);

  return (
    <View
      id="loginPage"
      ref={page}
      style="flex: 1; flex-direction: column; justify-content: 'center'; align-items: 'center';"
    >
      <TrustPrompt app={app} />
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
        <Text
          id="loginError"
          wordWrap={true}
          style="min-height: 40px; margin-top: 4px; margin-bottom: 4px;"
        >
          {loginError}
        </Text>
        <View id="loginButtons" style="flex-direction: row; justify-content: 'flex-end';">
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
          />
        </View>
      </View>
    </View>
  );
}
