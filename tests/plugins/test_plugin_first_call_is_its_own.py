"""The slow-plugin record measures a plugin's own code, not the process's warm-up: the core's
modules a check of the plugin's declarations needs (the API's schemas, the services) are
imported before the plugin's clock starts. Before, the first type read in a process (the
lecture) was charged the import of the portal's API inside its ``form`` and ``evidence_kinds``
(about 1.8 s, 3.5–4 s with two gunicorn workers starting at once) and logged as a slow plugin
at every start. Counted, not timed: which ``portal`` modules a fresh process imports while a
built-in plugin's code runs, from building the app to drawing the lecture's form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FRESH = r"""
import json, sys
from portal import plugin_loader

charged = []
enter, leave = plugin_loader._PluginCode.__enter__, plugin_loader._PluginCode.__exit__

def counted_enter(self):
    self.modules_before = set(sys.modules)
    return enter(self)

def counted_leave(self, *exc):
    new = sorted(m for m in set(sys.modules) - self.modules_before
                 if m.startswith("portal.") and not m.startswith("portal.translations"))
    if new and self.hook != "import":  # importing the plugin's own module is its own work
        charged.append([self.plugin, self.hook, new])
    return leave(self, *exc)

plugin_loader._PluginCode.__enter__, plugin_loader._PluginCode.__exit__ = counted_enter, counted_leave

from portal import create_app
from portal.registry import registry
from portal.web import plugin_form

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "TESTING": True,
                  "JOBS_IMMEDIATE": True, "SECRET_KEY": "fresh-process"})
with app.test_request_context("/?lang=zh"):
    reg = registry().types["lecture"]
    drawn = plugin_form.draw(reg, plugin_form.build(reg, None, "details-"))
    assert not drawn.failed and drawn.html
    builtin = sorted(name for name, info in registry().plugins.info.items() if info.builtin)
print(json.dumps({"charged": charged, "builtin": builtin}))
"""


def test_a_fresh_process_charges_no_core_import_to_a_builtin_plugin(tmp_path: Path):
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", FRESH, str(tmp_path / "fresh.db")], cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert "lecture" in seen["builtin"]  # the process did read the built-in types
    assert [c for c in seen["charged"] if c[0] in seen["builtin"]] == []
