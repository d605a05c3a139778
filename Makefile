# kdeploy: one plain GNU Makefile. `make`, `make test`, `make sanitize`,
# `make bench`, `make fuzz`, `make demo`, `make deps`, `make clean`.

PKGS     := lua5.4 libcurl yaml-0.1 zlib libpcre2-8 openssl libxcrypt
DEB_PKGS := pkg-config liblua5.4-dev libcurl4-openssl-dev libyaml-dev \
            zlib1g-dev libpcre2-dev libssl-dev libcrypt-dev clang libclang-rt-14-dev \
            unzip libcjson-dev
DEB_PKGS += nghttp2-server openssl   # tests/e2e/kube_h2_test.sh: an HTTP/2 server, a test cert
DEB_PKGS += tzdata   # CronJob spec.timeZone: the sim reads /usr/share/zoneinfo
ENGINE_PKGS := libcurl yaml-0.1 zlib libpcre2-8 openssl libxcrypt

WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
          -Wmissing-prototypes -Wundef -Wno-unused-parameter
CFLAGS ?= -O2 -g
BUILD  ?= build
BASE   := -std=c11 -D_DEFAULT_SOURCE $(WARN) -MMD -MP -iquote engine
# engine/ is compiled without Lua's include path: `#include <lua.h>` fails there.
ENGINE_CFLAGS = $(BASE) $(shell pkg-config --cflags $(ENGINE_PKGS) 2>/dev/null)
LUA_CFLAGS    = $(BASE) -iquote lua $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is not linked: engine/curl_lazy.c opens it on first use.
# They are linked from their static archives (the -dev packages ship them):
# binding ~4,000 symbols of 7 shared objects at start cost ~2.5 ms of every
# run, a quarter of a small chart's render. libc, libm and libcrypt stay
# shared (ASan's crypt_r interceptor finds the real one with dlsym).
LDLIBS        = -Wl,-Bstatic $(shell pkg-config --libs $(filter-out libcurl libxcrypt,$(PKGS)) \
                  2>/dev/null) -Wl,-Bdynamic $(shell pkg-config --libs libxcrypt 2>/dev/null) \
                  -lm -lpthread -ldl
SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all \
          -fno-omit-frame-pointer

ENGINE_SRC := $(sort $(wildcard engine/*.c engine/*/*.c))
LUA_SRC    := $(sort $(wildcard lua/*.c))
STDLIB_SRC := $(sort $(wildcard stdlib/kdeploy/*.lua stdlib/kdeploy/*/*.lua))
UNIT_SRC   := $(sort $(wildcard tests/unit/*_test.c))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/*_fuzz.c))
BENCH_SRC  := $(sort $(wildcard tests/bench/*.c))

ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
LUA_OBJ    := $(LUA_SRC:%.c=$(BUILD)/%.o)
GEN_OBJ    := $(BUILD)/gen/stdlib.o $(BUILD)/gen/preload.o
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
ENGINE_LIB := $(BUILD)/libengine.a

.PHONY: all test sanitize bench fuzz demo deps clean check-deps
all: kdeploy

# `kdeploy` at the top is the default build; other BUILD dirs keep their own.
ifeq ($(BUILD),build)
KDEPLOY := kdeploy
else
KDEPLOY := $(BUILD)/kdeploy
endif

$(KDEPLOY): $(LUA_OBJ) $(GEN_OBJ) $(ENGINE_LIB)
	$(CC) $(LDFLAGS) -o $@ $(LUA_OBJ) $(GEN_OBJ) $(ENGINE_LIB) $(LDLIBS)

$(ENGINE_LIB): $(ENGINE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/engine/%.o: engine/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ENGINE_CFLAGS) -c $< -o $@

$(BUILD)/lua/%.o: lua/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) -c $< -o $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) $(LUA_CFLAGS) -c $< -o $@

# The stdlib is compiled into the binary: one byte array per module.
$(BUILD)/gen/stdlib.c: $(STDLIB_SRC) Makefile
	@mkdir -p $(@D)
	@{ echo '/* generated from stdlib/ by make: do not edit */'; \
	  echo '#include "kdeploy_lua.h"'; i=0; \
	  for f in $(STDLIB_SRC); do \
	    echo "static const unsigned char m$$i[] = {"; \
	    od -An -v -tx1 $$f | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	    echo '0};'; i=$$((i+1)); done; \
	  echo 'const kd_embedded kd_stdlib[] = {'; i=0; \
	  for f in $(STDLIB_SRC); do \
	    m=$$(echo $$f | sed -e 's|^stdlib/||' -e 's|/init\.lua$$||' \
	      -e 's|\.lua$$||' -e 's|/|.|g'); \
	    echo "  {\"$$m\", \"$$f\", m$$i, sizeof m$$i - 1},"; i=$$((i+1)); \
	  done; echo '  {0, 0, 0, 0}};'; } > $@.tmp && mv $@.tmp $@

# Every luaopen_kdeploy_* in lua/ is preloaded; `_` in the name is `.`.
$(BUILD)/gen/preload.c: $(LUA_SRC) Makefile
	@mkdir -p $(@D)
	@{ echo '/* generated from lua/ by make: do not edit */'; \
	  echo '#include "kdeploy_lua.h"'; \
	  fns=$$(grep -ho '^int luaopen_kdeploy[a-z0-9_]*' $(LUA_SRC) | \
	    sed 's/^int //' | sort -u); \
	  echo 'const luaL_Reg kd_preload[] = {'; \
	  for f in $$fns; do \
	    m=$$(echo $$f | sed -e 's/^luaopen_//' -e 's/_/./g'); \
	    echo "  {\"$$m\", $$f},"; done; \
	  echo '  {0, 0}};'; } > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/%_test: tests/unit/%_test.c $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ENGINE_CFLAGS) -iquote tests/unit $(LDFLAGS) -o $@ $< \
	  $(ENGINE_LIB) $(LDLIBS)

test: check-deps $(KDEPLOY) $(UNIT_BIN)
	@KDEPLOY=$(abspath $(KDEPLOY)) BUILD=$(BUILD) sh tests/run.sh

sanitize:
	$(MAKE) BUILD=build/san CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" test

# Benchmark drivers and their references (cJSON, libyaml) are tests/bench/*.c.
$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench.h $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(ENGINE_CFLAGS) $(shell pkg-config --cflags libcjson) \
	  $(LDFLAGS) -o $@ $< $(ENGINE_LIB) $(LDLIBS) $(shell pkg-config --libs libcjson)

bench: check-deps $(KDEPLOY) $(BENCH_BIN)
	@KDEPLOY=$(abspath $(KDEPLOY)) BENCH_BIN=$(abspath $(BUILD)/bench) \
	  sh tests/bench/run.sh

# libFuzzer targets, each run for FUZZ_SECONDS (bounded, for CI). The engine
# is compiled once with coverage instrumentation (build/fuzz/obj) and each
# target links against it.
FUZZ_SECONDS ?= 20
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined
FUZZ_OBJ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB := $(BUILD)/fuzz/libengine.a
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_OBJ_FLAGS) $(ENGINE_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(ENGINE_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%_fuzz: tests/fuzz/%_fuzz.c $(FUZZ_LIB)
	clang $(FUZZ_FLAGS) $(ENGINE_CFLAGS) -o $@ $< $(FUZZ_LIB) $(LDLIBS)

fuzz: check-deps $(FUZZ_BIN)
	@for n in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
	  mkdir -p $(BUILD)/fuzz/$$n.corpus; \
	  seeds=; [ -d tests/fuzz/$${n%_fuzz} ] && seeds=tests/fuzz/$${n%_fuzz}; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -print_final_stats=0 -artifact_prefix=$(BUILD)/fuzz/ \
	    $(BUILD)/fuzz/$$n.corpus $$seeds \
	    2>$(BUILD)/fuzz/$$n.log || { tail -40 $(BUILD)/fuzz/$$n.log; exit 1; }; \
	done

demo: check-deps $(KDEPLOY)
	@sh examples/demo.sh ./$(KDEPLOY)

# Installs the Debian packages when root, else prints the line to run.
deps:
	@missing=; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $$missing >/dev/null; \
	else echo "deps: missing packages; run:"; \
	  echo "  sudo apt-get install -y$$missing"; exit 1; fi

check-deps: deps

clean:
	rm -rf build kdeploy

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
