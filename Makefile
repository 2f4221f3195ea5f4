# The README's commands. CMake does the building, ctest the testing.
BUILD ?= build
JOBS  ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build run test bench setup fuzz clean

all: build

setup:
	@./scripts/setup

$(BUILD)/CMakeCache.txt:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: setup $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS) >$(BUILD)/build.log 2>&1 || { cat $(BUILD)/build.log; exit 1; }
	@grep -E 'warning:' $(BUILD)/build.log || true
	@test -x $(BUILD)/xlat

run: build
	@$(BUILD)/xlat demo

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do $$b || exit 1; done

# libFuzzer targets (clang); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
fuzz: setup
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DXLAT_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) >/dev/null
	@for t in build-fuzz/fuzz/fuzz_*; do \
	  n=$$(basename $$t); mkdir -p fuzz/corpus/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 fuzz/corpus/$$n 2>&1 | tail -3 || exit 1; \
	done

clean:
	rm -rf $(BUILD) build-asan build-fuzz
