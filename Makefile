# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
IDP := keycloak/dev-idp
MAILDEV := tools/maildev

.PHONY: demo test lint install clean messages

AXE := tests/e2e/axe
# Compiled catalogues are build output (not in git): one .mo per translated .po.
MO := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

install: $(VENV)/.installed $(IDP)/node_modules/.installed $(AXE)/node_modules/.installed \
	$(MAILDEV)/node_modules/.installed $(MO)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(IDP)/node_modules/.installed: $(IDP)/package-lock.json
	cd $(IDP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(MAILDEV)/node_modules/.installed: $(MAILDEV)/package-lock.json
	cd $(MAILDEV) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(AXE)/node_modules/.installed: $(AXE)/package-lock.json
	cd $(AXE) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --input-file $< --output-file $@

# After changing user-facing text: refresh the template and the catalogues, then translate.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output \
	  --project=Klantportal --copyright-holder=Klantportal -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --ignore-obsolete --width 100

.env:
	cp .env.example .env

# Seed the demo, then run the identity provider (:8080), the mail catcher (SMTP :1025, inbox
# :1080), the mail delivery and the portal (:5000); Ctrl-C stops them all.
demo: install .env
	$(BIN)/klantportal seed-demo
	@echo "Portal: http://localhost:5000  (demo people: see README; password: demo)"
	@echo "Mails:  http://localhost:1080"
	@trap 'kill 0' INT TERM EXIT; \
	  (cd $(IDP) && PORT=8080 exec node server.js) & \
	  (cd $(MAILDEV) && exec node node_modules/maildev/bin/maildev --ip 127.0.0.1 --smtp 1025 \
	    --web-ip 127.0.0.1 --web 1080 --silent) & \
	  $(BIN)/klantportal mail deliver --loop --interval 2 & \
	  $(BIN)/klantportal run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/ruff check .
	DEVIDP_STARTUP_TIMEOUT=120 $(BIN)/pytest -n 2
	DEVIDP_STARTUP_TIMEOUT=120 KLANTPORTAL_TEST_DB=postgres $(BIN)/pytest -n 2 -m "not e2e" tests/web tests/identity tests/incidents tests/contacts tests/support tests/quota tests/mail

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(IDP)/node_modules $(AXE)/node_modules $(MAILDEV)/node_modules instance .pytest_cache $(MO)
