/*
 * Keeps the sound libraries quiet on a machine without sound. When PortAudio lists devices, ALSA
 * evaluates its whole configuration (cards, PulseAudio, JACK, OSS plugins) and prints every failure
 * to stderr through its default error handler, and the JACK client library ALSA's jack plugin
 * loads prints its own; on a machine without sound that is a hundred lines per listing. This addon
 * installs handlers that count those messages instead (and keep the last one), before PortAudio is
 * initialised. The libraries are found with dlopen by their sonames, so they are the same
 * instances PortAudio and ALSA's plugins use later; a library that is not installed is skipped.
 *
 *   silence() -> { alsa: boolean, jack: boolean }   which libraries were quietened
 *   stats()   -> { count: number, last: string }    messages swallowed so far, and the last one
 */
#include <dlfcn.h>
#include <node_api.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static unsigned long swallowed = 0;
static char last[512] = "";

/* ALSA: void (*)(const char *file, int line, const char *function, int err, const char *fmt, ...) */
static void alsa_handler(const char *file, int line, const char *function, int err, const char *fmt,
                         ...) {
  (void)file;
  (void)line;
  (void)function;
  (void)err;
  va_list args;
  va_start(args, fmt);
  vsnprintf(last, sizeof last, fmt, args);
  va_end(args);
  swallowed++;
}

/* JACK: void (*)(const char *message) */
static void jack_handler(const char *message) {
  snprintf(last, sizeof last, "%s", message ? message : "");
  swallowed++;
}

typedef int (*alsa_set_handler_fn)(void *handler);
typedef void (*jack_set_fn)(void (*)(const char *));

static napi_value make_bool(napi_env env, int value) {
  napi_value result;
  napi_get_boolean(env, value != 0, &result);
  return result;
}

static napi_value silence(napi_env env, napi_callback_info info) {
  (void)info;
  int alsa = 0;
  int jack = 0;
  void *asound = dlopen("libasound.so.2", RTLD_NOW | RTLD_GLOBAL);
  if (asound) {
    alsa_set_handler_fn set = (alsa_set_handler_fn)dlsym(asound, "snd_lib_error_set_handler");
    if (set && set((void *)alsa_handler) == 0) alsa = 1;
  }
  void *libjack = dlopen("libjack.so.0", RTLD_NOW | RTLD_GLOBAL);
  if (libjack) {
    jack_set_fn set_error = (jack_set_fn)dlsym(libjack, "jack_set_error_function");
    jack_set_fn set_info = (jack_set_fn)dlsym(libjack, "jack_set_info_function");
    if (set_error) set_error(jack_handler);
    if (set_info) set_info(jack_handler);
    jack = set_error != NULL;
  }
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "alsa", make_bool(env, alsa));
  napi_set_named_property(env, result, "jack", make_bool(env, jack));
  return result;
}

static napi_value stats(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result, count, text;
  napi_create_object(env, &result);
  napi_create_double(env, (double)swallowed, &count);
  napi_create_string_utf8(env, last, strlen(last), &text);
  napi_set_named_property(env, result, "count", count);
  napi_set_named_property(env, result, "last", text);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"silence", NULL, silence, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
