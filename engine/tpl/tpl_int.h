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

/* ---- UTF-8 and Unicode as Go sees them (tpl_unicode.c) ------------------ */

#define TPL_RUNE_ERROR 0xFFFD
#define TPL_MAX_RUNE 0x10FFFF
/* Decodes the rune at S (LEN > 0) into *R; returns its width in bytes.
 * Invalid or truncated bytes give U+FFFD and width 1, as Go's
 * utf8.DecodeRuneInString. */
int tpl_utf8_decode(const char *s, size_t len, int32_t *r);
/* Encodes R into OUT (invalid runes and surrogates as U+FFFD); returns
 * the width (1..4). */
int tpl_utf8_encode(char out[4], int32_t r);
/* Number of runes in S (each invalid byte counts as one), as
 * utf8.RuneCountInString. */
size_t tpl_utf8_count(const char *s, size_t len);
/* True when S is valid UTF-8 (utf8.ValidString). */
int tpl_utf8_valid(const char *s, size_t len);

/* Unicode classes of Go's unicode package. */
enum {
  TPL_UC_LETTER,   /* IsLetter: L */
  TPL_UC_DIGIT,    /* IsDigit: Nd */
  TPL_UC_NUMBER,   /* IsNumber: N */
  TPL_UC_SPACE,    /* IsSpace: White_Space */
  TPL_UC_UPPER,    /* IsUpper: Lu */
  TPL_UC_LOWER,    /* IsLower: Ll */
  TPL_UC_TITLE,    /* IsTitle: Lt */
  TPL_UC_PUNCT,    /* IsPunct: P */
  TPL_UC_SYMBOL,   /* IsSymbol: S */
  TPL_UC_MARK,     /* IsMark: M */
  TPL_UC_CONTROL,  /* IsControl: Cc */
  TPL_UC_PRINT,    /* IsPrint: L M N P S and U+0020 */
  TPL_UC_GRAPHIC   /* IsGraphic: L M N P S Zs */
};
int tpl_uc_is(int cls, int32_t r);
/* Simple case mappings, as unicode.ToUpper/ToLower/ToTitle. */
int32_t tpl_uc_upper(int32_t r);
int32_t tpl_uc_lower(int32_t r);
int32_t tpl_uc_title(int32_t r);

#endif
