/* engine/tpl/tpl_int.h: internals shared by the template engine's files
 * (executor, function families, their unit tests). Not a public API. */
#ifndef KD_TPL_INT_H
#define KD_TPL_INT_H

#include "tpl.h"

/* The state of one function call, made by the executor for each call.
 * Unit tests of function families may build one on the stack with
 * tpl_call_init and read the message after a failure. */
struct tpl_call {
  const char *fname;          /* the function being called */
  const tpl_options *opt;     /* borrowed */
  int aborted;                /* set by tpl_call_abort: msg is the whole error */
  kd_buf msg;                 /* the error message after a failure */
  void *exec;                 /* the executor's state (NULL in unit tests) */
};

/* Prepares C for a call of FNAME with OPT (may be NULL). */
void tpl_call_init(tpl_call *c, const char *fname, const tpl_options *opt);
/* Frees what C holds (the message). */
void tpl_call_done(tpl_call *c);

#endif
