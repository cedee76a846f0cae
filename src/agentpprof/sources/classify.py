"""What a tool call did to the system: category, process chain, effect, path groups, domains.

Pure functions over a tool name, its input and (for shell tools) the command text. Used by both
agent parsers, so Claude and Codex tools get the same vocabulary.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PureWindowsPath
from typing import Any

from agentpprof.sources.records import ToolFacts

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "fish", "ksh", "pwsh", "powershell", "cmd"})
WRAPPERS = frozenset(
    {
        "sudo",
        "env",
        "time",
        "timeout",
        "nice",
        "nohup",
        "command",
        "exec",
        "xargs",
        "stdbuf",
        "ionice",
        "doas",
        "builtin",
        "caffeinate",
    }
)
PRELUDE = frozenset(
    {
        "cd",
        "export",
        "set",
        "source",
        ".",
        "pushd",
        "popd",
        "unset",
        "alias",
        "ulimit",
        "umask",
        "true",
        ":",
        "shopt",
    }
)
SHELL_TOOLS = frozenset(
    {
        "bash",
        "shell",
        "shell_command",
        "exec_command",
        "local_shell_call",
        "monitor",
        "container.exec",
        "run_shell_command",
    }
)
EDIT_TOOLS = frozenset(
    {
        "edit",
        "write",
        "multiedit",
        "notebookedit",
        "apply_patch",
        "str_replace",
        "create_file",
        "write_file",
        "replace",
    }
)
READ_TOOLS = frozenset(
    {
        "read",
        "grep",
        "glob",
        "ls",
        "view_image",
        "read_file",
        "list_dir",
        "search_files",
        "notebookread",
    }
)
NET_TOOLS = frozenset({"webfetch", "websearch", "web_search", "web_search_call", "web_fetch"})
PLAN_TOOLS = frozenset(
    {
        "todowrite",
        "todoread",
        "update_plan",
        "exitplanmode",
        "enterplanmode",
        "taskcreate",
        "taskupdate",
        "tasklist",
        "taskget",
        "askuserquestion",
    }
)
AGENT_TOOLS = frozenset({"task", "agent", "spawn_agent", "send_input"})
POLL_TOOLS = frozenset(
    {"bashoutput", "write_stdin", "killbash", "taskoutput", "taskstop", "killshell"}
)

TEST_CMDS = frozenset(
    {
        "pytest",
        "py.test",
        "tox",
        "nox",
        "jest",
        "vitest",
        "mocha",
        "ava",
        "rspec",
        "phpunit",
        "ctest",
        "nextest",
        "unittest",
        "playwright",
        "cypress",
    }
)
TEST_SUBCMDS: Mapping[str, frozenset[str]] = {
    "cargo": frozenset({"test", "nextest", "check", "clippy"}),
    "go": frozenset({"test", "vet"}),
    "npm": frozenset({"test", "t"}),
    "pnpm": frozenset({"test", "t"}),
    "yarn": frozenset({"test"}),
    "bun": frozenset({"test"}),
    "deno": frozenset({"test"}),
    "make": frozenset({"test", "check", "tests"}),
    "dotnet": frozenset({"test"}),
    "mvn": frozenset({"test", "verify"}),
    "gradle": frozenset({"test", "check"}),
    "mix": frozenset({"test"}),
    "swift": frozenset({"test"}),
    "uv": frozenset({"pytest"}),
}
READ_CMDS = frozenset(
    {
        "cat",
        "head",
        "tail",
        "less",
        "more",
        "rg",
        "grep",
        "egrep",
        "fgrep",
        "ag",
        "find",
        "fd",
        "ls",
        "tree",
        "wc",
        "nl",
        "awk",
        "jq",
        "yq",
        "stat",
        "file",
        "du",
        "df",
        "diff",
        "pwd",
        "which",
        "whereis",
        "type",
        "sort",
        "uniq",
        "cut",
        "echo",
        "printf",
        "bat",
        "readlink",
        "realpath",
        "basename",
        "dirname",
        "env",
        "printenv",
        "ps",
        "date",
        "id",
        "whoami",
        "uname",
        "hexdump",
        "xxd",
        "od",
        "strings",
        "cmp",
        "sha256sum",
        "md5sum",
        "column",
        "get-content",
        "select-string",
        "get-childitem",
        "dir",
    }
)
WRITE_CMDS = frozenset(
    {
        "rm",
        "mv",
        "cp",
        "mkdir",
        "touch",
        "tee",
        "chmod",
        "chown",
        "ln",
        "patch",
        "truncate",
        "rmdir",
        "install",
        "unzip",
        "tar",
        "dd",
        "set-content",
        "new-item",
        "remove-item",
        "out-file",
        "apply_patch",
    }
)
NET_CMDS = frozenset(
    {
        "curl",
        "wget",
        "ssh",
        "scp",
        "rsync",
        "http",
        "https",
        "gh",
        "nc",
        "ping",
        "dig",
        "nslookup",
        "telnet",
        "ftp",
        "sftp",
        "invoke-webrequest",
    }
)
INSTALL_SUBCMDS: Mapping[str, frozenset[str]] = {
    "pip": frozenset({"install", "download"}),
    "pip3": frozenset({"install", "download"}),
    "npm": frozenset({"install", "i", "ci", "add", "publish"}),
    "pnpm": frozenset({"install", "i", "add"}),
    "yarn": frozenset({"install", "add"}),
    "bun": frozenset({"install", "add"}),
    "cargo": frozenset({"install", "fetch", "update", "publish"}),
    "go": frozenset({"get", "install"}),
    "apt": frozenset({"install", "update"}),
    "apt-get": frozenset({"install", "update"}),
    "brew": frozenset({"install", "update", "upgrade"}),
    "uv": frozenset({"add", "sync", "pip"}),
    "poetry": frozenset({"add", "install", "update"}),
    "docker": frozenset({"pull", "push"}),
}
GIT_NET = frozenset({"push", "pull", "fetch", "clone", "ls-remote", "remote"})
GIT_REPO = frozenset(
    {
        "commit",
        "add",
        "checkout",
        "switch",
        "merge",
        "rebase",
        "reset",
        "stash",
        "tag",
        "branch",
        "cherry-pick",
        "restore",
        "rm",
        "mv",
        "init",
        "revert",
        "am",
        "apply",
        "worktree",
        "clean",
    }
)
PYTHON = frozenset({"python", "python3", "py", "uv", "poetry", "pipenv"})
KNOWN_HOSTS = ("github.com", "crates.io", "huggingface.co", "openai.com", "anthropic.com")
URL_RE = re.compile(r"https?://([A-Za-z0-9.-]+)(?::\d+)?", re.IGNORECASE)
PATCH_FILE_RE = re.compile(r"^\*\*\* (?:Add|Update|Delete) File: (.+)$", re.MULTILINE)
PATCH_MOVE_RE = re.compile(r"^\*\*\* Move to: (.+)$", re.MULTILINE)
PATH_EXTS = frozenset(
    {
        "rs",
        "py",
        "md",
        "json",
        "jsonl",
        "ts",
        "tsx",
        "js",
        "jsx",
        "toml",
        "lock",
        "c",
        "h",
        "cc",
        "cpp",
        "hpp",
        "go",
        "svg",
        "html",
        "css",
        "yaml",
        "yml",
        "txt",
        "sh",
        "java",
        "kt",
        "rb",
        "php",
        "swift",
        "sql",
        "ini",
        "cfg",
        "vue",
        "svelte",
        "scss",
        "ipynb",
        "csv",
        "xml",
        "gradle",
        "mjs",
        "cjs",
    }
)
_ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_FRAME_BAD = re.compile(r"[\s;]+")
_REDIRECT_RE = re.compile(r"(?<![0-9&<>])>{1,2}\s*(?!&)(?!/dev/null)[^\s|&;]")


@functools.lru_cache(maxsize=65536)
def safe_frame(text: str) -> str:
    """A frame value: no `;`, whitespace or newlines; never empty."""
    cleaned = _FRAME_BAD.sub("_", text.strip()).strip("_")
    return cleaned[:120] or "unknown"


@functools.lru_cache(maxsize=4096)
def tool_category(name: str) -> str:
    """`call:tool/<category>` for a tool name (case-insensitive)."""
    low = name.lower()
    if low in SHELL_TOOLS or low.endswith("exec_command"):
        return "shell"
    if low in POLL_TOOLS:
        return "shell"
    if low in EDIT_TOOLS:
        return "edit"
    if low in READ_TOOLS:
        return "read"
    if low in NET_TOOLS or "web" in low or "browser" in low or "fetch" in low:
        return "network"
    if low in PLAN_TOOLS or "plan" in low or "todo" in low:
        return "plan"
    if low in AGENT_TOOLS:
        return "subagent"
    if low.startswith("mcp__") or low.startswith("mcp."):
        return "mcp"
    if low == "skill" or low == "toolsearch":
        return "meta"
    return "tool"


_TOKEN_RE = re.compile(
    r"""
    (?P<op>&&|\|\||;;|\|&|[;&|\n])
  | (?P<word>(?:[^\s;&|'"\\]+|'[^']*'|"(?:\\.|[^"\\])*"|\\.)+)
  | (?P<ws>[ \t\r]+)
  | (?P<junk>.)
""",
    re.VERBOSE | re.DOTALL,
)
_UNQUOTE_RE = re.compile(r"""'([^']*)'|"((?:\\.|[^"\\])*)"|\\(.)""", re.DOTALL)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
MAX_COMMAND_CHARS = 4000


def _unquote_part(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1)
    if m.group(2) is not None:
        return _ESCAPE_RE.sub(r"\1", m.group(2))
    return m.group(3)


def _unquote(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    return _UNQUOTE_RE.sub(_unquote_part, word)


@functools.lru_cache(maxsize=4096)
def _segments(command: str) -> tuple[tuple[str, ...], ...]:
    """Simple commands of a shell line, split at ``&& || ; | &`` and newlines, unquoted.

    A regex tokenizer (not shlex: 20x faster on long scripts); unclosed quotes degrade to
    plain characters instead of failing.
    """
    text = command[:MAX_COMMAND_CHARS].replace("\r\n", "\n")
    segs: list[tuple[str, ...]] = []
    cur: list[str] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if kind == "op":
            if cur:
                segs.append(tuple(cur))
                cur = []
        elif kind == "word":
            cur.append(_unquote(m.group()))
        elif kind == "junk" and m.group() not in "'\"":
            cur.append(m.group())
    if cur:
        segs.append(tuple(cur))
    return tuple(segs)


def _basename(tok: str) -> str:
    base = tok.replace("\\", "/").rsplit("/", 1)[-1]
    if base.lower().endswith(".exe"):
        base = base[:-4]
    return base


def _strip_wrappers(seg: Sequence[str]) -> list[str]:
    i = 0
    while i < len(seg):
        tok = seg[i]
        if _ASSIGN_RE.match(tok):
            i += 1
            continue
        base = _basename(tok)
        if base in WRAPPERS:
            i += 1
            # wrapper options and their values (timeout 10, nice -n 5, env -u X, sudo -u root)
            while i < len(seg) and (
                seg[i].startswith("-")
                or _ASSIGN_RE.match(seg[i])
                or (base == "timeout" and seg[i][:1].isdigit())
            ):
                takes_value = seg[i] in {"-n", "-u", "-g", "-s", "-k", "--signal", "-C"}
                i += 2 if takes_value else 1
            continue
        break
    return list(seg[i:])


def _principal(command: str, depth: int = 0) -> tuple[list[str], list[str]]:
    """(process chain, argv of the innermost principal command)."""
    for seg in _segments(command):
        argv = _strip_wrappers(seg)
        if not argv:
            continue
        base = _basename(argv[0])
        if base in PRELUDE:
            continue
        if base.lower() in SHELLS and depth < 4:
            for j, tok in enumerate(argv[1:], start=1):
                if (
                    tok.startswith("-")
                    and "c" in tok.lstrip("-")
                    and len(tok) <= 4
                    and j + 1 < len(argv)
                ):
                    inner_chain, inner_argv = _principal(argv[j + 1], depth + 1)
                    return [base.lower(), *inner_chain][:6], inner_argv
                if tok.lower() in {"-command", "/c"} and j + 1 < len(argv):
                    inner_chain, inner_argv = _principal(" ".join(argv[j + 1 :]), depth + 1)
                    return [base.lower(), *inner_chain][:6], inner_argv
            return [base.lower()], argv
        return [base.lower()], argv
    return [], []


def process_chain(command: str | list[str]) -> list[str]:
    """`cd x && cargo test` -> [cargo]; `bash -lc 'cd x && cargo test'` -> [bash, cargo]."""
    text = command if isinstance(command, str) else shlex.join(command)
    chain, _ = _principal(text)
    return [safe_frame(p) for p in chain]


def _words(argv: Iterable[str]) -> list[str]:
    return [a.lower() for a in argv if not a.startswith("-")]


def command_effect(command: str | list[str]) -> str:
    """Effect of a shell command, judged on its principal command and any redirection."""
    text = command if isinstance(command, str) else shlex.join(command)
    _, argv = _principal(text)
    if not argv:
        return "process"
    cmd = _basename(argv[0]).lower()
    args = _words(argv[1:])
    sub = args[0] if args else ""
    if cmd in TEST_CMDS:
        return "test"
    if cmd in PYTHON and (
        "pytest" in args[:3]
        or "unittest" in args[:3]
        or ("-m" in argv[1:3] and sub in {"pytest", "unittest"})
    ):
        return "test"
    subs = TEST_SUBCMDS.get(cmd)
    if subs and (
        sub in subs
        or (
            cmd in {"npm", "pnpm", "yarn", "bun"}
            and sub == "run"
            and len(args) > 1
            and args[1].startswith("test")
        )
    ):
        return "test"
    if cmd == "git":
        if sub in GIT_NET:
            return "network"
        if sub in GIT_REPO:
            return "repo"
        return "read"
    inst = INSTALL_SUBCMDS.get(cmd)
    if cmd in NET_CMDS or (inst and sub in inst):
        return "network"
    if cmd == "sed" and any(a.startswith("-i") or a == "--in-place" for a in argv[1:]):
        return "write"
    if cmd in WRITE_CMDS:
        return "write"
    if _REDIRECT_RE.search(" ".join(argv)):
        return "write"
    if cmd in READ_CMDS or cmd == "sed":
        return "read"
    if URL_RE.search(text):
        return "network"
    return "process"


def domains_in(text: str) -> list[str]:
    hosts = {m.group(1).lower().rstrip(".") for m in URL_RE.finditer(text)}
    low = text.lower()
    for host in KNOWN_HOSTS:
        if host in low and not any(h.endswith(host) for h in hosts):
            hosts.add(host)
    return sorted(h for h in hosts if h)[:8]


def patch_paths(patch: str) -> list[str]:
    return [m.strip() for m in PATCH_FILE_RE.findall(patch) + PATCH_MOVE_RE.findall(patch)]


def _plausible_path(tok: str) -> bool:
    if not tok or (tok.startswith(("-", "$", "~")) and not tok.startswith("~/")):
        return False
    if len(tok) > 200 or "://" in tok or any(c in tok for c in "{}()=;<>|`*?\"'\n"):
        return False
    if tok.startswith("~/"):
        return True
    if "/" in tok or "\\" in tok:
        return bool(re.search(r"[A-Za-z0-9_]", tok))
    ext = tok.rsplit(".", 1)[-1].lower() if "." in tok[1:] else ""
    return ext in PATH_EXTS


def command_paths(command: str | list[str]) -> list[str]:
    text = command if isinstance(command, str) else shlex.join(command)
    out: list[str] = []
    for seg in _segments(text):
        argv = _strip_wrappers(seg)
        if not argv:
            continue
        base = _basename(argv[0]).lower()
        if base in SHELLS:
            continue  # the inner script is analysed by its own segments below
        for tok in argv[1:]:
            if _plausible_path(tok):
                out.append(tok)
    # inner shell scripts (bash -lc '...')
    chain, inner = _principal(text)
    if len(chain) > 1 and inner:
        for tok in inner[1:]:
            if _plausible_path(tok) and tok not in out:
                out.append(tok)
    return out


def _is_windows(path: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:[\\/]", path)) or path.startswith("\\\\")


@functools.lru_cache(maxsize=65536)
def _parts(path: str) -> tuple[bool, tuple[str, ...]]:
    if _is_windows(path):
        p = PureWindowsPath(path)
        return True, tuple(x.lower() if i == 0 else x for i, x in enumerate(p.parts))
    absolute = path.startswith("/")
    parts = tuple(x for x in path.split("/") if x and x != ".")
    return absolute, (("/", *parts) if absolute else parts)


def is_within(path: str, root: str) -> bool:
    pabs, parts = _parts(path)
    rabs, rparts = _parts(root)
    if not (pabs and rabs):
        return False
    if _is_windows(root):
        parts = tuple(p.lower() for p in parts)
        rparts = tuple(p.lower() for p in rparts)
    return parts[: len(rparts)] == rparts


@functools.lru_cache(maxsize=4096)
def effective_root(project_root: str | None, cwd: str | None) -> str | None:
    """The root paths are grouped against: the project root when the session ran inside it,
    otherwise the session's own launch directory (a session from another project)."""
    if project_root and cwd and is_within(cwd, project_root):
        return project_root
    return cwd or project_root


@functools.lru_cache(maxsize=65536)
def path_group(path: str, root: str | None, cwd: str | None = None) -> str:
    """Group a path relative to the project root (first two components).

    Paths outside the root become ``external``; never a user name.
    """
    path = path.strip().strip("'\"")
    if not path:
        return "none"
    if path.startswith("~"):
        return "external"
    absolute, parts = _parts(path)
    if not absolute and cwd and root:
        cabs, cparts = _parts(cwd)
        if cabs:
            absolute, parts = True, (*cparts, *parts)
    if absolute:
        if not root:
            return "external"
        _, rparts = _parts(root)
        norm = tuple(p.lower() for p in parts) if _is_windows(path) else parts
        rnorm = tuple(p.lower() for p in rparts) if _is_windows(root) else rparts
        if norm[: len(rnorm)] != rnorm:
            return "external"
        parts = parts[len(rparts) :]
    clean: list[str] = []
    for part in parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not clean:
                return "external"
            clean.pop()
            continue
        clean.append(part if len(part) <= 48 else part[:45] + "...")
    if not clean:
        return "repo"
    return safe_frame("/".join(clean[:2]))


def tool_input_paths(name: str, inp: Mapping[str, Any]) -> list[str]:
    paths: list[str] = []
    for key in ("file_path", "notebook_path", "path", "filePath", "filename"):
        val = inp.get(key)
        if isinstance(val, str) and val:
            paths.append(val)
    return paths


def path_groups(paths: Iterable[str], root: str | None, cwd: str | None) -> list[str]:
    groups = {path_group(p, root, cwd) for p in paths}
    groups.discard("none")
    return sorted(groups)[:8]


def effect_for_tool(category: str, name: str, command: str) -> str:
    if category == "shell":
        return command_effect(command) if command else "process"
    if category == "edit":
        return "write"
    if category == "read":
        return "read"
    if category == "network":
        return "network"
    if category == "plan":
        return "plan"
    if category == "subagent":
        return "agent"
    return "process"


def tool_hint(name: str, target: str) -> str:
    """``Bash(git status)``: a tool and what it acted on (memory only, for tagging)."""
    target = " ".join(target.split())[:80]
    return f"{name}({target})" if target else name


# what a non-shell tool acted on (memory only: tool hints for tagging, effects), per agent
COMMAND_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "claude": {"network": ("url", "query"), "": ("pattern", "prompt", "description", "subject")},
    "codex": {"": ("query", "url", "pattern", "path", "file_path")},
}


def _shell_text(args: Mapping[str, Any]) -> str:
    cmd = args.get("command", args.get("cmd"))
    if isinstance(cmd, list):
        return shlex.join(str(c) for c in cmd)
    return cmd if isinstance(cmd, str) else ""


def _patch_text(name: str, args: Mapping[str, Any]) -> str | None:
    if name == "apply_patch":
        return str(args.get("input", "") or args.get("patch", ""))
    text = args.get("input")
    return text if isinstance(text, str) and "*** Begin Patch" in text else None


def classify_tool(
    name: str, args: Mapping[str, Any], root: str | None, cwd: str | None, agent: str = "claude"
) -> ToolFacts:
    """One tool call of either agent: its category, the command it ran (or what it acted on),
    its process chain, effect, path groups and domains."""
    category = tool_category(name)
    patch = _patch_text(name, args) if agent == "codex" else None
    if patch is not None:
        paths = patch_paths(patch)
        return ToolFacts("edit", "", [], "write", path_groups(paths, root, cwd), [], paths)
    if category == "shell":
        command = _shell_text(args)
        if not command:
            return ToolFacts(
                category,
                "",
                [],
                "process",
                path_groups(tool_input_paths(name, args), root, cwd),
                [],
                [],
            )
        if "apply_patch" in command and "*** Begin Patch" in command:
            paths = patch_paths(command)
            return ToolFacts(
                category,
                command[:4000],
                ["apply_patch"],
                "write",
                path_groups(paths, root, cwd),
                [],
                paths,
            )
        paths = tool_input_paths(name, args) + command_paths(command)
        return ToolFacts(
            category,
            command[:4000],
            process_chain(command),
            command_effect(command),
            path_groups(paths, root, cwd),
            domains_in(command),
            paths,
        )
    keys = COMMAND_KEYS[agent]
    command = next(
        (v for k in keys.get(category, keys[""]) if isinstance(v := args.get(k), str)), ""
    )
    domains = domains_in(command) if category == "network" else []
    paths = tool_input_paths(name, args)
    return ToolFacts(
        category,
        command[:4000],
        [],
        effect_for_tool(category, name, command),
        path_groups(paths, root, cwd),
        domains,
        paths,
    )
