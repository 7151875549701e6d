#include "plugin_export.h"
PLUGIN_EXPORT int plugin_entry(void) { return 7; }
PLUGIN_EXPORT int plugin_entry_v2(void) { return 8; }
int plugin_private(void) { return 9; }
