# The two commands of the README. Both install what is missing first (scripts/bootstrap.sh).
export TURBO_TELEMETRY_DISABLED := 1
export DO_NOT_TRACK := 1

.PHONY: start test bootstrap

## Run Waymark on this machine (local Kafka broker + embedded ClickHouse) and show a demo funnel.
start: bootstrap
	@pnpm --silent --filter @waymark/sdk --filter @waymark/console run build >/dev/null
	pnpm --silent waymark start --demo

## Lint, typecheck and every test (unit + integration on a real broker and engine).
test:
	@WAYMARK_WITH_BROWSER=1 ./scripts/bootstrap.sh
	pnpm test

bootstrap:
	@./scripts/bootstrap.sh
