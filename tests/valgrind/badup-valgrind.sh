#!/bin/sh
# Used as BADUP by the end-to-end suites under valgrind (tests/valgrind/run.sh): the plain
# binary (BADUP_REAL) under memcheck. Any invalid access, use of uninitialised memory, or
# definitely lost block makes the exit status 99, which the suites' teardown reports
# ("exit code 99, expected 0") along with valgrind's report on stderr.
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --num-callers=30 "${BADUP_REAL:?BADUP_REAL: the badup binary}" "$@"
