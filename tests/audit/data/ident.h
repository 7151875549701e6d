// A header-only identity, as C++ libraries (MLIR's TypeID, pybind11's type maps) use it.
// IDENT_ANCHORED: the fix, every identity has one strong definition in libcore.
#pragma once

#define IDENT_API __attribute__((visibility("default")))
#define IDENT_CAT2(a, b) a##_##b
#define IDENT_CAT(a, b) IDENT_CAT2(a, b)
// Each DSO reports the address it uses for each identity through a C function named
// <IDENT_NAME>_<what>, so a test can load it RTLD_LOCAL with ctypes and compare.
#define IDENT_PROBE(what) extern "C" IDENT_API const void *IDENT_CAT(IDENT_NAME, what)()

namespace ident {

template <typename T>
struct TypeID {
  static const char id;  // template static data member: its address is the type's id
};

#ifdef IDENT_ANCHORED
struct Widget {
  virtual ~Widget();  // key function: vtable and typeinfo are emitted only where it is defined
  virtual int kind() const;
};
template <>
const char TypeID<Widget>::id;  // explicit specialization, declared: defined in libcore only
extern int counter;
#else
struct Widget {
  virtual ~Widget() {}
  virtual int kind() const { return 1; }
};
template <typename T>
const char TypeID<T>::id = 0;
inline int counter = 0;  // inline variable
inline const void *static_local_id() {
  static char slot;  // static local of an inline function
  return &slot;
}
#endif

}  // namespace ident

#ifdef IDENT_ANCHORED
extern "C" IDENT_API const void *ident_static_local_id();
#endif
