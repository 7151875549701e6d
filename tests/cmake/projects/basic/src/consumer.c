#include <stdio.h>
#include "demo.h"
int main(void) {
  int r = demo_add(2, 3) * 10 + demo_mul(2, 2) + demo_version * 1000;
  printf("%d\n", r);
  return r == 3054 ? 0 : 1;
}
