#include "tiny_export.h"

TINY_EXPORT int tiny_answer(void) { return 42; }
int tiny_hidden(void) { return 1; }
