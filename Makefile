# The two commands a new user needs: `make run` (the whole system on its embedded defaults)
# and `make test` (every test). Both install what is missing first.
.PHONY: run test setup generate web lint typecheck bench bench-start clean-data test-faults soak

# Debian installs nats-server in /usr/sbin, which is not on a non-root user's PATH.
export PATH := $(PATH):/usr/sbin

setup:
	@bash scripts/setup.sh

# Every Node process runs compiled JavaScript: build/dist, rebuilt when a source is newer
# (scripts/build-dist.mjs); FLIX_STACK_RUNTIME=tsx runs the services from their sources instead.
run: setup
	@node scripts/build-dist.mjs --if-stale
	@node --enable-source-maps build/dist/stack.mjs

test:
	@bash scripts/setup.sh --browser
	@npx buf lint
	@npx tsc -p tsconfig.json && npx tsc -p web/tsconfig.json && npx tsc -p test/browser/tsconfig.json
	@npx vitest run

generate:
	@npm run generate

# The viewer web app (web/dist); `make run` and `make test` build it when it is stale.
web:
	@npm run build -w @flix/web

typecheck:
	@npx tsc -p tsconfig.json && npx tsc -p web/tsconfig.json && npx tsc -p test/browser/tsconfig.json

bench: setup
	@node --import tsx bench/run.ts

# `make run` from start to healthy, cold and warm, compiled and through tsx (bench/stack-start.ts).
bench-start: setup
	@node --import tsx bench/stack-start.ts

# The long fault-injection variant (test/faults): every process of the stack SIGKILLed in turn,
# heavier journey load, several rounds (FLIX_FAULTS_ROUNDS, FLIX_FAULTS_VUS). `make test` runs
# the same file's short variant (FLIX_FAULTS unset), so the long one never runs there.
test-faults: setup
	@FLIX_FAULTS=long npx vitest run --project system test/faults/

# 10 minutes of journey load on the multi-process stack (FLIX_SOAK_MINUTES): RSS per process at
# start and end (fails beyond the bound it prints) and p50/p99 latency per minute.
soak: setup
	@node --import tsx bench/soak.ts

clean-data:
	rm -rf .data
