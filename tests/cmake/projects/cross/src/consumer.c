/* Like basic/src/consumer.c, without stdio: the cross builds have no C library. */
#include "demo.h"
int main(void) {
  int r = demo_add(2, 3) * 10 + demo_mul(2, 2) + demo_version * 1000;
  return r == 3054 ? 0 : 1;
}
