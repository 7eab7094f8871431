// Grabs the screen of an X11 display (the root window, or a rectangle of it) into Node Buffers as
// BGRA or BGR, for screen sharing. MIT-SHM (XShmGetImage into a shared segment, no copy through the
// socket) is used when the server offers it and the segment can be attached; otherwise, and for
// remote displays, XGetImage.
//
// JS API (all synchronous; a handle is an External tagged as ours):
//   open(display?: string | null, options?: { shm?: boolean }) -> handle
//   size(handle) -> { width, height }                      current size of the root window
//   info(handle) -> { display, width, height, depth, bitsPerPixel, shm }
//   grab(handle, buffer?: Buffer | null, options?: { x, y, width, height, format: 'bgra' | 'bgr' })
//     -> { width, height, data }   data is `buffer` when its length is exactly right, else a new Buffer
//   close(handle)                                          idempotent; the GC closes a forgotten handle
//
// Xlib's default handlers exit the process on an X error or a lost connection. Here, X errors are
// trapped around each request of ours, and a lost connection marks the handle dead (an I/O error
// handler that returns for our displays plus a per-display exit handler, libX11 >= 1.7) and is
// reported as a JS Error. The process-wide handlers are swapped in only while one of our calls runs
// and restored right after, so other users of Xlib in the process keep theirs.
#define NAPI_VERSION 8
#include <node_api.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const napi_type_tag kHandleTag = {0x7f1c2a3b4d5e6f70ULL, 0x8192a3b4c5d6e7f8ULL};

struct Grabber {
  Display *dpy = nullptr;
  std::string name;  // display name, for messages
  Window root = 0;
  Visual *visual = nullptr;
  int depth = 0;
  int bits_per_pixel = 0;
  bool shm = false;         // MIT-SHM in use
  bool closed = false;
  bool io_failed = false;   // the connection was lost
  XImage *shm_image = nullptr;
  XShmSegmentInfo shm_info{};
};

// ---- X error trap ----------------------------------------------------------------------------

Display *g_trap_display = nullptr;
int g_trap_error = 0;
XErrorHandler g_trap_previous = nullptr;

int TrapHandler(Display *dpy, XErrorEvent *event) {
  if (dpy == g_trap_display) {
    if (g_trap_error == 0) g_trap_error = event->error_code;
    return 0;
  }
  // another library's display: its errors go where they went before the trap
  return g_trap_previous ? g_trap_previous(dpy, event) : 0;
}

// Catches the X errors of `dpy` between construction and End().
class Trap {
 public:
  explicit Trap(Display *dpy) {
    g_trap_display = dpy;
    g_trap_error = 0;
    g_trap_previous = XSetErrorHandler(TrapHandler);
  }
  // `sync`: wait for the server to process the requests (not needed after a request with a reply).
  int End(bool sync) {
    if (ended_) return g_trap_error;
    if (sync) XSync(g_trap_display, False);
    ended_ = true;
    int error = g_trap_error;
    XSetErrorHandler(g_trap_previous);
    g_trap_display = nullptr;
    g_trap_previous = nullptr;
    return error;
  }
  ~Trap() { End(false); }

 private:
  bool ended_ = false;
};

std::string XErrorText(Display *dpy, int code) {
  char text[128] = {0};
  XGetErrorText(dpy, code, text, sizeof text);
  return std::string(text) + " (X error " + std::to_string(code) + ")";
}

// ---- lost connection --------------------------------------------------------------------------
// On a lost connection libX11 calls the (process-wide) I/O error handler, whose default prints and
// exits, then the display's exit handler (libX11 >= 1.7), whose default exits too. While one of our
// calls runs, an IoGuard installs a handler that returns for our displays, and each display has an
// exit handler that only marks its Grabber dead.

std::vector<Grabber *> g_grabbers;  // open Grabbers
XIOErrorHandler g_io_previous = nullptr;
int g_io_depth = 0;

bool IsOurs(Display *dpy) {
  return std::any_of(g_grabbers.begin(), g_grabbers.end(), [dpy](Grabber *g) { return g->dpy == dpy; });
}

int OnIOError(Display *dpy) {
  if (IsOurs(dpy)) return 0;  // the exit handler below runs next
  return g_io_previous ? g_io_previous(dpy) : 0;
}

void OnIOErrorExit(Display *, void *data) { static_cast<Grabber *>(data)->io_failed = true; }

// Installs OnIOError for the duration of one exported call.
class IoGuard {
 public:
  IoGuard() {
    if (g_io_depth++ == 0) g_io_previous = XSetIOErrorHandler(OnIOError);
  }
  ~IoGuard() {
    if (--g_io_depth == 0) {
      XSetIOErrorHandler(g_io_previous);
      g_io_previous = nullptr;
    }
  }
  IoGuard(const IoGuard &) = delete;
  IoGuard &operator=(const IoGuard &) = delete;
};

// ---- MIT-SHM ---------------------------------------------------------------------------------

void DestroyShmImage(Grabber *g) {
  if (!g->shm_image) return;
  if (!g->io_failed) {
    Trap trap(g->dpy);
    XShmDetach(g->dpy, &g->shm_info);
    trap.End(true);
  }
  g->shm_image->data = nullptr;  // shared memory, not malloc'd: XDestroyImage must not free it
  XDestroyImage(g->shm_image);
  g->shm_image = nullptr;
  if (g->shm_info.shmaddr && g->shm_info.shmaddr != reinterpret_cast<char *>(-1)) shmdt(g->shm_info.shmaddr);
  g->shm_info = XShmSegmentInfo{};
}

// Makes `g->shm_image` a w x h image attached to the server; false when that fails.
bool EnsureShmImage(Grabber *g, int w, int h) {
  if (g->shm_image && g->shm_image->width == w && g->shm_image->height == h) return true;
  DestroyShmImage(g);
  XImage *image = XShmCreateImage(g->dpy, g->visual, g->depth, ZPixmap, nullptr, &g->shm_info, w, h);
  if (!image) return false;
  size_t bytes = static_cast<size_t>(image->bytes_per_line) * h;
  g->shm_info.shmid = shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
  if (g->shm_info.shmid < 0) {
    XDestroyImage(image);
    g->shm_info = XShmSegmentInfo{};
    return false;
  }
  g->shm_info.shmaddr = image->data = static_cast<char *>(shmat(g->shm_info.shmid, nullptr, 0));
  if (g->shm_info.shmaddr == reinterpret_cast<char *>(-1)) {
    shmctl(g->shm_info.shmid, IPC_RMID, nullptr);
    image->data = nullptr;
    XDestroyImage(image);
    g->shm_info = XShmSegmentInfo{};
    return false;
  }
  g->shm_info.readOnly = False;
  Trap trap(g->dpy);
  Bool attached = XShmAttach(g->dpy, &g->shm_info);
  int error = trap.End(true);  // a remote server answers BadAccess
  // removed now so the segment disappears with its last user, even if this process crashes
  shmctl(g->shm_info.shmid, IPC_RMID, nullptr);
  if (!attached || error != 0) {
    // not attached on the server: nothing to detach
    image->data = nullptr;
    XDestroyImage(image);
    shmdt(g->shm_info.shmaddr);
    g->shm_info = XShmSegmentInfo{};
    return false;
  }
  g->shm_image = image;
  if (g->io_failed) {
    DestroyShmImage(g);
    return false;
  }
  return true;
}

void CloseGrabber(Grabber *g) {
  if (g->closed) return;
  g->closed = true;
  IoGuard guard;
  DestroyShmImage(g);
  XCloseDisplay(g->dpy);
  g_grabbers.erase(std::remove(g_grabbers.begin(), g_grabbers.end(), g), g_grabbers.end());
  g->dpy = nullptr;
}

void FinalizeGrabber(napi_env, void *data, void *) {
  auto *g = static_cast<Grabber *>(data);
  CloseGrabber(g);
  delete g;
}

// ---- pixel conversion ------------------------------------------------------------------------

struct Channel {
  int shift = 0;
  unsigned long max = 0;  // mask >> shift
  uint8_t Scale(unsigned long pixel) const {
    unsigned long v = (pixel >> shift) & max;
    return max == 255 ? static_cast<uint8_t>(v) : static_cast<uint8_t>((v * 255 + max / 2) / max);
  }
};

Channel ChannelOf(unsigned long mask) {
  Channel c;
  if (mask == 0) return c;
  while (!(mask & 1)) {
    mask >>= 1;
    c.shift++;
  }
  c.max = mask;
  return c;
}

inline unsigned long ReadPixel(const uint8_t *p, int bytes, bool msb) {
  unsigned long v = 0;
  if (msb) {
    for (int i = 0; i < bytes; i++) v = (v << 8) | p[i];
  } else {
    for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
  }
  return v;
}

// Writes the image as packed BGRA (alpha 255) or BGR rows into `out`.
void Convert(XImage *image, Visual *visual, uint8_t *out, int w, int h, bool bgra) {
  const int out_bpp = bgra ? 4 : 3;
  const bool standard = image->bits_per_pixel == 32 && image->byte_order == LSBFirst &&
                        visual->red_mask == 0xff0000 && visual->green_mask == 0xff00 &&
                        visual->blue_mask == 0xff;
  if (standard) {
    // the common 24/32-bit TrueColor layout is already B, G, R, X in memory
    for (int y = 0; y < h; y++) {
      const uint8_t *src = reinterpret_cast<const uint8_t *>(image->data) + static_cast<size_t>(y) * image->bytes_per_line;
      uint8_t *dst = out + static_cast<size_t>(y) * w * out_bpp;
      if (bgra) {
        const uint32_t *s = reinterpret_cast<const uint32_t *>(src);
        uint32_t *d = reinterpret_cast<uint32_t *>(dst);
        for (int x = 0; x < w; x++) d[x] = s[x] | 0xff000000u;
      } else {
        for (int x = 0; x < w; x++) {
          dst[3 * x] = src[4 * x];
          dst[3 * x + 1] = src[4 * x + 1];
          dst[3 * x + 2] = src[4 * x + 2];
        }
      }
    }
    return;
  }
  const Channel r = ChannelOf(visual->red_mask), g = ChannelOf(visual->green_mask), b = ChannelOf(visual->blue_mask);
  const int bpp = image->bits_per_pixel;
  const bool whole_bytes = bpp == 8 || bpp == 16 || bpp == 24 || bpp == 32;
  const bool msb = image->byte_order == MSBFirst;
  for (int y = 0; y < h; y++) {
    const uint8_t *row = reinterpret_cast<const uint8_t *>(image->data) + static_cast<size_t>(y) * image->bytes_per_line;
    uint8_t *dst = out + static_cast<size_t>(y) * w * out_bpp;
    for (int x = 0; x < w; x++) {
      unsigned long pixel = whole_bytes ? ReadPixel(row + x * (bpp / 8), bpp / 8, msb) : XGetPixel(image, x, y);
      dst[0] = b.Scale(pixel);
      dst[1] = g.Scale(pixel);
      dst[2] = r.Scale(pixel);
      if (bgra) dst[3] = 255;
      dst += out_bpp;
    }
  }
}

// ---- N-API helpers ---------------------------------------------------------------------------

napi_value Throw(napi_env env, const std::string &message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

napi_value ThrowType(napi_env env, const std::string &message) {
  napi_throw_type_error(env, nullptr, message.c_str());
  return nullptr;
}

napi_value ThrowRange(napi_env env, const std::string &message) {
  napi_throw_range_error(env, nullptr, message.c_str());
  return nullptr;
}

bool IsNullish(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  return type == napi_undefined || type == napi_null;
}

// The Grabber of an open handle, or nullptr with a JS exception pending.
Grabber *Unwrap(napi_env env, napi_value value, bool allow_closed = false) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  bool tagged = false;
  if (type == napi_external) napi_check_object_type_tag(env, value, &kHandleTag, &tagged);
  if (!tagged) {
    ThrowType(env, "handle must be a handle returned by x11-grab open()");
    return nullptr;
  }
  void *data = nullptr;
  napi_get_value_external(env, value, &data);
  auto *g = static_cast<Grabber *>(data);
  if (g->closed && !allow_closed) {
    Throw(env, "x11-grab: the handle of display \"" + g->name + "\" is closed");
    return nullptr;
  }
  if (!allow_closed && g->io_failed) {
    Throw(env, "x11-grab: the connection to X display \"" + g->name + "\" was lost");
    return nullptr;
  }
  return g;
}

void SetInt(napi_env env, napi_value object, const char *key, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, object, key, v);
}

// Reads an optional integer property; false with a JS exception pending when it is not an integer.
bool GetOptionalInt(napi_env env, napi_value object, const char *key, int *out) {
  napi_value v;
  napi_get_named_property(env, object, key, &v);
  if (IsNullish(env, v)) return true;
  napi_valuetype type;
  napi_typeof(env, v, &type);
  double d = 0;
  if (type == napi_number) napi_get_value_double(env, v, &d);
  if (type != napi_number || d != static_cast<double>(static_cast<int64_t>(d)) || d < -1e9 || d > 1e9) {
    ThrowType(env, std::string("grab options.") + key + " must be an integer");
    return false;
  }
  *out = static_cast<int>(d);
  return true;
}

// Current size of the root window (it changes with RandR); false with a JS exception pending.
bool RootSize(napi_env env, Grabber *g, int *w, int *h) {
  Window root_return;
  int x, y;
  unsigned int width = 0, height = 0, border, depth;
  Trap trap(g->dpy);
  Status ok = XGetGeometry(g->dpy, g->root, &root_return, &x, &y, &width, &height, &border, &depth);
  int error = trap.End(false);
  if (g->io_failed) {
    Throw(env, "x11-grab: the connection to X display \"" + g->name + "\" was lost");
    return false;
  }
  if (!ok || error) {
    Throw(env, "x11-grab: cannot get the size of the screen of \"" + g->name + "\"" +
                   (error ? ": " + XErrorText(g->dpy, error) : std::string()));
    return false;
  }
  *w = static_cast<int>(width);
  *h = static_cast<int>(height);
  return true;
}

// ---- exported functions ----------------------------------------------------------------------

napi_value Open(napi_env env, napi_callback_info info) {
  IoGuard guard;
  size_t argc = 2;
  napi_value args[2];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  std::string requested;
  bool given = false;
  if (argc >= 1 && !IsNullish(env, args[0])) {
    napi_valuetype type;
    napi_typeof(env, args[0], &type);
    if (type != napi_string) return ThrowType(env, "display must be a string such as \":0\"");
    size_t length = 0;
    napi_get_value_string_utf8(env, args[0], nullptr, 0, &length);
    requested.resize(length);
    napi_get_value_string_utf8(env, args[0], &requested[0], length + 1, &length);
    given = true;
  }
  bool want_shm = true;
  if (argc >= 2 && !IsNullish(env, args[1])) {
    napi_value v;
    if (napi_get_named_property(env, args[1], "shm", &v) != napi_ok) return ThrowType(env, "options must be an object");
    if (!IsNullish(env, v)) napi_get_value_bool(env, v, &want_shm);
  }
  std::string name = requested;
  if (!given) {
    const char *env_display = getenv("DISPLAY");
    if (!env_display || !*env_display) return Throw(env, "cannot open X display: no display given and $DISPLAY is not set");
    name = env_display;
  }
  if (name.empty()) return Throw(env, "cannot open X display: the display name is empty");
  Display *dpy = XOpenDisplay(name.c_str());
  if (!dpy) return Throw(env, "cannot open X display \"" + name + "\"");

  auto *g = new Grabber();
  g->dpy = dpy;
  g->name = name;
  XSetIOErrorExitHandler(dpy, OnIOErrorExit, g);
  g_grabbers.push_back(g);
  int screen = DefaultScreen(dpy);
  g->root = RootWindow(dpy, screen);
  g->visual = DefaultVisual(dpy, screen);
  g->depth = DefaultDepth(dpy, screen);
  int count = 0;
  XPixmapFormatValues *formats = XListPixmapFormats(dpy, &count);
  for (int i = 0; i < count; i++) {
    if (formats[i].depth == g->depth) g->bits_per_pixel = formats[i].bits_per_pixel;
  }
  if (formats) XFree(formats);
  if (g->visual->c_class != TrueColor && g->visual->c_class != DirectColor) {
    const int depth = g->depth;
    CloseGrabber(g);
    delete g;
    return Throw(env, "x11-grab: the screen of X display \"" + name + "\" is not TrueColor (depth " +
                          std::to_string(depth) + "); only TrueColor screens are supported");
  }
  g->shm = want_shm && XShmQueryExtension(dpy);
  if (g->shm) {
    int w = 0, h = 0;
    // attach a segment now so that a display without usable shared memory falls back at once
    if (!RootSize(env, g, &w, &h)) {
      CloseGrabber(g);
      delete g;
      return nullptr;
    }
    g->shm = EnsureShmImage(g, w, h);
  }
  napi_value handle;
  napi_create_external(env, g, FinalizeGrabber, nullptr, &handle);
  napi_type_tag_object(env, handle, &kHandleTag);
  return handle;
}

napi_value Size(napi_env env, napi_callback_info info) {
  IoGuard guard;
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc < 1) return ThrowType(env, "size(handle) needs a handle");
  Grabber *g = Unwrap(env, args[0]);
  if (!g) return nullptr;
  int w, h;
  if (!RootSize(env, g, &w, &h)) return nullptr;
  napi_value result;
  napi_create_object(env, &result);
  SetInt(env, result, "width", w);
  SetInt(env, result, "height", h);
  return result;
}

napi_value Info(napi_env env, napi_callback_info info) {
  IoGuard guard;
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc < 1) return ThrowType(env, "info(handle) needs a handle");
  Grabber *g = Unwrap(env, args[0]);
  if (!g) return nullptr;
  int w, h;
  if (!RootSize(env, g, &w, &h)) return nullptr;
  napi_value result, v;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, g->name.c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, result, "display", v);
  SetInt(env, result, "width", w);
  SetInt(env, result, "height", h);
  SetInt(env, result, "depth", g->depth);
  SetInt(env, result, "bitsPerPixel", g->bits_per_pixel);
  napi_get_boolean(env, g->shm, &v);
  napi_set_named_property(env, result, "shm", v);
  return result;
}

napi_value Grab(napi_env env, napi_callback_info info) {
  IoGuard guard;
  size_t argc = 3;
  napi_value args[3];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc < 1) return ThrowType(env, "grab(handle) needs a handle");
  Grabber *g = Unwrap(env, args[0]);
  if (!g) return nullptr;

  int screen_w, screen_h;
  if (!RootSize(env, g, &screen_w, &screen_h)) return nullptr;
  int x = 0, y = 0, w = -1, h = -1;
  bool bgra = true;
  if (argc >= 3 && !IsNullish(env, args[2])) {
    napi_valuetype type;
    napi_typeof(env, args[2], &type);
    if (type != napi_object) return ThrowType(env, "grab options must be an object");
    if (!GetOptionalInt(env, args[2], "x", &x) || !GetOptionalInt(env, args[2], "y", &y) ||
        !GetOptionalInt(env, args[2], "width", &w) || !GetOptionalInt(env, args[2], "height", &h)) {
      return nullptr;
    }
    napi_value format;
    napi_get_named_property(env, args[2], "format", &format);
    if (!IsNullish(env, format)) {
      char text[8] = {0};
      size_t length = 0;
      napi_valuetype ftype;
      napi_typeof(env, format, &ftype);
      if (ftype == napi_string) napi_get_value_string_utf8(env, format, text, sizeof text, &length);
      if (strcmp(text, "bgra") == 0) bgra = true;
      else if (strcmp(text, "bgr") == 0) bgra = false;
      else return ThrowType(env, "grab options.format must be 'bgra' or 'bgr'");
    }
  }
  if (w < 0) w = screen_w - x;
  if (h < 0) h = screen_h - y;
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > screen_w || y + h > screen_h) {
    return ThrowRange(env, "grab rectangle " + std::to_string(w) + "x" + std::to_string(h) + "+" + std::to_string(x) +
                               "+" + std::to_string(y) + " is not inside the " + std::to_string(screen_w) + "x" +
                               std::to_string(screen_h) + " screen");
  }

  XImage *image = nullptr;
  bool owned = false;
  if (g->shm && EnsureShmImage(g, w, h)) {
    Trap trap(g->dpy);
    Bool ok = XShmGetImage(g->dpy, g->root, g->shm_image, x, y, AllPlanes);
    int error = trap.End(false);  // the reply (or the error) has arrived when it returns
    if (ok && !error && !g->io_failed) image = g->shm_image;
  }
  if (!image && !g->io_failed) {
    Trap trap(g->dpy);
    image = XGetImage(g->dpy, g->root, x, y, w, h, AllPlanes, ZPixmap);
    int error = trap.End(false);
    if (error && image) {
      XDestroyImage(image);
      image = nullptr;
    }
    if (!image) {
      if (g->io_failed) return Throw(env, "x11-grab: the connection to X display \"" + g->name + "\" was lost");
      return Throw(env, "x11-grab: cannot read the screen of X display \"" + g->name + "\"" +
                            (error ? ": " + XErrorText(g->dpy, error) : std::string()));
    }
    owned = true;
    if (g->shm) {
      // plain XGetImage works where MIT-SHM did not: use it from now on
      DestroyShmImage(g);
      g->shm = false;
    }
  }
  if (g->io_failed) return Throw(env, "x11-grab: the connection to X display \"" + g->name + "\" was lost");

  const size_t needed = static_cast<size_t>(w) * h * (bgra ? 4 : 3);
  napi_value data = nullptr;
  void *out = nullptr;
  if (argc >= 2 && !IsNullish(env, args[1])) {
    bool is_buffer = false;
    napi_is_buffer(env, args[1], &is_buffer);
    if (!is_buffer) {
      if (owned) XDestroyImage(image);
      return ThrowType(env, "grab buffer must be a Buffer");
    }
    size_t length = 0;
    napi_get_buffer_info(env, args[1], &out, &length);
    if (length == needed) data = args[1];
  }
  if (!data) {
    if (napi_create_buffer(env, needed, &out, &data) != napi_ok) {
      if (owned) XDestroyImage(image);
      return Throw(env, "x11-grab: cannot allocate a buffer of " + std::to_string(needed) + " bytes");
    }
  }
  Convert(image, g->visual, static_cast<uint8_t *>(out), w, h, bgra);
  if (owned) XDestroyImage(image);

  napi_value result;
  napi_create_object(env, &result);
  SetInt(env, result, "width", w);
  SetInt(env, result, "height", h);
  napi_set_named_property(env, result, "data", data);
  return result;
}

napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  if (argc < 1) return ThrowType(env, "close(handle) needs a handle");
  Grabber *g = Unwrap(env, args[0], true);
  if (!g) return nullptr;
  CloseGrabber(g);
  return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
  const napi_property_descriptor properties[] = {
      {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"size", nullptr, Size, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"grab", nullptr, Grab, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}
