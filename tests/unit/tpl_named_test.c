/* tests/unit/tpl_named_test.c: the Go named types Helm hands to templates:
 * []uint8 (TPL_STR_BYTES, .Files.GetBytes), common.Values
 * (TPL_MAPV_VALUES) and native objects seen as collections
 * (TPL_MEMBER_ITEMS: .Files, .Capabilities.APIVersions). The expected
 * texts are what helm v4.1.4 printed for the same templates over
 * .Files.GetBytes, .Values and .Capabilities.APIVersions in a chart (only
 * the error positions are those of this one-line template "t"). */
#include "test.h"
#include "tpl/tpl.h"

#include <stdlib.h>
#include <string.h>

/* A []string-like object: range/len/index see a list, `.Has` a method. */
static int set_member(tpl_call *c, tpl_obj *o, const char *name,
                      const tpl_val *args, int nargs, tpl_val *out)
{
  (void)c; (void)o; (void)args; (void)nargs;
  if (strcmp(name, TPL_MEMBER_ITEMS) != 0) return KD_ENOTFOUND;
  tpl_val s;
  if (tpl_list_new(out, 2)) return KD_ENOMEM;
  out->sub = TPL_ELEM_STR;
  tpl_str_cstr(&s, "v1");
  tpl_list_push(*out, s);
  tpl_str_cstr(&s, "apps/v1");
  tpl_list_push(*out, s);
  return KD_OK;
}

static const tpl_class set_class = {"common.VersionSet", "slice", set_member,
                                    NULL, NULL, NULL, NULL};

/* Structs: "kv" is a value with a String() on its pointer (KubeVersion),
 * "ptr" a pointer to a struct without one (*Capabilities). */
static int kv_member(tpl_call *c, tpl_obj *o, const char *name,
                     const tpl_val *args, int nargs, tpl_val *out)
{
  (void)c; (void)o; (void)args; (void)nargs;
  if (strcmp(name, "String") == 0) return tpl_str_cstr(out, "v1.2");
  return KD_ENOTFOUND;
}
static int kv_print(tpl_obj *o, kd_buf *b) { (void)o; return kd_buf_adds(b, "{v1.2-x v1.2}"); }
static int ptr_print(tpl_obj *o, kd_buf *b) { (void)o; return kd_buf_adds(b, "&{{v1.2-x v1.2} 3}"); }
static const tpl_class kv_class = {"common.KubeVersion", "struct", kv_member,
                                   kv_print, NULL, NULL, NULL};
static const tpl_class ptr_class = {"*common.Capabilities", "ptr", NULL,
                                    ptr_print, NULL, NULL, NULL};

/* The data: {b: []uint8("hi\n"), v: common.Values{a: 1}, s: set, m: {}} */
static tpl_val make_data(void)
{
  tpl_val d, b, v, m, o;
  tpl_map_new(&d);
  tpl_str_cstr(&b, "hi\n");
  b.sub = TPL_STR_BYTES;
  tpl_map_sets(d, "b", b);
  tpl_map_new(&v);
  tpl_map_sets(v, "a", tpl_float(1));
  v.sub = TPL_MAPV_VALUES;
  tpl_map_sets(d, "v", v);
  tpl_obj_new(&o, &set_class, NULL);
  tpl_map_sets(d, "s", o);
  tpl_map_new(&m);
  tpl_map_sets(d, "m", m);
  tpl_obj_new(&o, &kv_class, NULL);
  tpl_map_sets(d, "kv", o);
  tpl_obj_new(&o, &ptr_class, NULL);
  tpl_map_sets(d, "ptr", o);
  return d;
}

/* Renders TEXT with the library over make_data(); output or error text. */
static char *render(const char *text)
{
  tpl_options opt;
  memset(&opt, 0, sizeof opt);
  opt.funcs = tpl_fn_library;
  kd_error err = {0};
  kd_buf out = {0};
  tpl_set *s = tpl_set_new(&opt, &err);
  tpl_val d = make_data();
  int rc = tpl_set_parse(s, "t", text, strlen(text), &err);
  if (rc == KD_OK) rc = tpl_set_exec(s, "t", d, &out, &err);
  if (rc != KD_OK) {
    out.len = 0;
    kd_buf_adds(&out, tpl_set_error(s));
  }
  tpl_unref(d);
  tpl_set_free(s);
  return kd_buf_take(&out, NULL);
}

static void expect(const char *text, const char *want)
{
  char *got = render(text);
  if (!got || strcmp(got, want) != 0) {
    printf("FAIL %s: %s\n  got:  \"%s\"\n  want: \"%s\"\n", t_name, text,
           got ? got : "(null)", want);
    t_failures++;
  }
  free(got);
}

static void test_bytes(void)
{
  expect("{{ .b }}", "[104 105 10]");
  expect("{{ printf \"%s|%v|%q|%x|%d|%T|%#v\" .b .b .b .b .b .b .b }}",
         "hi\n|[104 105 10]|\"hi\\n\"|68690a|[104 105 10]|[]uint8|"
         "[]byte{0x68, 0x69, 0xa}");
  expect("{{ .b | toString | quote }} {{ .b | quote }}", "\"hi\\n\" \"hi\\n\"");
  expect("{{ .b | toString }}", "hi\n");   /* string(b), printed as text */
  expect("{{ .b | toJson }} {{ dict \"x\" .b | toYaml }}", "\"aGkK\" x: aGkK");
  expect("{{ len .b }} {{ index .b 0 }} {{ range .b }}{{ . }},{{ end }}",
         "3 104 104,105,10,");
  expect("{{ empty .b }} {{ kindOf .b }} {{ typeOf .b }} {{ default \"x\" .b }}",
         "false slice []uint8 [104 105 10]");
  expect("{{ cat .b \"z\" }}|{{ print .b .b }}|{{ print \"a\" .b }}",
         "[104 105 10] z|[104 105 10] [104 105 10]|a[104 105 10]");
  expect("{{ .b | upper }}",
         "template: t:1:8: executing \"t\" at <upper>: wrong type for value; "
         "expected string; got []uint8");
  expect("{{ eq .b \"x\" }}",
         "template: t:1:3: executing \"t\" at <eq .b \"x\">: error calling eq: "
         "incompatible types for comparison: []uint8 and string");
  expect("{{ eq .b .b }}",
         "template: t:1:3: executing \"t\" at <eq .b .b>: error calling eq: "
         "non-comparable type hi\n: []uint8");
}

static void test_values_type(void)
{
  expect("{{ printf \"%T\" .v }} {{ typeOf .v }} {{ kindOf .v }} "
         "{{ typeIs \"map[string]interface {}\" .v }} {{ kindIs \"map\" .v }}",
         "common.Values common.Values map false true");
  expect("{{ typeOf (merge .v dict) }} {{ typeOf (deepCopy .v) }} "
         "{{ with .v }}{{ typeOf . }}{{ end }} {{ .v.a }} {{ typeOf .m }}",
         "map[string]interface {} common.Values common.Values 1 "
         "map[string]interface {}");
  /* its elements are interface{} values, as in any map[string]interface{} */
  expect("{{ .v.a.b }}", "template: t:1:5: executing \"t\" at <.v.a.b>: "
         "can't evaluate field b in type interface {}");
  expect("{{ range .v }}{{ .x }}{{ end }}", "template: t:1:17: executing \"t\" "
         "at <.x>: can't evaluate field x in type interface {}");
}

static void test_object_collections(void)
{
  expect("{{ len .s }} {{ index .s 1 }} {{ range $i, $v := .s }}{{ $i }}={{ $v }}"
         "{{ typeOf $v }} {{ end }}",
         "2 apps/v1 0=v1string 1=apps/v1string ");
  expect("{{ range .s }}{{ . }}{{ else }}none{{ end }}", "v1apps/v1");
}

/* {{ X }} prints a Stringer through String() and a pointer indirected;
 * fmt (printf, print, toString) prints the value itself. */
static void test_direct_print(void)
{
  expect("{{ .kv }}|{{ $k := .kv }}{{ $k }}|{{ printf \"%v\" .kv }}|{{ print .kv }}|"
         "{{ .kv | toString }}",
         "v1.2|v1.2|{v1.2-x v1.2}|{v1.2-x v1.2}|{v1.2-x v1.2}");
  expect("{{ .ptr }}|{{ printf \"%v\" .ptr }}", "{{v1.2-x v1.2} 3}|&{{v1.2-x v1.2} 3}");
}

int main(void)
{
  RUN(test_bytes);
  RUN(test_values_type);
  RUN(test_object_collections);
  RUN(test_direct_print);
  TEST_EXIT();
}
