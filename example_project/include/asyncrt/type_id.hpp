// asyncrt::TypeId<T>: a header-only type identity, the pattern of MLIR's TypeID and of
// the type maps of binding libraries. The address of TypeId<T>::id is T's id; code in
// several DSOs compares ids to recognise each other's types.
//
// Header-only, every DSO that uses TypeId<T> instantiates its own copy of TypeId<T>::id
// (vague linkage). Whether the copies become one at run time is up to the loader: g++
// marks them STB_GNU_UNIQUE (glibc unifies those), clang marks them weak (RTLD_LOCAL keeps
// weak copies apart), and with -fvisibility=hidden, as extension modules are built, each
// copy is private to its DSO. Two DSOs then see two ids for one type.
//
// The fix is an anchor: one strong, exported definition of the id in one shared library
// (an explicit specialization, defined in typeid/ids.cpp, libasyncrt_ids.so), declared
// here for everyone else. ASYNCRT_TYPEID_ANCHORED switches the declaration on; the
// asyncrt_ids CMake target passes it on to whatever links it.
#ifndef ASYNCRT_TYPE_ID_HPP
#define ASYNCRT_TYPE_ID_HPP

#define ASYNCRT_TYPEID_API __attribute__((visibility("default")))

namespace asyncrt {

class Runtime;

template <typename T>
struct TypeId {
  static const char id;  // its address is the id
  static const void *get() noexcept { return &id; }
};

template <typename T>
const char TypeId<T>::id = 0;

#ifdef ASYNCRT_TYPEID_ANCHORED
// Declared, not defined (no initializer): every DSO refers to the one exported definition
// in libasyncrt_ids.so. Default visibility, so that -fvisibility=hidden code imports it.
template <>
ASYNCRT_TYPEID_API const char TypeId<Runtime>::id;
#endif

}  // namespace asyncrt

#endif  // ASYNCRT_TYPE_ID_HPP
