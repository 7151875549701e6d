#ifndef DEMO_H
#define DEMO_H
#include "demo/demo_export.h"
#ifdef __cplusplus
extern "C" {
#endif
DEMO_EXPORT int demo_add(int a, int b);
DEMO_EXPORT int demo_mul(int a, int b);
DEMO_EXPORT int demo_counter_next(void);
DEMO_EXPORT int demo_counter_reset(void);
DEMO_EXPORT extern const int demo_version;
int demo_startup(void);
void demo_shutdown(void);
#ifdef __cplusplus
}
#endif
#endif
