#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "shapes.h"

/* not static and marked default: an export the python-extension policy rejects */
__attribute__((visibility("default"))) double handmade_helper(double x) { return x; }

static PyObject *area(PyObject *self, PyObject *args) {
  (void)self;
  double w, h;
  if (!PyArg_ParseTuple(args, "dd", &w, &h)) {
    return NULL;
  }
  return PyFloat_FromDouble(handmade_helper(shapes_area(w, h)));
}

static PyMethodDef methods[] = {{"area", area, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_handmade", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};
PyMODINIT_FUNC PyInit__handmade(void) { return PyModule_Create(&module); }
