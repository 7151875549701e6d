#include "asyncrt.h"

namespace asyncrt {
int Runtime::start() { return 10; }
int Runtime::stop() { return 11; }
}  // namespace asyncrt
