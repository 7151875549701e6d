/* The test library's public header: every export declared with the generated macros. */
#ifndef ASYNCRT_H
#define ASYNCRT_H

#include "asyncrt/asyncrt_export.h"

#ifdef __cplusplus
extern "C" {
#endif

ASYNCRT_EXPORT int asyncrtCreateToken(void);
ASYNCRT_EXPORT int asyncrtRuntimeStart(void);
ASYNCRT_EXPORT int asyncrtRuntimeStop(void);
ASYNCRT_EXPORT int asyncrtCancel(int token);
ASYNCRT_EXPORT int asyncrtTrace(void);
ASYNCRT_DEPRECATED_EXPORT int asyncrtOld(void);
ASYNCRT_EXPORT int asyncrtInitCount(void);
ASYNCRT_EXPORT extern int asyncrt_version;

/* Not in the manifest: must never be exported. */
ASYNCRT_NO_EXPORT int asyncrt_hidden_helper(void);
int asyncrt_internal(void);

/* on-init / on-destroy of the registration protocol. */
void asyncrt_startup(void);
void asyncrt_shutdown(void);

#ifdef __cplusplus
}

namespace asyncrt {
struct ASYNCRT_EXPORT Runtime {
  static int start();
  static int stop();
};
}  // namespace asyncrt
#endif

#endif
