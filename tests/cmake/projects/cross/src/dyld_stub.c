/* No SDK: libSystem's dyld_stub_binder, which ld64 binds lazy stubs to, comes from here
   (its raw name, without Mach-O's underscore). Never run. */
void visgen_dyld_stub_binder(void) __asm__("dyld_stub_binder");
void visgen_dyld_stub_binder(void) {}
