# Two commands for a fresh Linux machine with Python 3.11:
#   make book   install into .venv if needed, execute every notebook (PROFILE=default), build the HTML book
#               from runs/$(PROFILE)
#   make test   install into .venv if needed, run the test suite
#   make lab    open the notebooks in JupyterLab (installs it into .venv on first use)
#   make lock   re-resolve requirements.lock (hashes included) from requirements.in
PYTHON ?= python3.11
VENV ?= .venv
PROFILE ?= default
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test lint install clean lab lock

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install --require-hashes -r requirements.lock   # the tested versions, verified
	$(BIN)/python -m pip install --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name axlib --display-name "axlib (Python 3.11)"
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/axlib run --profile $(PROFILE)
	$(BIN)/axlib book --runs runs/$(PROFILE)

test: $(STAMP)
	$(BIN)/python -m pytest

lab: $(STAMP)   # open the notebooks in JupyterLab (installed into the venv on first use)
	@$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/python -m pip install -e ".[lab]"
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf runs book/_build

lock:   # requirements.in: the direct dependencies at the versions tested; the lock adds every transitive one
	@test -x $(VENV)-lock/bin/pip-compile || ($(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install "pip-tools>=7.4")
	$(VENV)-lock/bin/pip-compile --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock requirements.in
