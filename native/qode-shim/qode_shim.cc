// Provides the three symbols that @nodegui/nodegui's addon expects from the qode executable
// (src/cpp/include/nodegui/core/Integration/qode-api.h), so that NodeGui runs on plain Node.
// The module must be loaded with RTLD_NOW | RTLD_GLOBAL before nodegui_core.node so the dynamic
// linker resolves nodegui's undefined references against these definitions.
#include <node_api.h>

namespace qode {
static char program_name[] = "meeting";
static char *argv_storage[] = {program_name, nullptr};

int qode_argc = 1;
char **qode_argv = argv_storage;

typedef int (*QodeCustomRunLoopFunc)();
static QodeCustomRunLoopFunc injected_run_loop = nullptr;

// qode would run Qt's loop inside its own; on plain Node the event pump is driven from JS
// (QApplication.processEvents on a timer), so the loop is only remembered.
void InjectCustomRunLoop(QodeCustomRunLoopFunc customRunLoop) { injected_run_loop = customRunLoop; }
}  // namespace qode

static napi_value RunLoopInjected(napi_env env, napi_callback_info) {
  napi_value result;
  napi_get_boolean(env, qode::injected_run_loop != nullptr, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "runLoopInjected", NAPI_AUTO_LENGTH, RunLoopInjected, nullptr, &fn);
  napi_set_named_property(env, exports, "runLoopInjected", fn);
  return exports;
}
