# podpis: build and install.
#
#   make                          # the release binary (.build/release/podpis)
#   make install PREFIX=/usr/local
#   make uninstall PREFIX=/usr/local
#
# The binary carries everything it needs: the policies, the trust-list folders and the report templates are
# compiled into it (a folder on the search path replaces them: --policies, $PODPIS_POLICIES, ./policies,
# /etc/podpis/policies; see `podpis version --verbose`), and the Swift runtime is linked in statically. It needs
# only the system's OpenSSL (with the GOST engine), libcurl, SQLite and libxml2: scripts/install-deps.sh. It is
# installed stripped (about 90 MB; the ICU data of the statically linked Foundation is most of it).

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SWIFT ?= swift
SWIFT_FLAGS ?= -c release --static-swift-stdlib

.PHONY: all build install uninstall

all: build

build:
	$(SWIFT) build $(SWIFT_FLAGS) --product podpis

install: build
	install -d "$(DESTDIR)$(BINDIR)"
	install -m 755 -s "$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/podpis" "$(DESTDIR)$(BINDIR)/podpis"
	@echo "installed $(DESTDIR)$(BINDIR)/podpis; check it with: podpis version --verbose"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/podpis"
