/* asyncrt_example._asyncrt: a CPython extension module (plain C API) over the asyncrt
 * runtime. It links libasyncrt.so (the `shared` variant), which the wheel ships next to
 * it; the module finds it through its RPATH ($ORIGIN).
 *
 * The module exports PyInit__asyncrt and nothing else: it is built with hidden visibility
 * and every other function here is static. `visgen.build` checks that in the wheel (the
 * `python-extension` policy), and checks libasyncrt.so against visgen.toml.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdatomic.h>
#include <stdint.h>

#include "asyncrt/asyncrt.h"

typedef struct {
  atomic_uint_fast64_t sum;
} sum_state;

typedef struct {
  sum_state *state;
  uint64_t value;
} add_task;

static void run_add(void *arg) {
  add_task *task = (add_task *)arg;
  atomic_fetch_add(&task->state->sum, task->value);
}

/* parallel_sum(n): submits the tasks "add i" for i in 1..n to the default runtime, waits,
 * and returns the sum the workers computed (n * (n + 1) / 2). */
static PyObject *parallel_sum(PyObject *self, PyObject *args) {
  (void)self;
  Py_ssize_t n;
  if (!PyArg_ParseTuple(args, "n", &n)) {
    return NULL;
  }
  if (n < 0) {
    PyErr_SetString(PyExc_ValueError, "n must not be negative");
    return NULL;
  }
  add_task *tasks = PyMem_RawMalloc(sizeof(add_task) * (size_t)(n > 0 ? n : 1));
  if (tasks == NULL) {
    return PyErr_NoMemory();
  }
  sum_state state;
  atomic_init(&state.sum, 0);
  asyncrt_runtime *rt = asyncrtRuntimeDefault();
  int failed = 0;
  Py_BEGIN_ALLOW_THREADS
  for (Py_ssize_t i = 0; i < n; ++i) {
    tasks[i].state = &state;
    tasks[i].value = (uint64_t)(i + 1);
    if (asyncrtSubmit(rt, run_add, &tasks[i], NULL) != 0) {
      failed = 1;
      break;
    }
  }
  asyncrtWait(rt);
  Py_END_ALLOW_THREADS
  PyMem_RawFree(tasks);
  if (failed) {
    PyErr_SetString(PyExc_RuntimeError, "asyncrt is shutting down");
    return NULL;
  }
  return PyLong_FromUnsignedLongLong((unsigned long long)atomic_load(&state.sum));
}

static PyObject *version(PyObject *self, PyObject *noargs) {
  (void)self;
  (void)noargs;
  return PyUnicode_FromString(asyncrt_version);
}

static PyObject *thread_count(PyObject *self, PyObject *noargs) {
  (void)self;
  (void)noargs;
  return PyLong_FromUnsignedLong(asyncrtRuntimeThreadCount(asyncrtRuntimeDefault()));
}

static PyObject *completed_count(PyObject *self, PyObject *noargs) {
  (void)self;
  (void)noargs;
  return PyLong_FromUnsignedLongLong(
      (unsigned long long)asyncrtCompletedCount(asyncrtRuntimeDefault()));
}

/* shutdown(): joins the default runtime's workers (asyncrt_example registers it with
 * atexit, so the threads are gone before the interpreter finalizes). */
static PyObject *shutdown(PyObject *self, PyObject *noargs) {
  (void)self;
  (void)noargs;
  Py_BEGIN_ALLOW_THREADS
  asyncrtShutdown();
  Py_END_ALLOW_THREADS
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"parallel_sum", parallel_sum, METH_VARARGS, "Sum 1..n on the worker pool."},
    {"version", version, METH_NOARGS, "The version of the loaded libasyncrt."},
    {"thread_count", thread_count, METH_NOARGS, "Workers of the default runtime."},
    {"completed_count", completed_count, METH_NOARGS, "Tasks the default runtime ran."},
    {"shutdown", shutdown, METH_NOARGS, "Join the default runtime's workers."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_asyncrt", "The asyncrt runtime, from Python.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__asyncrt(void) { return PyModule_Create(&module); }
