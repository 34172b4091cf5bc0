"""The README stays true: every setting and every CLI command is documented."""

from pathlib import Path

from qa.core.settings import Settings
from qa.serve.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table():
    missing = [f"QA_{name.upper()}" for name in Settings.model_fields if f"`QA_{name.upper()}`" not in README]
    assert not missing, f"README's configuration table lacks {missing}"


def test_every_cli_command_is_in_the_reference():
    names = [command.name or command.callback.__name__ for command in app.registered_commands]
    assert names, "no CLI commands registered"
    missing = [name for name in names if f"`qa {name}" not in README]
    assert not missing, f"README's CLI reference lacks {missing}"
