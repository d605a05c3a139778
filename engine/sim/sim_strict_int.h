/* engine/sim/sim_strict_int.h: the field tables of sim_strict.c (the Go
 * structs of the built-in kinds), shared with the decoder's type checks of
 * sim_types.c. Not an API. */
#ifndef SIM_STRICT_INT_H
#define SIM_STRICT_INT_H

#include "sim_int.h"

typedef struct sk_field {
  const char *name;
  const struct sk_field *sub; /* struct fields of the value (or of each
                                 element of a list); NULL: not checked */
  char type;                  /* scalar type the checks use:
                                 's' string, 'n' int32, 'N' int64,
                                 'b' boolean, 'u' any scalar (int-or-string,
                                 time), 'm' map of strings, 'y' map of
                                 bytes (base64 strings), 'l' list of
                                 strings; with a sub-table 'L': a list of
                                 those structs; 0: not checked (structs,
                                 quantities) */
} sk_field;

/* The table of the top-level struct of R's kind; NULL for kinds without
 * one and for custom resources. Borrowed, static. */
const sk_field *sim_strict_fields(const sim_resource *r);

/* The Go name of the struct table T describes ("DeploymentSpec"), NULL
 * for a top-level table (its name is the kind's). Static. */
const char *sim_strict_struct(const sk_field *t);

#endif
