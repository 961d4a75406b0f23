# The two entry points of the README. Each installs what it needs (Debian packages via
# apt-get), builds, and runs.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DBADUP_WERROR=ON

.PHONY: all deps build test run serve bench clean

all: build

PROXIES ?= haproxy,nginx

deps:
	sh scripts/install-deps.sh build

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

# Unit and end-to-end suites, plain and under ASan+UBSan, the data-plane suites under
# valgrind, and each fuzzer for 60 s (tests/fuzz/run.sh), in one ctest run.
test: build
	sh scripts/install-deps.sh test fuzz
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The conformance run: the whole catalog through real proxies (haproxy and nginx unless
# PROXIES=all or a list), the table on stdout, everything in results/latest.
run: build
	sh scripts/install-deps.sh proxies
	./$(BUILD)/badup run --proxy $(PROXIES)

# The simulator alone with the whole catalog: pick a fault per request, e.g.
#   curl -v http://LISTEN/empty_reply/x
serve: build
	./$(BUILD)/badup serve scenarios/

# The simulator's own numbers (bench/simulator.sh), its TLS beside nginx's (bench/tls.sh), its
# HTTP/2 beside nghttpd's and h2o's (bench/h2.sh), then the benchmark page: capacity, fault
# sweep with and without retries, the catalog's time to error, into results/bench/ (bench/page.sh).
bench: build
	sh scripts/install-deps.sh bench
	bash bench/simulator.sh
	bash bench/tls.sh --badup ./$(BUILD)/badup
	bash bench/h2.sh --badup ./$(BUILD)/badup
	BADUP=./$(BUILD)/badup sh bench/page.sh

clean:
	rm -rf $(BUILD)
