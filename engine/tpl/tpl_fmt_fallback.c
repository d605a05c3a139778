/* engine/tpl/tpl_fmt_fallback.c: TEMPORARY weak definitions of tpl_fmt_v
 * and tpl_sprintf, so the executor links and runs before Go's fmt
 * (engine/tpl/tpl_fmt.c, written on the funcs branch) is merged. Any
 * strong definition replaces these. They cover only plain %v, %s, %d and
 * ASCII %q: not Go's fmt. Delete this file when tpl_fmt.c lands. */
#include "tpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent form
 * when the exponent is < -4 or >= 6. */
static void stub_float(kd_buf *b, double f)
{
  char dig[40];
  int prec, exp;
  for (prec = 1; prec <= 17; prec++) {
    snprintf(dig, sizeof dig, "%.*e", prec - 1, f);
    if (strtod(dig, NULL) == f) break;
  }
  exp = atoi(strchr(dig, 'e') + 1);
  if (exp < -4 || exp >= 6) {
    *strchr(dig, 'e') = 0;
    kd_buf_printf(b, "%se%c%02d", dig, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  } else {
    kd_buf_printf(b, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, f);
  }
}

__attribute__((weak)) int tpl_fmt_v(kd_buf *b, tpl_val v)
{
  size_t i;
  switch (v.kind) {
  case TPL_NIL: return kd_buf_adds(b, "<nil>");
  case TPL_BOOL: return kd_buf_adds(b, v.u.b ? "true" : "false");
  case TPL_INT: return kd_buf_printf(b, "%lld", (long long)v.u.i);
  case TPL_FLOAT: stub_float(b, v.u.f); return KD_OK;
  case TPL_STR: return kd_buf_add(b, tpl_sdata(v), tpl_slen(v));
  case TPL_LIST:
    kd_buf_addc(b, '[');
    for (i = 0; i < tpl_list_len(v); i++) {
      if (i) kd_buf_addc(b, ' ');
      tpl_fmt_v(b, tpl_list_at(v, i));
    }
    return kd_buf_addc(b, ']');
  case TPL_MAP:
    kd_buf_adds(b, "map[");
    for (i = 0; i < tpl_map_len(v); i++) {
      if (i) kd_buf_addc(b, ' ');
      kd_buf_adds(b, tpl_map_key_at(v, i, NULL));
      kd_buf_addc(b, ':');
      tpl_fmt_v(b, tpl_map_val_at(v, i));
    }
    return kd_buf_addc(b, ']');
  case TPL_OBJ: {
    const tpl_class *c = tpl_obj_class(v);
    if (c->print) return c->print(v.u.o, b);
    return kd_buf_adds(b, "{}");
  }
  default: return KD_OK;
  }
}

static void stub_quote(kd_buf *b, const char *s, size_t n)
{
  size_t i;
  kd_buf_addc(b, '"');
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': kd_buf_adds(b, "\\\""); break;
    case '\\': kd_buf_adds(b, "\\\\"); break;
    case '\n': kd_buf_adds(b, "\\n"); break;
    case '\t': kd_buf_adds(b, "\\t"); break;
    case '\r': kd_buf_adds(b, "\\r"); break;
    default:
      if (c < 0x20 || c == 0x7f) kd_buf_printf(b, "\\x%02x", c);
      else kd_buf_addc(b, (char)c);
    }
  }
  kd_buf_addc(b, '"');
}

__attribute__((weak)) int tpl_sprintf(kd_buf *b, const char *format, size_t flen,
                                     const tpl_val *args, int nargs)
{
  size_t i;
  int a = 0;
  for (i = 0; i < flen; i++) {
    char c = format[i];
    if (c != '%' || i + 1 >= flen) {
      kd_buf_addc(b, c);
      continue;
    }
    c = format[++i];
    if (c == '%') {
      kd_buf_addc(b, '%');
      continue;
    }
    if (a >= nargs) {
      kd_buf_printf(b, "%%!%c(MISSING)", c);
      continue;
    }
    if (c == 'q' && args[a].kind == TPL_STR) stub_quote(b, tpl_sdata(args[a]), tpl_slen(args[a]));
    else tpl_fmt_v(b, args[a]);
    a++;
  }
  return KD_OK;
}

