// libasyncrt_ids.so: the anchor. The one strong, exported definition of the id of
// asyncrt::Runtime; type_id.hpp declares it (ASYNCRT_TYPEID_ANCHORED) for every other DSO.
// Built with hidden visibility: this definition is its only export.
#include "asyncrt/type_id.hpp"

namespace asyncrt {
template <>
const char TypeId<Runtime>::id = 0;
}  // namespace asyncrt
