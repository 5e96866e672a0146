# Thin wrapper over CMake. `make test` and `make run` work from a clean clone on Debian 12.
# Builds are serialized through a lock: the machines have 2 cores and two builds at once thrash them.

JOBS     ?= $(shell nproc)
DATASETS ?= ../shared/datasets
FUZZ_SECONDS ?= 10
LOCK     := flock /tmp/edgetsdb-build.lock

# Debian 12 packages needed to build and test. Installed only when one is missing.
PACKAGES := cmake ninja-build g++ clang-14 libclang-rt-14-dev pkg-config \
            liblz4-dev libzstd-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev \
            libre2-dev libboost-dev zlib1g-dev libssl-dev libtomlplusplus-dev nlohmann-json3-dev \
            curl influxdb influxdb-client

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build build-asan build-fuzz test test-unit test-asan test-fuzz run bench format clean

all: build

deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:" $$missing; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build/build.ninja:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build-asan/build.ninja:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
	    -DEDGETSDB_SANITIZE=ON -DEDGETSDB_BENCH=OFF

build-fuzz/build.ninja:
	CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DEDGETSDB_FUZZ=ON -DEDGETSDB_FUZZ_SECONDS=$(FUZZ_SECONDS)

build: deps build/build.ninja
	$(LOCK) cmake --build build -j $(JOBS)

build-asan: deps build-asan/build.ninja
	$(LOCK) cmake --build build-asan -j $(JOBS)

build-fuzz: deps build-fuzz/build.ninja
	$(LOCK) cmake --build build-fuzz --target fuzz_targets -j $(JOBS)

test-unit: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd build-asan && ctest --output-on-failure -j $(JOBS)

test-fuzz: build-fuzz
	cd build-fuzz && ctest --output-on-failure -j $(JOBS)

# The sanitizer and fuzz suites run first so that the last lines are the main suite's CTest summary.
test: test-asan test-fuzz test-unit

# The server on its embedded defaults: data in ./data, HTTP (InfluxDB 1.x API) on 127.0.0.1:8086.
run: build
	./build/edgetsdb serve --data-dir ./data --http-addr 127.0.0.1:8086

bench: build
	./build/bench/codec_bench

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build build-asan build-fuzz
