// An extension-like module: uses the identities of ident.h, exports C probes only.
#include <typeinfo>

#include "ident.h"

#ifdef IDENT_NEEDS_CORE
extern "C" const void *core_template_id();
IDENT_PROBE(core_probe) { return core_template_id(); }  // a C API crossing: fine
#endif

#ifndef IDENT_NO_USE
IDENT_PROBE(template_id) { return &ident::TypeID<ident::Widget>::id; }
IDENT_PROBE(inline_var) { return &ident::counter; }
IDENT_PROBE(typeinfo) { return &typeid(ident::Widget); }
#ifdef IDENT_ANCHORED
IDENT_PROBE(static_local) { return ident_static_local_id(); }
#else
IDENT_PROBE(static_local) { return ident::static_local_id(); }
IDENT_PROBE(vtable) {
  ident::Widget w;
  return *reinterpret_cast<const void *const *>(&w);
}
#endif
#endif
