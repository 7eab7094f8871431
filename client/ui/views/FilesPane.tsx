/**
 * The meeting's Files panel: a file to send (typed or chosen) to Everyone or one member, the files
 * offered to this member with a notice when one arrives, the download folder (and a button to open
 * it), and each transfer with a progress bar, its rate and time left, and Cancel. Also the setting
 * that saves the chat when leaving.
 */
import {
  FileMode,
  QFileDialog,
  type QCheckBox,
  type QLineEdit,
  type QWidget,
} from '@nodegui/nodegui';
import { Button, CheckBox, LineEdit, ProgressBar, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { formatBytes } from '../../files/format';
import { transferPermille, transferText } from '../pages/FilesPage';
import { useAppEvents, useRemovable } from './hooks';
import { ListBox, type ListRow } from './ListBox';
import { Select } from './Select';

function FilesPaneImpl({ app, others }: { app: DesktopApp; others: string[] }): React.ReactElement {
  useAppEvents(app, 'files', 'state');
  const files = app.filesPage;
  const pathBox = useRef<QLineEdit>(null);
  const dirBox = useRef<QLineEdit>(null);
  const dialog = useRef<QFileDialog | null>(null);
  const saveBox = useRef<QCheckBox | null>(null);
  const saveRef = useRemovable(saveBox);
  const [target, setTarget] = useState<string | null>(null);
  const [selected, setSelected] = useState(-1);
  const effectiveTarget = target !== null && others.includes(target) ? target : null;
  const targetLabels = useMemo(() => ['Everyone', ...others.map((n) => `Only ${n}`)], [others]);
  const othersRef = useRef(others);
  othersRef.current = others;
  const onTarget = useCallback(
    (i: number) => setTarget(i === 0 ? null : (othersRef.current[i - 1] ?? null)),
    [],
  );
  const open = files.open;
  const body = useRemovable<QWidget>();
  // The body's widgets are new each time it opens: fill them then.
  useEffect(() => {
    dirBox.current?.setText(files.downloadDir);
  }, [files, open]);
  const saveChat = app.state.saveChat;
  useEffect(() => {
    saveBox.current?.setChecked(saveChat);
  }, [saveChat, open]);

  const offered = files.offered;
  const offerKey = offered.map((f) => f.id).join(',');
  const rows = useMemo<ListRow[]>(
    () =>
      offered.map((f) => ({
        key: String(f.id),
        text: `${f.name} · ${formatBytes(f.size)} · from ${f.from.username}${f.to ? ' (to you)' : ''}`,
      })),
    [offerKey],
  );

  const send = useCallback(() => {
    const box = pathBox.current;
    if (!box) return;
    files.send(box.text(), effectiveTarget);
    box.clear();
  }, [files, effectiveTarget]);
  const choose = useCallback(() => {
    // Non-modal: a modal exec() would block Node's loop (and the heartbeat) while open.
    const d = new QFileDialog();
    d.setObjectName('sendFileDialog');
    d.setWindowTitle('Choose a file to send');
    d.setFileMode(FileMode.ExistingFile);
    d.addEventListener('fileSelected', (file: string) => {
      if (file) pathBox.current?.setText(file);
    });
    dialog.current = d;
    d.show();
  }, []);
  const download = useCallback(() => {
    const dir = dirBox.current?.text();
    if (dir) files.setDownloadDir(dir);
    const file = files.offered[selected >= 0 ? selected : 0];
    if (file) files.download(file.id);
  }, [files, selected]);

  const sendOn = useMemo(() => ({ clicked: send }), [send]);
  const chooseOn = useMemo(() => ({ clicked: choose }), [choose]);
  const downloadOn = useMemo(() => ({ clicked: download }), [download]);
  const openOn = useMemo(() => ({ clicked: () => files.openFolder() }), [files]);
  const dirOn = useMemo(
    () => ({ editingFinished: () => files.setDownloadDir(dirBox.current?.text() ?? '') }),
    [files],
  );
  const listOn = useMemo(() => ({ currentRowChanged: (row: number) => setSelected(row) }), []);
  const saveOn = useMemo(
    () => ({ clicked: (checked: boolean) => files.setSaveChat(checked) }),
    [files],
  );

  const toggleOn = useMemo(() => ({ clicked: () => files.toggle() }), [files]);
  const unseen = files.unseen;
  const toggleText = `${files.open ? '▾' : '▸'} Files${unseen ? ` (${unseen} new)` : ''}`;
  // Collapsed, the panel is one line (the notice of a new file included) and the chat keeps the pane.
  return (
    <View id="filesPane" style="flex-direction: column;">
      <View style="flex-direction: row; align-items: 'center';">
        <Button
          id="filesToggle"
          text={toggleText}
          on={toggleOn}
          style={unseen ? 'font-weight: bold; color: #1a5276;' : ''}
        />
        <Text id="fileNotice" wordWrap={true} style="flex: 1; margin-left: 6px; color: #1a5276;">
          {files.notice}
        </Text>
      </View>
      {open ? (
        <View id="filesBody" ref={body} style="flex-direction: column;">
          <View style="flex-direction: row; align-items: 'center';">
            <LineEdit
              id="fileToSend"
              ref={pathBox}
              placeholderText="File to send"
              style="flex: 1;"
            />
            <Button id="fileChoose" text="Browse…" on={chooseOn} style="margin-left: 4px;" />
          </View>
          <View style="flex-direction: row; align-items: 'center';">
            <Select
              id="fileTarget"
              labels={targetLabels}
              index={effectiveTarget === null ? 0 : others.indexOf(effectiveTarget) + 1}
              onChange={onTarget}
              style="flex: 1;"
            />
            <Button id="fileSend" text="Send file" on={sendOn} style="margin-left: 4px;" />
          </View>
          <ListBox
            id="fileOffers"
            rows={rows}
            on={listOn}
            style="min-height: 44px; max-height: 64px;"
          />
          <View style="flex-direction: row; align-items: 'center';">
            <Text>Save to</Text>
            <LineEdit id="downloadDir" ref={dirBox} on={dirOn} style="flex: 1; margin-left: 4px;" />
          </View>
          <View style="flex-direction: row; align-items: 'center';">
            <Button id="fileDownload" text="Download" on={downloadOn} />
            <Button id="openFolder" text="Open folder" on={openOn} style="margin-left: 4px;" />
            <View style="flex: 1;" />
            <CheckBox id="saveChatToggle" ref={saveRef} text="Save chat" on={saveOn} />
          </View>
          {files.transfers.slice(0, 2).map((r, i) => (
            <View key={r.key} style="flex-direction: column;">
              <Text id={`transferLabel${i}`}>{transferText(r)}</Text>
              <View style="flex-direction: row; align-items: 'center';">
                <ProgressBar
                  id={`transferBar${i}`}
                  minimum={0}
                  maximum={1000}
                  value={transferPermille(r)}
                  style="flex: 1;"
                />
                {r.state === 'running' ? (
                  <Button
                    id={`transferCancel${i}`}
                    text="Cancel"
                    on={{ clicked: () => files.cancel(r.key) }}
                    style="margin-left: 4px;"
                  />
                ) : null}
              </View>
            </View>
          ))}
        </View>
      ) : null}
    </View>
  );
}

export const FilesPane = React.memo(FilesPaneImpl);
