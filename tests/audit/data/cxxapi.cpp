// A library with a C++ API (what should not cross DSO boundaries) and a C API (what may).
#include "ident.h"

namespace ident {
IDENT_API int helper() { return 42; }
}  // namespace ident

extern "C" IDENT_API int cxxapi_answer() { return ident::helper(); }
