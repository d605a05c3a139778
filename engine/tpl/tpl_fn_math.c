/* engine/tpl/tpl_fn_math.c: Sprig's math: int64 arithmetic through
 * cast.ToInt64 (add, sub, mul, div, mod, max, min), float math (ceil,
 * floor, round, maxf, minf) and the float operations addf/subf/mulf/divf,
 * which Sprig does in exact decimal (shopspring/decimal): each float64 is
 * taken at its shortest decimal form, so 0.1 + 0.2 is 0.3. The decimals
 * here are OpenSSL BIGNUM mantissas with a power-of-ten exponent. */
#include "tpl_int.h"

#include <math.h>
#include <openssl/bn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FN(name) \
  static int name(tpl_call *c, const tpl_val *a, int n, tpl_val *out)

static int64_t i64(tpl_val v)
{
  int64_t i;
  tpl_cast_int64(v, &i);
  return i;
}

static double f64(tpl_val v)
{
  double f;
  tpl_cast_float64(v, &f);
  return f;
}

/* Go's int64 arithmetic wraps around */
static int64_t wrap(uint64_t u) { return (int64_t)u; }

FN(fn_add1)
{
  *out = tpl_int64(wrap((uint64_t)i64(a[0]) + 1));
  return KD_OK;
}

FN(fn_add)
{
  uint64_t sum = 0;
  int i;
  for (i = 0; i < n; i++) sum += (uint64_t)i64(a[i]);
  *out = tpl_int64(wrap(sum));
  return KD_OK;
}

FN(fn_sub)
{
  *out = tpl_int64(wrap((uint64_t)i64(a[0]) - (uint64_t)i64(a[1])));
  return KD_OK;
}

FN(fn_mul)
{
  uint64_t v = (uint64_t)i64(a[0]);
  int i;
  for (i = 1; i < n; i++) v *= (uint64_t)i64(a[i]);
  *out = tpl_int64(wrap(v));
  return KD_OK;
}

FN(fn_div)
{
  int64_t x = i64(a[0]), y = i64(a[1]);
  if (y == 0) return tpl_call_fail(c, "runtime error: integer divide by zero");
  *out = tpl_int64(y == -1 ? wrap(0 - (uint64_t)x) : x / y);
  return KD_OK;
}

FN(fn_mod)
{
  int64_t x = i64(a[0]), y = i64(a[1]);
  if (y == 0) return tpl_call_fail(c, "runtime error: integer divide by zero");
  *out = tpl_int64(y == -1 ? 0 : x % y);
  return KD_OK;
}

FN(fn_max)
{
  int64_t m = i64(a[0]);
  int i;
  for (i = 1; i < n; i++)
    if (i64(a[i]) > m) m = i64(a[i]);
  *out = tpl_int64(m);
  return KD_OK;
}

FN(fn_min)
{
  int64_t m = i64(a[0]);
  int i;
  for (i = 1; i < n; i++)
    if (i64(a[i]) < m) m = i64(a[i]);
  *out = tpl_int64(m);
  return KD_OK;
}

/* math.Max / math.Min: NaN wins, +0 > -0 */
static double go_max(double x, double y)
{
  if (isinf(x) && x > 0) return x;
  if (isinf(y) && y > 0) return y;
  if (isnan(x) || isnan(y)) return NAN;
  if (x == 0 && x == y) return signbit(x) ? y : x;
  return x > y ? x : y;
}

static double go_min(double x, double y)
{
  if (isinf(x) && x < 0) return x;
  if (isinf(y) && y < 0) return y;
  if (isnan(x) || isnan(y)) return NAN;
  if (x == 0 && x == y) return signbit(x) ? x : y;
  return x < y ? x : y;
}

FN(fn_maxf)
{
  double m = f64(a[0]);
  int i;
  for (i = 1; i < n; i++) m = go_max(m, f64(a[i]));
  *out = tpl_float(m);
  return KD_OK;
}

FN(fn_minf)
{
  double m = f64(a[0]);
  int i;
  for (i = 1; i < n; i++) m = go_min(m, f64(a[i]));
  *out = tpl_float(m);
  return KD_OK;
}

FN(fn_ceil)
{
  *out = tpl_float(ceil(f64(a[0])));
  return KD_OK;
}

FN(fn_floor)
{
  *out = tpl_float(floor(f64(a[0])));
  return KD_OK;
}

/* round(value, places [, roundOn]) as Sprig computes it, in float64 */
FN(fn_round)
{
  double on = n > 2 ? a[2].u.f : 0.5, val = f64(a[0]);
  double pw = pow(10, (double)a[1].u.i), digit = pw * val, ip;
  double frac = modf(digit, &ip);
  *out = tpl_float((frac >= on ? ceil(digit) : floor(digit)) / pw);
  return KD_OK;
}

/* ---- exact decimals ----------------------------------------------------- */

typedef struct {
  BIGNUM *m;   /* value = m * 10^e */
  int e;
} dec;

/* decimal.NewFromFloat: the shortest decimal that reads back as F */
static int dec_from_float(dec *d, double f)
{
  char tmp[40], digits[40], *p, *q = digits;
  int prec, e10;
  d->e = 0;
  if (!(d->m = BN_new())) return KD_ENOMEM;
  if (f == 0) return KD_OK;
  for (prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, f);
    if (strtod(tmp, NULL) == f) break;
  }
  if (f < 0) *q++ = '-';
  for (p = tmp; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') *q++ = *p;
  *q = 0;
  e10 = atoi(strchr(tmp, 'e') + 1);
  d->e = e10 - (int)(strlen(digits) - (f < 0) - 1);
  return BN_dec2bn(&d->m, digits) ? KD_OK : KD_ENOMEM;
}

/* M *= 10^K (K >= 0) */
static int scale(BIGNUM *m, int k, BN_CTX *ctx)
{
  BIGNUM *p = BN_new(), *ten = BN_new(), *kk = BN_new();
  int ok = p && ten && kk && BN_set_word(ten, 10) &&
           BN_set_word(kk, (BN_ULONG)k) && BN_exp(p, ten, kk, ctx) &&
           BN_mul(m, m, p, ctx);
  BN_free(p);
  BN_free(ten);
  BN_free(kk);
  return ok ? KD_OK : KD_ENOMEM;
}

/* D = D op X; op is + - * / (division rounded to 16 places, half away
 * from zero, as decimal.Div) */
static int dec_op(dec *d, dec *x, int op, BN_CTX *ctx)
{
  int rc = KD_OK;
  if (op == '+' || op == '-') {
    int e = d->e < x->e ? d->e : x->e;
    if ((rc = scale(d->m, d->e - e, ctx)) || (rc = scale(x->m, x->e - e, ctx)))
      return rc;
    d->e = x->e = e;
    if (!(op == '+' ? BN_add(d->m, d->m, x->m) : BN_sub(d->m, d->m, x->m)))
      return KD_ENOMEM;
    return KD_OK;
  }
  if (op == '*') {
    d->e += x->e;
    return BN_mul(d->m, d->m, x->m, ctx) ? KD_OK : KD_ENOMEM;
  } else {
    int k = d->e - x->e + 16, neg;
    BIGNUM *q = BN_new(), *r = BN_new(), *den = BN_dup(x->m);
    if (!q || !r || !den) rc = KD_ENOMEM;
    if (!rc && k >= 0) rc = scale(d->m, k, ctx);
    if (!rc && k < 0) rc = scale(den, -k, ctx);
    if (!rc && !BN_div(q, r, d->m, den, ctx)) rc = KD_ENOMEM;
    if (!rc) {
      neg = BN_is_negative(d->m) != BN_is_negative(den);
      BN_set_negative(r, 0);
      BN_set_negative(den, 0);
      if (!BN_lshift1(r, r)) rc = KD_ENOMEM;
      else if (BN_cmp(r, den) >= 0 &&
               !(neg ? BN_sub_word(q, 1) : BN_add_word(q, 1)))
        rc = KD_ENOMEM;
    }
    if (!rc) {
      BN_free(d->m);
      d->m = q;
      q = NULL;
      d->e = -16;
    }
    BN_free(q);
    BN_free(r);
    BN_free(den);
    return rc;
  }
}

static int dec_to_float(dec *d, double *f)
{
  char *s = BN_bn2dec(d->m), *t;
  size_t len;
  if (!s) return KD_ENOMEM;
  len = strlen(s) + 16;
  if (!(t = malloc(len))) {
    OPENSSL_free(s);
    return KD_ENOMEM;
  }
  snprintf(t, len, "%se%d", s, d->e);
  *f = strtod(t, NULL);
  free(t);
  OPENSSL_free(s);
  return KD_OK;
}

/* Sprig's execDecimalOp over FIRST and the values REST[0..NREST) */
static int decimal_op(tpl_call *c, double first, const tpl_val *rest,
                      int nrest, int op, tpl_val *out)
{
  dec d = {0}, x = {0};
  BN_CTX *ctx = BN_CTX_new();
  double f = first;
  int i, rc = KD_OK;
  for (i = -1; i < nrest && rc == KD_OK; i++) {
    if (i >= 0) f = f64(rest[i]);
    if (isnan(f) || isinf(f)) {
      rc = tpl_call_fail(c, "Cannot create a Decimal from %s",
                         isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
      break;
    }
    if (i < 0) {
      rc = dec_from_float(&d, f);
      continue;
    }
    if ((rc = dec_from_float(&x, f)) != KD_OK) break;
    if (op == '/' && BN_is_zero(x.m)) {
      rc = tpl_call_fail(c, "decimal division by 0");
      break;
    }
    rc = dec_op(&d, &x, op, ctx);
    BN_free(x.m);
    x.m = NULL;
  }
  if (!ctx && rc == KD_OK) rc = KD_ENOMEM;
  if (rc == KD_OK && (rc = dec_to_float(&d, &f)) == KD_OK) *out = tpl_float(f);
  BN_free(d.m);
  BN_free(x.m);
  BN_CTX_free(ctx);
  return rc;
}

FN(fn_add1f)
{
  tpl_val one = tpl_int(1);
  return decimal_op(c, f64(a[0]), &one, 1, '+', out);
}

FN(fn_addf) { return decimal_op(c, 0, a, n, '+', out); }
FN(fn_subf) { return decimal_op(c, f64(a[0]), a + 1, n - 1, '-', out); }
FN(fn_mulf) { return decimal_op(c, f64(a[0]), a + 1, n - 1, '*', out); }
FN(fn_divf) { return decimal_op(c, f64(a[0]), a + 1, n - 1, '/', out); }

const tpl_func_def tpl_fn_math[] = {
  {"add1", fn_add1, "a"},
  {"add", fn_add, "a*"},
  {"sub", fn_sub, "aa"},
  {"div", fn_div, "aa"},
  {"mod", fn_mod, "aa"},
  {"mul", fn_mul, "aa*"},
  {"biggest", fn_max, "aa*"},
  {"max", fn_max, "aa*"},
  {"min", fn_min, "aa*"},
  {"maxf", fn_maxf, "aa*"},
  {"minf", fn_minf, "aa*"},
  {"ceil", fn_ceil, "a"},
  {"floor", fn_floor, "a"},
  {"round", fn_round, "aif*"},
  {"add1f", fn_add1f, "a"},
  {"addf", fn_addf, "a*"},
  {"subf", fn_subf, "aa*"},
  {"mulf", fn_mulf, "aa*"},
  {"divf", fn_divf, "aa*"},
  {NULL, NULL, NULL}};
