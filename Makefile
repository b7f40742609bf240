# MindPal Admin: one command to run, one to test, one to check, one to measure.
SHELL := bash
CLI := target/debug/mindpal-admin
APP := target/debug/mindpal-admin-app

.PHONY: run test check bench deps services ui bindings app package

## run: install what is missing, bring the sandbox up, open the console on it
run: deps app
	cargo build -p mindpal-admin-cli
	$(CLI) sandbox up
	$(APP)

## test: unit and integration tests against MariaDB :3306, Redis :6379 and a sandbox pair,
## the UI's component tests (Vitest, jsdom), then the end-to-end tests of the real window (screenshots in artifacts/e2e/), then the .deb
## built, installed, its CLI run from the PATH, its app launched on a sandbox, and removed
test: services app
	@mkdir -p target && rm -f target/stages.log
	set -o pipefail; t=$$SECONDS; cargo test -p mindpal-core -p mindpal-admin-cli --all-targets 2>&1 | tee target/test.log && \
		echo "== test stage: core and CLI tests $$((SECONDS - t)) s" | tee -a target/stages.log
	set -o pipefail; t=$$SECONDS; cd ui && NO_COLOR=1 npm run test 2>&1 | tee ../target/ui-test.log && \
		echo "== test stage: UI component tests $$((SECONDS - t)) s" | tee -a ../target/stages.log
	set -o pipefail; t=$$SECONDS; scripts/e2e.sh 2>&1 | tee target/e2e.log && \
		echo "== test stage: window tests $$((SECONDS - t)) s" | tee -a target/stages.log
	set -o pipefail; t=$$SECONDS; (PROFILE=debug scripts/package.sh && scripts/package-check.sh) 2>&1 | tee target/package.log && \
		echo "== test stage: package $$((SECONDS - t)) s" | tee -a target/stages.log
	@awk '/^test result:/ { p += $$4; f += $$6 } /^ℹ pass / { p += $$3 } /^ℹ fail / { f += $$3 } \
		/^ +Tests +[0-9]/ { for (i = 2; i < NF; i++) { if ($$(i+1) ~ /^passed/) p += $$i; if ($$(i+1) ~ /^failed/) f += $$i } } \
		END { printf "tests: %d passed, %d failed\n", p, f }' target/test.log target/ui-test.log target/e2e.log target/package.log
	@cat target/stages.log

## check: formatting, lints, the core's layers (scripts/layers.py), generated UI types up to date,
## TypeScript and the UI linter
check: ui
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	python3 scripts/layers.py
	@if cargo tree -p mindpal-core -e normal -i tauri >/dev/null 2>&1; then \
		echo "mindpal-core must not depend on tauri" >&2; exit 1; fi
	$(MAKE) bindings
	@git diff --exit-code --stat -- ui/src/bindings || \
		(echo "ui/src/bindings is stale: run 'make bindings' and commit the result" >&2; exit 1)
	@test -z "$$(git status --porcelain -- ui/src/bindings)" || \
		(echo "ui/src/bindings has new files: run 'make bindings' and commit them" >&2; exit 1)
	cd ui && npm run typecheck && npm run lint

## bench: seeding speed against LOAD DATA; list pages against OFFSET; backup and restore against mysqldump and mydumper; point-in-time recovery of one hour of writes; the window's launch time and idle memory (release builds)
bench: services ui
	cargo build --release -p mindpal-admin-cli -p mindpal-admin-app --features mindpal-admin-app/custom-protocol
	scripts/bench.sh
	scripts/bench-backup.sh
	scripts/bench-pitr.sh
	scripts/bench-window.sh

## package: the .deb and .rpm (release) with the Tauri bundler: the app, its menu entry and
## icons, and the mindpal-admin CLI on the PATH (target/release/bundle/)
package: deps
	scripts/package.sh

deps:
	scripts/install-deps.sh

services:
	scripts/ensure-services.sh

## bindings: regenerate ui/src/bindings from the Rust wire types and the command signatures
## (with the built UI, compiled as `make app` compiles the app, so the two share one build of Tauri)
bindings:
	rm -rf ui/src/bindings
	cargo test -p mindpal-admin-app $$(test -f ui/dist/index.html && echo --features custom-protocol) --quiet export_bindings

ui: deps
	cd ui && npm run build

## app: the desktop binary, serving the built UI
app: ui
	cargo build -p mindpal-admin-app --features custom-protocol
