// Uses libcxxapi through its C++ API (flagged) and its C API (fine).
#include "ident.h"

namespace ident {
int helper();
}  // namespace ident
extern "C" int cxxapi_answer();

extern "C" IDENT_API int user_cxx() { return ident::helper(); }
extern "C" IDENT_API int user_c() { return cxxapi_answer(); }
