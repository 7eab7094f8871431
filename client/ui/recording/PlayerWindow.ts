/**
 * The recording player window (issue 13): the current meeting's recordings in a list; "Open"
 * downloads the chosen one and plays it: the picture, Play/Pause, a seek slider, position and
 * length, and the sound on the speaker chosen in the lobby. A plain NodeGui window beside the
 * React one; its widgets have names for the automation channel (client/ui/windows.ts).
 */
import type { QLabel, QListWidget, QMainWindow, QPushButton, QSlider } from '@nodegui/nodegui';
import type { RecordingInfo } from '../../../common/protocol';
import { RecordingPlayer, type PlayerFrame } from '../../media/playback/RecordingPlayer';
import { bmpFromBgr } from '../bmp';
import type { DesktopApp } from '../DesktopApp';
import { describeError } from '../format';
import { loadNodeGui } from '../qt';
import { addTopLevelWindow, removeTopLevelWindow } from '../windows';

/** Picture size in the player (the recordings are 16:9). */
const VIDEO = { width: 640, height: 360 } as const;

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function describe(r: RecordingInfo): string {
  const when = new Date(r.startedAt).toLocaleString();
  return `#${r.id}  ${when}  by ${r.startedBy.username}  ${clock(r.durationMs)}  ${r.segments.length} part(s)  ${r.state}`;
}

interface Open {
  window: QMainWindow;
  refresh(): Promise<void>;
}

let current: Open | null = null;

/** Opens (or brings forward and refreshes) the player window of the app's current meeting. */
export function openPlayerWindow(app: DesktopApp): void {
  if (current) {
    current.window.show();
    current.window.activateWindow();
    void current.refresh();
    return;
  }
  const qt = loadNodeGui();
  const window = new qt.QMainWindow();
  window.setObjectName('playerWindow');
  window.setWindowTitle(`Recordings — ${app.meeting?.name ?? ''}`);
  const root = new qt.QWidget();
  root.setObjectName('playerRoot');
  const layout = new qt.QBoxLayout(qt.Direction.TopToBottom);
  root.setLayout(layout);
  window.setCentralWidget(root);

  const list: QListWidget = new qt.QListWidget();
  list.setObjectName('recordingList');
  list.setMaximumSize(16_777_215, 120);
  const listRow = new qt.QWidget();
  const listLayout = new qt.QBoxLayout(qt.Direction.LeftToRight);
  listRow.setLayout(listLayout);
  const open: QPushButton = new qt.QPushButton();
  open.setObjectName('recordingOpen');
  open.setText('Open');
  const refreshButton: QPushButton = new qt.QPushButton();
  refreshButton.setObjectName('recordingRefresh');
  refreshButton.setText('Refresh');
  listLayout.addWidget(list, 1);
  listLayout.addWidget(open);
  listLayout.addWidget(refreshButton);

  const video: QLabel = new qt.QLabel();
  video.setObjectName('playerVideo');
  video.setMinimumSize(VIDEO.width, VIDEO.height);
  video.setStyleSheet('background-color: black;');

  const controls = new qt.QWidget();
  const controlsLayout = new qt.QBoxLayout(qt.Direction.LeftToRight);
  controls.setLayout(controlsLayout);
  const play: QPushButton = new qt.QPushButton();
  play.setObjectName('playerPlay');
  play.setText('Play');
  play.setEnabled(false);
  const slider: QSlider = new qt.QSlider();
  slider.setObjectName('playerSeek');
  slider.setOrientation(qt.Orientation.Horizontal);
  slider.setEnabled(false);
  const position: QLabel = new qt.QLabel();
  position.setObjectName('playerPosition');
  position.setText('0:00 / 0:00');
  controlsLayout.addWidget(play);
  controlsLayout.addWidget(slider, 1);
  controlsLayout.addWidget(position);

  const status: QLabel = new qt.QLabel();
  status.setObjectName('playerStatus');

  layout.addWidget(listRow);
  layout.addWidget(video, 1);
  layout.addWidget(controls);
  layout.addWidget(status);

  let recordings: RecordingInfo[] = [];
  let player: RecordingPlayer | null = null;
  let sink: { write(samples: Int16Array): void; close(): Promise<void> | void } | null = null;
  let dragging = false;

  const showPosition = (): void => {
    if (!player) return;
    position.setText(`${clock(player.positionMs)} / ${clock(player.lengthMs)}`);
    if (!dragging) slider.setValue(Math.round(player.positionMs / 100));
    play.setText(player.playing ? 'Pause' : 'Play');
  };
  const paint = (f: PlayerFrame): void => {
    const pixmap = new qt.QPixmap();
    if (pixmap.loadFromData(bmpFromBgr(f.bgr, f.width, f.height), 'BMP')) video.setPixmap(pixmap);
    showPosition();
  };
  const closePlayer = (): void => {
    player?.close();
    player = null;
    void sink?.close();
    sink = null;
  };

  const refresh = async (): Promise<void> => {
    try {
      recordings = await app.recordings.list();
      list.clear();
      for (const r of recordings) list.addItem(new qt.QListWidgetItem(describe(r)));
      if (recordings.length > 0) list.setCurrentRow(0);
      status.setText(recordings.length ? '' : 'No recordings of this meeting yet');
    } catch (error) {
      status.setText(describeError(error));
    }
  };

  open.addEventListener('clicked', () => {
    const chosen = recordings[list.currentRow()];
    if (!chosen) return;
    closePlayer();
    open.setEnabled(false);
    status.setText(`Downloading recording #${chosen.id}…`);
    void app.recordings
      .download(chosen, (done, size) =>
        status.setText(
          `Downloading recording #${chosen.id}: ${Math.round((100 * done) / Math.max(1, size))} %`,
        ),
      )
      .then(async (files) => {
        const p = new RecordingPlayer(files, VIDEO);
        player = p;
        p.on('frame', paint);
        p.on('state', showPosition);
        p.on('error', (e) => status.setText(describeError(e)));
        sink = await openSpeaker(app);
        p.on('audio', (samples) => sink?.write(samples));
        slider.setRange(0, Math.round(p.lengthMs / 100));
        slider.setEnabled(true);
        play.setEnabled(true);
        status.setText(`Recording #${chosen.id}: ${files.length} part(s), ${clock(p.lengthMs)}`);
        p.seek(0);
        showPosition();
      })
      .catch((error: unknown) => status.setText(describeError(error)))
      .finally(() => open.setEnabled(true));
  });
  refreshButton.addEventListener('clicked', () => void refresh());
  play.addEventListener('clicked', () => {
    if (!player) return;
    if (player.playing) player.pause();
    else player.play();
  });
  slider.addEventListener('sliderPressed', () => (dragging = true));
  slider.addEventListener('sliderReleased', () => {
    dragging = false;
    player?.seek(slider.value() * 100);
  });
  window.addEventListener(qt.WidgetEventTypes.Close, () => {
    closePlayer();
    removeTopLevelWindow(window);
    current = null;
  });

  addTopLevelWindow(window);
  current = { window, refresh };
  window.resize(700, 620);
  window.show();
  void refresh();
}

/** The lobby's chosen speaker for the recording's sound, or nothing when there is none. */
async function openSpeaker(
  app: DesktopApp,
): Promise<{ write(samples: Int16Array): void; close(): Promise<void> | void } | null> {
  const speaker = app.state.devices.speaker;
  if (speaker === 'none') return null;
  try {
    const { AudioSink } = await import('../../media/playout/AudioSink');
    const sink = AudioSink.open(speaker);
    return {
      write: (samples) => {
        // The sink takes 20 ms frames.
        for (let at = 0; at + 960 <= samples.length; at += 960)
          sink.write(samples.subarray(at, at + 960));
      },
      close: () => sink.close(),
    };
  } catch {
    return null;
  }
}
