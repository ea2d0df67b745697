"""The README documents every command and every setting."""

from conftest import REPO
from newsmirror.cli import COMMANDS, build_parser
from newsmirror.config import MIRROR_SETTINGS, SITE_SETTINGS

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented():
    for command in COMMANDS:
        assert f"newsmirror {command}" in README, command


def test_every_option_is_documented():
    parser = build_parser()
    for sub in parser._subparsers._group_actions[0].choices.values():
        for action in sub._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in README, flag


def test_every_setting_is_documented():
    for setting in (*MIRROR_SETTINGS, *SITE_SETTINGS):
        assert f"| `{setting.key}` |" in README, setting.key


def test_every_exit_code_is_documented():
    import newsmirror.cli as cli

    codes = {v for k, v in vars(cli).items() if k.startswith("EXIT_")}
    section = README[README.index("Exit codes:") : README.index("Failure kinds:")]
    for code in codes:
        assert f"- `{code}` " in section, code


def test_every_hosts_setting_is_documented():
    from newsmirror.config import HOST_SETTINGS

    assert '[hosts."' in README
    for setting in HOST_SETTINGS:
        assert f"| `{setting.key}` |" in README, setting.key
