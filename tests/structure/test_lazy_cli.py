"""The root command lists every subcommand without importing it, and each stored short help is the module's own."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import distillshield
from distillshield.cli.main import SUBCOMMANDS, app, load_subcommand

CLI = Path(distillshield.__file__).parent / "cli"


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_stored_help_is_the_modules_own(name: str) -> None:
    command = load_subcommand(name)
    own = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
    assert SUBCOMMANDS[name].help == own


def test_every_command_module_is_registered() -> None:
    modules = {
        p.stem for p in CLI.glob("*.py") if "\ndef command(" in p.read_text() or "\napp = typer.Typer(" in p.read_text()
    }
    assert modules - {"main"} == {entry.module for entry in SUBCOMMANDS.values()}


def test_root_help_imports_no_subcommand() -> None:
    code = (
        "import sys\nfrom distillshield.cli.main import main\nsys.argv = ['distillshield', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "prefixes = ('distillshield.cli.', 'pyarrow', 'duckdb', 'igraph')\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(prefixes))\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "scan" in done.stdout and "mapping" in done.stdout
    assert "HEAVY ['distillshield.cli.main']" in done.stderr


def test_a_subcommand_runs_after_the_root_lists_it() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 0, result.output
    assert "rules" in runner.invoke(app, ["--help"]).output
    assert "Did you mean 'scan'" in runner.invoke(app, ["scna"]).output
