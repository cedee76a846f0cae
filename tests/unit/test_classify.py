from __future__ import annotations

import pytest

from agentpprof.sources.classify import (
    command_effect,
    command_paths,
    domains_in,
    path_group,
    process_chain,
    safe_frame,
    tool_category,
)


@pytest.mark.parametrize(
    ("command", "chain"),
    [
        ("bash -lc 'cargo test --manifest-path collector/Cargo.toml'", ["bash", "cargo"]),
        ("cd x && cargo test", ["cargo"]),
        ("cd /repo && export RUST_LOG=1 && FOO=bar cargo build", ["cargo"]),
        ("sudo env A=1 timeout 30 nice -n 5 pytest -q tests/", ["pytest"]),
        ("/bin/zsh -lc 'cd app && npm test'", ["zsh", "npm"]),
        ("git status -sb", ["git"]),
        ("rg -n foo src | head -5", ["rg"]),
        ("", []),
        ("nohup python3 server.py &", ["python3"]),
        ("bash -c \"bash -lc 'make check'\"", ["bash", "bash", "make"]),
    ],
)
def test_process_chain(command: str, chain: list[str]) -> None:
    assert process_chain(command) == chain


def test_process_chain_argv() -> None:
    assert process_chain(["bash", "-lc", "cd x && cargo test"]) == ["bash", "cargo"]


@pytest.mark.parametrize(
    ("command", "effect"),
    [
        ("cargo test", "test"),
        ("cd x && cargo test", "test"),
        ("bash -lc 'python -m pytest -q'", "test"),
        ("npm run test:unit", "test"),
        ("go test ./...", "test"),
        ("git commit -m 'x'", "repo"),
        ("git push origin main", "network"),
        ("git diff HEAD~1", "read"),
        ("curl -s https://example.org/api", "network"),
        ("pip install httpx", "network"),
        ("rm -rf build", "write"),
        ("sed -i 's/a/b/' file.txt", "write"),
        ("sed -n '1,20p' file.txt", "read"),
        ("echo hi > out.txt", "write"),
        ("cat README.md", "read"),
        ("ls 2>/dev/null", "read"),
        ("make", "process"),
        ("python3 script.py", "process"),
    ],
)
def test_command_effect(command: str, effect: str) -> None:
    assert command_effect(command) == effect


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("Bash", "shell"),
        ("exec_command", "shell"),
        ("shell_command", "shell"),
        ("shell", "shell"),
        ("write_stdin", "shell"),
        ("Edit", "edit"),
        ("MultiEdit", "edit"),
        ("apply_patch", "edit"),
        ("Read", "read"),
        ("Grep", "read"),
        ("Glob", "read"),
        ("WebFetch", "network"),
        ("web_search", "network"),
        ("TodoWrite", "plan"),
        ("update_plan", "plan"),
        ("Task", "subagent"),
        ("mcp__github__create_issue", "mcp"),
        ("view_image", "read"),
    ],
)
def test_tool_category(name: str, category: str) -> None:
    assert tool_category(name) == category


@pytest.mark.parametrize(
    ("path", "group"),
    [
        ("/work/repo/src/agentpprof/cli.py", "src/agentpprof"),
        ("/work/repo/README.md", "README.md"),
        ("/work/repo", "repo"),
        ("/home/alice/.ssh/id_rsa", "external"),
        ("/Users/bob/other/project/x.py", "external"),
        ("~/notes.txt", "external"),
        ("src/app/main.py", "src/app"),
        ("../outside.txt", "external"),
        ("docs/my file.md", "docs/my_file.md"),
    ],
)
def test_path_group(path: str, group: str) -> None:
    assert path_group(path, "/work/repo", "/work/repo") == group


def test_path_group_windows() -> None:
    assert path_group("C:\\Users\\dev\\proj\\src\\a.py", "c:\\Users\\dev\\proj", None) == "src/a.py"
    assert path_group("D:\\other\\x.py", "C:\\proj", None) == "external"


def test_command_paths_and_domains() -> None:
    assert command_paths("pytest tests/unit/test_x.py -q") == ["tests/unit/test_x.py"]
    assert "github.com" in domains_in("git clone https://github.com/a/b")
    assert domains_in("curl http://localhost:8080/health") == ["localhost"]


def test_safe_frame() -> None:
    assert safe_frame("a b;c\nd") == "a_b_c_d"
    assert safe_frame("   ") == "unknown"
