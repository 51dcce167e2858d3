# Fair Treatment: `make run` to start with demo data (not for real information), `make test` to run every test,
# `make lint` for the quality gate (ruff, mypy, import-linter; settings in pyproject.toml).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format install db demo bench backup restore freeze clean reminders

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

db: $(STAMP)
	$(PY) -m db.setup

run: $(STAMP)
	$(PY) -m db.setup --demo
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port 8501 \
		--server.headless true --browser.gatherUsageStats false

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n auto --dist loadfile tests; status=$$?; \
	if [ $$status -eq 5 ]; then echo "No tests were collected."; exit 0; fi; exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	$(PY) -m bench.timeline
	$(PY) -m bench.letters
	$(PY) -m bench.monitoring

# The daily reminders (issue 15): queue each user's digest, then send the outbox over SMTP when
# FT_SMTP_HOST is set (otherwise the messages wait on the Outbox page). Run it from cron once a day.
reminders: $(STAMP)
	$(PY) -m core.reminders digest
	$(PY) -m core.reminders send

backup: $(STAMP)
	$(PY) -m db.backup backup

restore: $(STAMP)
	$(PY) -m db.backup restore $(FILE)

freeze: $(STAMP)
	(echo "# Pinned with pip freeze; regenerate with: make freeze"; $(PY) -m pip freeze) > requirements.txt

clean:
	rm -rf $(VENV) data test-artefacts
