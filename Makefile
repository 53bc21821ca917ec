# tenantsync: `make run` opens the app, `make test` runs every test.
# Both install what a fresh Debian/Ubuntu machine is missing first.

GO       ?= go
PKGS     := ./...
# Packages that build without cgo, vetted for macOS on any machine.
NOCGO_PKGS := ./store/... ./core/... ./cmd/tenantsync/cli/... ./cmd/m365sim/...

# Debian/Ubuntu packages: cgo and the X11/GL headers Fyne needs, Xvfb for the
# window smoke test, D-Bus and gnome-keyring for the keychain tests, mingw-w64
# for the Windows cross-build, curl for the first-contact script's browser.
APT_PACKAGES := gcc pkg-config libgl1-mesa-dev libx11-dev libxrandr-dev libxxf86vm-dev \
	libxi-dev libxcursor-dev libxinerama-dev libxkbcommon-dev xvfb xauth dbus dbus-x11 \
	gnome-keyring gcc-mingw-w64-x86-64 curl

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps run test check vet unit test-keychain cross fmt-check tidy-check staticcheck vulncheck build binaries first-contact crash

# Go tools at pinned versions, built once by `go install` from the Go module
# proxy into out/tools, without touching go.mod. Their directory names the Go
# version: a tool built by an older Go cannot read a newer Go's packages.
TOOLS               := out/tools/$(shell $(GO) env GOVERSION 2>/dev/null)
STATICCHECK_VERSION := v0.8.2
GOVULNCHECK_VERSION := v1.9.0
STATICCHECK         := $(TOOLS)/staticcheck-$(STATICCHECK_VERSION)/staticcheck
GOVULNCHECK         := $(TOOLS)/govulncheck-$(GOVULNCHECK_VERSION)/govulncheck
# The Go vulnerability database, taken from the module proxy as the module
# golang.org/x/vulndb (vuln.go.dev is out of reach on CI); a newer snapshot
# is a newer pseudo-version: go list -m golang.org/x/vulndb@latest.
VULNDB_VERSION      := v0.0.0-20261105234957-e22db6528018
VULNDB              := out/vulndb/$(VULNDB_VERSION)

deps:
	@command -v $(GO) >/dev/null || { echo "Go is not installed: get it from go.dev/dl (see README)"; exit 1; }
	@if command -v dpkg-query >/dev/null 2>&1; then \
		missing=$$(for p in $(APT_PACKAGES); do \
			dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			echo "installing:" $$missing; \
			$(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		fi; \
	else echo "not a Debian/Ubuntu machine: install the prerequisites the README lists for your OS"; fi

build: deps
	$(GO) build -o tenantsync ./cmd/tenantsync

run: deps
	$(GO) run ./cmd/tenantsync

# Every test: formatting, a tidy go.mod, vet, staticcheck, govulncheck, unit
# and integration tests with the race detector, the real keychain, and the
# Windows and macOS builds.
test: deps fmt-check tidy-check vet staticcheck vulncheck unit test-keychain cross smoke first-contact crash

fmt-check:
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi

# go.mod and go.sum say exactly what the code imports: no "// indirect" on a
# direct dependency, nothing missing, nothing left over.
tidy-check:
	$(GO) mod tidy -diff

vet:
	$(GO) vet $(PKGS) ./.ci/vulncheck

$(STATICCHECK):
	GOBIN=$(CURDIR)/$(@D) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOVULNCHECK):
	GOBIN=$(CURDIR)/$(@D) $(GO) install golang.org/x/vuln/cmd/govulncheck@$(GOVULNCHECK_VERSION)

staticcheck: deps $(STATICCHECK)
	$(STATICCHECK) $(PKGS) ./.ci/vulncheck

# The vulnerability data's OSV files in the v1 layout govulncheck reads.
$(VULNDB)/index/modules.json:
	$(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | $(GO) run ./.ci/vulncheck db -out $(VULNDB)

# Fails on a vulnerability the code calls in a module (bump it); one in the
# standard library is listed only, since its fix is a newer Go, not a change
# here (see .ci/vulncheck). The raw report is left in out/vulncheck.json.
vulncheck: deps $(GOVULNCHECK) $(VULNDB)/index/modules.json
	$(GOVULNCHECK) -format json -db file://$(CURDIR)/$(VULNDB) $(PKGS) > out/vulncheck.json
	$(GO) run ./.ci/vulncheck gate < out/vulncheck.json

unit:
	$(GO) test -race -count=1 $(PKGS)

# The keychain test against a real Secret Service: gnome-keyring in a private
# D-Bus session with a throwaway HOME, unlocked with a test password.
test-keychain:
	@home=$$(mktemp -d); \
	$(GO) test -c -o $$home/secrets.test ./store/secrets && \
	HOME=$$home dbus-run-session -- sh -c '\
		sh .ci/unlock-keyring.sh && \
		TENANTSYNC_KEYCHAIN_TEST=1 '$$home'/secrets.test -test.run RealSecretService -test.v -test.count=1'; \
	status=$$?; rm -rf $$home; exit $$status

# Most technicians are on Windows; the macOS check vets what builds without cgo.
cross:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(GO) build -o /dev/null ./cmd/tenantsync
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet $(NOCGO_PKGS)

# The window smoke test: the real binary under Xvfb, in demo mode, syncs the
# simulated tenants and writes a PNG of every main view (captured from the
# canvas) to $(SMOKE_DIR). It fails if the app crashes, exits non-zero (it
# does when a view is blank) or a PNG is missing or nearly empty.
SMOKE_DIR   ?= out/smoke
SMOKE_VIEWS := first-run syncing integrations matching organizations organization organization-licenses organization-mailboxes organization-devices organization-leavers organization-m365 contact logs settings sync-settings connect
.PHONY: smoke
smoke: deps binaries
	rm -rf $(SMOKE_DIR) out/smoke-data
	TENANTSYNC_SMOKE_DIR=$(SMOKE_DIR) LC_ALL=en_US.UTF-8 timeout 300 xvfb-run -a -s "-screen 0 1280x800x24" \
		out/tenantsync --data-dir out/smoke-data
	@for v in $(SMOKE_VIEWS); do f=$(SMOKE_DIR)/$$v.png; \
		if [ ! -f $$f ] || [ $$(wc -c < $$f) -lt 20000 ]; then echo "smoke: $$f is missing or blank"; exit 1; fi; \
	done; echo "smoke: $(words $(SMOKE_VIEWS)) views captured in $(SMOKE_DIR)"

# The real binaries, built once for the smoke test and the first-contact script.
binaries: deps
	$(GO) build -o out/tenantsync ./cmd/tenantsync
	$(GO) build -o out/m365sim ./cmd/m365sim

# First contact from the outside: the real binaries against m365sim
# --fresh-partner: tenantsync setup, consent, sync and status, with
# TENANTSYNC_CLOUD_FILE, SSL_CERT_FILE and a $BROWSER script playing the
# browser, the secret in a real Secret Service (see .ci/first-contact.sh).
first-contact: binaries
	LC_ALL=C.UTF-8 bash .ci/first-contact.sh out/tenantsync out/m365sim

# Crashes and faults from the outside: the real binaries killed with
# SIGKILL at random points of demo, import, sync (against m365sim) and
# export, on a full disk (a small tmpfs, where user namespaces allow it),
# and on database files with flipped bits or cut short; the database must
# open or be restored, nothing may panic or be half-written (see
# .ci/crash.sh). SEED=N replays a run's random choices; about 2 minutes.
crash: binaries
	LC_ALL=C.UTF-8 bash .ci/crash.sh out/tenantsync out/m365sim
