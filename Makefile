# Build and install nameindex.
#
#   make                       release build of nameindexd and namectl
#   make install               install into PREFIX (default /usr/local), under DESTDIR if set
#   make check                 the whole test suite (scripts/test)
#   make check-units           systemd-analyze verify and security on systemd/
#   make lint-man              mandoc -T lint -W warning on man/
#
# `make install` installs what `make` built; it does not build (run it as root after
# `make` as yourself). CONFIGURATION=debug installs a debug build; BINPATH names the
# directory of already built binaries.

PREFIX        ?= /usr/local
DESTDIR       ?=
CONFIGURATION ?= release
# Link the Swift runtime in, so that the installed binaries do not need the toolchain.
SWIFT_FLAGS   ?= --static-swift-stdlib
BINPATH       ?= .build/$(CONFIGURATION)
BINDIR        ?= $(PREFIX)/bin
MANDIR        ?= $(PREFIX)/share/man
DATADIR       ?= $(PREFIX)/share/nameindexd
UNITDIR       ?= $(PREFIX)/lib/systemd/system
# Shell completions of namectl, generated from the built binary (swift-argument-parser).
BASHCOMPDIR   ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR    ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR   ?= $(PREFIX)/share/fish/vendor_completions.d

UNITS = nameindexd.service nameindexd.socket nameindexd-lookup.socket nameindexd-reload.service nameindexd-reload.timer
DEMO  = $(wildcard examples/demo/*)

.PHONY: all build install uninstall check check-units lint-man

all: build

build:
	swift build -c $(CONFIGURATION) $(SWIFT_FLAGS) --product nameindexd
	swift build -c $(CONFIGURATION) $(SWIFT_FLAGS) --product namectl

install:
	@for b in nameindexd namectl; do \
	  test -x $(BINPATH)/$$b || { echo "make install: $(BINPATH)/$$b is missing; run make first" >&2; exit 1; }; done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/demo
	install -m 0755 $(BINPATH)/nameindexd $(BINPATH)/namectl $(DESTDIR)$(BINDIR)/
	for u in $(UNITS); do \
	  sed 's|/usr/bin/|$(BINDIR)/|g' systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; done
	install -m 0644 man/namectl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/nameindexd.toml.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/nameindexd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 examples/nameindexd.toml $(DESTDIR)$(DATADIR)/nameindexd.toml.example
	install -m 0644 $(DEMO) $(DESTDIR)$(DATADIR)/demo/
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	$(BINPATH)/namectl --generate-completion-script bash > $(DESTDIR)$(BASHCOMPDIR)/namectl
	$(BINPATH)/namectl --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_namectl
	$(BINPATH)/namectl --generate-completion-script fish > $(DESTDIR)$(FISHCOMPDIR)/namectl.fish
	chmod 0644 $(DESTDIR)$(BASHCOMPDIR)/namectl $(DESTDIR)$(ZSHCOMPDIR)/_namectl $(DESTDIR)$(FISHCOMPDIR)/namectl.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nameindexd $(DESTDIR)$(BINDIR)/namectl
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	rm -f $(DESTDIR)$(MANDIR)/man1/namectl.1 $(DESTDIR)$(MANDIR)/man5/nameindexd.toml.5 $(DESTDIR)$(MANDIR)/man8/nameindexd.8
	rm -rf $(DESTDIR)$(DATADIR)
	rm -f $(DESTDIR)$(BASHCOMPDIR)/namectl $(DESTDIR)$(ZSHCOMPDIR)/_namectl $(DESTDIR)$(FISHCOMPDIR)/namectl.fish

check:
	scripts/test

check-units:
	scripts/check-units

lint-man:
	mandoc -T lint -W warning man/*
