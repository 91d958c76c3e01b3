"""The rules stay pure: importing them loads no web framework and no database (issue 17)."""

import json
import subprocess
import sys
from pathlib import Path

import webapp

FORBIDDEN = (
    "flask", "flask_babel", "peewee", "playhouse", "psycopg2", "sqlite3", "webapp.db", "webapp.models"
)
# ``webapp/__init__.py`` is the app factory and imports Flask itself; the question is what
# the rules (and whatever they import) need, so the child process stands in an empty
# package for it and imports the rules' modules from the real directory.
WITHOUT_FACTORY = f"""
import types
package = types.ModuleType("webapp")
package.__path__ = [{str(Path(webapp.__file__).parent)!r}]
sys.modules["webapp"] = package
"""


def modules_loaded_by(statement: str) -> set[str]:
    """The modules a fresh interpreter has loaded after ``statement``: nothing cached from this one."""
    script = f"import json, sys\n{WITHOUT_FACTORY}\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def forbidden_among(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)}


def test_the_rules_import_no_flask_peewee_or_database_module():
    loaded = modules_loaded_by("import webapp.rules")
    assert {"webapp.rules.decisions", "webapp.rules.reasons", "webapp.clock"} <= loaded
    assert forbidden_among(loaded) == set()


def test_the_check_sees_such_an_import():
    # Guards the test above against passing vacuously: a rule importing the models is caught.
    assert {"flask", "peewee", "webapp.db", "webapp.models"} <= forbidden_among(
        modules_loaded_by("import webapp.models")
    )
