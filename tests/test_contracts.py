"""The project's promises (STYLE.md principle 13): documented settings, CLI help, one error table, one-way
imports, and error responses that are always OperationOutcomes."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import terminology
from api.errors import ERROR_TABLE, status_and_code
from api.settings import Settings
from scripts.cli import main
from terminology import errors

REPO = Path(__file__).resolve().parents[1]


def test_every_setting_is_described():
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 20, name


def test_every_setting_and_command_is_in_the_readme():
    readme = (REPO / "README.md").read_text("utf-8")
    for name in Settings.model_fields:
        assert f"VARDTERM_{name.upper()}" in readme, name
    for path, cmd in _commands(main):
        if not isinstance(cmd, click.Group):
            assert f"`{' '.join(path)}`" in readme or f"vardterm {' '.join(path)}" in readme, path


def _commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


def test_every_cli_command_has_help():
    runner = CliRunner()
    for path, cmd in _commands(main):
        assert cmd.help and len(cmd.help) > 20, path
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, path


def test_every_error_class_has_a_mapping_and_the_table_is_ordered():
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.TerminologyError)]
    mapped = [row[0] for row in ERROR_TABLE]
    for cls in classes:
        assert cls in mapped, cls
    for i, cls in enumerate(mapped):
        for later in mapped[i + 1:]:
            assert not issubclass(later, cls) or later is cls, f"{later} is shadowed by {cls}"
    assert status_and_code(errors.UnknownCode("Unknown_Code_in", "x", "y")) == (404, "not-found")
    assert status_and_code(errors.TooCostly("VALUESET_TOO_COSTLY", "x", 1)) == (422, "too-costly")


def test_every_message_id_used_in_the_code_is_in_the_catalogue():
    import re
    used = set()
    for path in (REPO / "terminology").rglob("*.py"):
        if path.name == "__init__.py":
            continue  # its strings are the names of __all__, not messages
        used |= set(re.findall(r'"([A-Za-z_]+_[A-Za-z_]+)"', path.read_text("utf-8")))
    candidates = {u for u in used if u.isupper() or "_" in u and u[0].isupper() and not u.startswith("__")}
    plural_bases = {k.rsplit("_", 1)[0] for k in terminology.MESSAGES if k.endswith(("_one", "_other"))}
    missing = {m for m in candidates if m not in terminology.MESSAGES and re.search(r"[A-Z]{2}", m)
               and m not in {"OP_UNSUPPORTED"} and m not in plural_bases}
    assert not missing - _NOT_MESSAGES, missing - _NOT_MESSAGES


_NOT_MESSAGES = {"VERSION_PREFIX", "EXPERIMENTAL_VERSION_PREFIX", "VARDTERM_DATABASE_URL"}


def test_import_contracts_hold():
    result = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=REPO, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("args, message", [
    (["load", "rf2", "/nonexistent/release.zip"], "does not exist"),
    (["remove", "http://snomed.info/sct/1/version/2"], "no loaded version"),
])
def test_cli_errors_are_one_readable_line(tmp_path, args, message):
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path}/x.db", *args])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_cli_load_reports_bad_files_with_file_and_line(tmp_path):
    from .rf2_builder import tiny_international
    pkg = tiny_international(tmp_path / "rel")
    pkg.concepts[1][0] = 116680004
    root = pkg.write()
    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path}/x.db", "load", "rf2", str(root)])
    assert result.exit_code == 1
    assert "sct2_Concept_Snapshot_INT_20250701.txt, line 3: id '116680004' is not a valid SCTID" in result.output
    assert "Traceback" not in result.output


def test_ruff_finds_nothing():
    result = subprocess.run([str(Path(sys.executable).parent / "ruff"), "check", "terminology", "codesystems",
                             "mappings", "api", "scripts", "tests"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
