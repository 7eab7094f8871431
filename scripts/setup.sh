#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian/Ubuntu machine, then builds it.
# Idempotent: each step checks what is already there, so the README's commands can call it every time.
#   1. Debian packages (Qt 5, OpenCV, ALSA, Xvfb, PulseAudio, sox, espeak-ng, ...)
#   2. npm packages with install scripts disabled (every native package would try to download a
#      prebuilt binary from GitHub or qt.io, which fails without internet)
#   3. every native module built from source against Debian's libraries (scripts/build-native.sh)
#   4. the TypeScript build
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
started=$(date +%s)

APT_PACKAGES=(
  build-essential pkg-config python3 cmake ninja-build patchelf
  qtbase5-dev libqt5svg5-dev                  # NodeGui (Qt 5.15)
  libopencv-dev opencv-data opencv-doc        # OpenCV 4.6, its Haar cascades; sample faces/video for tests
  libasound2-dev libasound2-plugins alsa-utils # PortAudio's ALSA backend, ALSA->PulseAudio plugin
  pulseaudio pulseaudio-utils                 # virtual microphone/speaker for audio tests
  libx11-dev libxext-dev                      # screen capture addon (Xlib, MIT-SHM)
  xvfb xauth x11-xserver-utils imagemagick xdotool # a display, screenshots and real input for GUI tests
  sox espeak-ng                               # test speech/tones and frequency measurement
  redis-server                                # cluster state of several nodes (tests start it)
  ffmpeg                                      # recording: H.264/AAC encoding into Matroska, ffprobe (issue 13)
  fonts-noto-color-emoji                      # raised hands and reactions in the desktop client
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages present"
fi

# npm ci only when package-lock.json changed since the last install (stamp kept in node_modules).
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.meeting-lock.sha256 2>/dev/null)" != "$lock_sum" ]; then
  log "npm ci (install scripts off; native modules are built next)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.meeting-lock.sha256
else
  log "npm packages present"
fi

bash scripts/build-native.sh

log "compiling TypeScript"
npx tsc -p tsconfig.json
log "setup finished in $(( $(date +%s) - started )) s"
