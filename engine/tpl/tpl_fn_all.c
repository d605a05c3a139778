/* engine/tpl/tpl_fn_all.c: the Sprig/Helm function library, one table per
 * family (see tpl_int.h). */
#include "tpl_int.h"

const tpl_func_def *const tpl_fn_library[] = {
  tpl_fn_core, tpl_fn_strings, tpl_fn_lists, tpl_fn_dicts, tpl_fn_math,
  tpl_fn_encoding, tpl_fn_yaml, tpl_fn_regex,
  tpl_fn_semver, tpl_fn_paths, tpl_fn_random,
  tpl_fn_dates, tpl_fn_crypto, tpl_fn_certs,
  tpl_fn_toml,
  NULL};
