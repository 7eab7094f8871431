#!/usr/bin/env bash
# Builds every native module from source against Debian's libraries, without any download.
# Finished builds are cached outside the clone, keyed by package version, Node ABI and the version of this
# recipe, in ${MEETING_NATIVE_CACHE:-~/.cache/meeting-native}; MEETING_NATIVE_CACHE=off disables it.
# A machine with no cache builds everything (about 10 minutes on 2 cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1m[native]\033[0m %s\n' "$*"; }

CACHE="${MEETING_NATIVE_CACHE:-$HOME/.cache/meeting-native}"
ABI=$(node -p 'process.versions.modules')
# Bump when a build recipe below changes, so cached builds made by the old recipe are not reused.
RECIPE=2
JOBS=$(nproc)

# Node's own headers: never let node-gyp or cmake-js download them.
NODEDIR="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
[ -f "$NODEDIR/include/node/node.h" ] || { echo "Node headers not found under $NODEDIR/include/node" >&2; exit 1; }
export npm_config_nodedir="$NODEDIR"
NODE_GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
gyp() { node "$NODE_GYP" rebuild --release -j "$JOBS" --nodedir="$NODEDIR" "$@"; }

version_of() { node -p "require('$ROOT/$1/package.json').version"; }

# native NAME DIR "OUTPUTS (globs relative to DIR)" BUILD_FUNCTION
native() {
  local name=$1 dir=$2 outputs=$3 build=$4 extra=${5:-}
  if [ -n "${MEETING_NATIVE_ONLY:-}" ] && [[ " $MEETING_NATIVE_ONLY " != *" $name "* ]]; then return; fi
  local key="${name//\//+}@$(version_of "$dir")$extra-abi$ABI-r$RECIPE"
  local tarball="$CACHE/$key.tar"
  # shellcheck disable=SC2086
  if (cd "$dir" && ls $outputs >/dev/null 2>&1) && [ -f "$dir/.meeting-built" ] && [ "$(cat "$dir/.meeting-built")" = "$key" ]; then
    log "$name: built"
    return
  fi
  if [ "${MEETING_NATIVE_CACHE:-}" != off ] && [ -f "$tarball" ]; then
    tar -C "$dir" -xf "$tarball"
    echo "$key" > "$dir/.meeting-built"
    log "$name: restored from cache $tarball"
    return
  fi
  log "$name: building from source"
  local t0; t0=$(date +%s)
  (cd "$dir" && $build) > "/tmp/meeting-native-${name//\//+}.log" 2>&1 || {
    tail -n 40 "/tmp/meeting-native-${name//\//+}.log" >&2
    echo "building $name failed (full log: /tmp/meeting-native-${name//\//+}.log)" >&2
    exit 1
  }
  # shellcheck disable=SC2086
  (cd "$dir" && ls $outputs >/dev/null) || { echo "$name: build produced no $outputs" >&2; exit 1; }
  echo "$key" > "$dir/.meeting-built"
  if [ "${MEETING_NATIVE_CACHE:-}" != off ]; then
    mkdir -p "$CACHE"
    # shellcheck disable=SC2086
    (cd "$dir" && tar -cf "$tarball.tmp" $outputs && mv "$tarball.tmp" "$tarball")
  fi
  log "$name: built in $(( $(date +%s) - t0 )) s"
}

build_plain() { gyp; }

# naudiodon links its bundled libportaudio.so.2 with an absolute RUNPATH; make it relative so a
# cached build works in any clone.
build_naudiodon() { gyp && patchelf --set-rpath '$ORIGIN' build/Release/naudiodon.node; }

# OpenCV binding: it compiles the wrapper of each OpenCV module whose library it finds in
# OPENCV_LIB_DIR, so point it at a folder holding only the modules the project uses.
CV_LIBS="$ROOT/node_modules/.meeting-opencv-libs"
build_opencv() {
  rm -rf "$CV_LIBS" && mkdir -p "$CV_LIBS"
  local m
  for m in core imgproc imgcodecs videoio objdetect; do
    ln -s "/usr/lib/x86_64-linux-gnu/libopencv_$m.so" "$CV_LIBS/" 2>/dev/null ||
      ln -s "$(find /usr/lib -name "libopencv_$m.so" | head -n1)" "$CV_LIBS/"
  done
  OPENCV4NODEJS_DISABLE_AUTOBUILD=1 OPENCV_INCLUDE_DIR=/usr/include/opencv4 \
    OPENCV_LIB_DIR="$CV_LIBS" OPENCV_BIN_DIR=/usr/bin gyp
}

# @discordjs/opus builds its bundled libopus; node-pre-gyp decides where the .node goes.
build_opus() { node ../node-pre-gyp/bin/node-pre-gyp rebuild --build-from-source --nodedir="$NODEDIR" -j "$JOBS"; }

# NodeGui: its CMake looks for $QT_INSTALL_DIR/lib/cmake/Qt5; Debian keeps those files in the
# multiarch cmake folder, so give it a folder whose lib/cmake links to that whole directory.
QT_DIR="$ROOT/node_modules/.meeting-qt"
build_nodegui() {
  rm -rf "$QT_DIR" && mkdir -p "$QT_DIR/lib"
  ln -s "$(dirname "$(dirname "$(find /usr/lib -path '*/cmake/Qt5/Qt5Config.cmake' | head -n1)")")" "$QT_DIR/lib/cmake"
  QT_INSTALL_DIR="$QT_DIR" CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" node ../../cmake-js/bin/cmake-js compile
}

native better-sqlite3 node_modules/better-sqlite3 'build/Release/better_sqlite3.node' build_plain
native segfault-handler node_modules/segfault-handler 'build/Release/segfault-handler.node' build_plain
native naudiodon node_modules/naudiodon 'build/Release/naudiodon.node build/Release/libportaudio.so.2' build_naudiodon
native @discordjs/opus node_modules/@discordjs/opus 'prebuild' build_opus
native qode-shim native/qode-shim 'build/Release/qode_shim.node' build_plain "-$(cat native/qode-shim/*.cc native/qode-shim/binding.gyp | sha256sum | cut -c1-12)"
native x11-grab native/x11-grab 'build/Release/x11_grab.node' build_plain "-$(cat native/x11-grab/*.cc native/x11-grab/binding.gyp | sha256sum | cut -c1-12)"
native audio-quiet native/audio-quiet 'build/Release/audio_quiet.node' build_plain "-$(cat native/audio-quiet/*.c native/audio-quiet/binding.gyp | sha256sum | cut -c1-12)"
native @nodegui/nodegui node_modules/@nodegui/nodegui 'build/Release/nodegui_core.node' build_nodegui
native @u4/opencv4nodejs node_modules/@u4/opencv4nodejs 'build/Release/opencv4nodejs.node' build_opencv
