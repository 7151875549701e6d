#include "demo.h"
static int counter;
const int demo_version = 3;
int demo_add(int a, int b) { return a + b; }
int demo_mul(int a, int b) { return a * b; }
int demo_counter_next(void) { return ++counter; }
int demo_counter_reset(void) { counter = 0; return 0; }
int demo_internal_helper(void) { return 42; }  /* global, but not declared: hidden */
int demo_startup(void) { counter = 100; return 0; }
void demo_shutdown(void) { counter = -1; }
