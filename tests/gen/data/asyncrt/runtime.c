#include "asyncrt.h"

int asyncrt_version = 42;
static int init_count;
static int live;

int asyncrt_hidden_helper(void) { return 7; }
int asyncrt_internal(void) { return asyncrt_hidden_helper() + 1; }

int asyncrtCreateToken(void) { return live ? 100 + init_count : -1; }
int asyncrtRuntimeStart(void) { return 1; }
int asyncrtRuntimeStop(void) { return 2; }
int asyncrtCancel(int token) { return token + asyncrt_internal(); }
int asyncrtTrace(void) { return 3; }
int asyncrtOld(void) { return 4; }
int asyncrtInitCount(void) { return live ? init_count : -init_count; }

void asyncrt_startup(void) { ++init_count; live = 1; }
void asyncrt_shutdown(void) { live = 0; }
