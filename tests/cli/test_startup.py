"""`huashu --help` and every command start without the libraries only some commands need (a user
test timed `huashu --help` at 6.3 s, most of it importing scikit-learn for the gap clustering)."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_does_not_import_scikit_learn_until_a_command_clusters() -> None:
    code = "import sys, assistant.cli; print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn'}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout
