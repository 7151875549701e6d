#ifndef SHAPES_H
#define SHAPES_H
#define SHAPES_API __attribute__((visibility("default")))
SHAPES_API double shapes_area(double w, double h);
SHAPES_API double shapes_perimeter(double w, double h);
SHAPES_API void shapes_debug_dump(void); /* exported, but not in visgen.toml */
#endif
