#include "asyncrt.h"

int main(void) {
#ifdef USE_UNDECLARED
  return asyncrt_internal();
#else
  return asyncrtCreateToken() + asyncrt_version + asyncrtCancel(1) - 141;
#endif
}
