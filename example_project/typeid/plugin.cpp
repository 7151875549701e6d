// An extension-like plugin: hidden visibility, one C entry point. Built twice per
// demonstration build (plugin_a.so, plugin_b.so), with ASYNCRT_PLUGIN naming the entry
// point <ASYNCRT_PLUGIN>_id. It answers the address it uses as the id of asyncrt::Runtime.
#include "asyncrt/type_id.hpp"

#define ASYNCRT_PLUGIN_CAT2(name) name##_id
#define ASYNCRT_PLUGIN_CAT(name) ASYNCRT_PLUGIN_CAT2(name)

extern "C" ASYNCRT_TYPEID_API const void *ASYNCRT_PLUGIN_CAT(ASYNCRT_PLUGIN)() {
  return asyncrt::TypeId<asyncrt::Runtime>::get();
}
