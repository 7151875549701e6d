// libcore: the shared library the plugins link. With IDENT_ANCHORED it anchors every
// identity (one strong, exported definition); without, it carries its own copies.
#include <typeinfo>

#include "ident.h"

#ifdef IDENT_ANCHORED
namespace ident {
Widget::~Widget() = default;
int Widget::kind() const { return 1; }
template <>
const char TypeID<Widget>::id = 0;
int counter = 0;
}  // namespace ident

extern "C" IDENT_API const void *ident_static_local_id() {
  static char slot;
  return &slot;
}
#endif

IDENT_PROBE(template_id) { return &ident::TypeID<ident::Widget>::id; }
IDENT_PROBE(inline_var) { return &ident::counter; }
IDENT_PROBE(typeinfo) { return &typeid(ident::Widget); }
#ifdef IDENT_ANCHORED
IDENT_PROBE(static_local) { return ident_static_local_id(); }
#else
IDENT_PROBE(static_local) { return ident::static_local_id(); }
#endif
