"""What the tagging model reads: the vocabulary, the fixed demonstration prefix and the
fragments (a prompt with what the agent then did, a session, an LLM call).

The prefix is the same for every request, so llama-server computes it once and keeps it in
its KV cache; a request then costs only the fragment's own tokens. The demonstrations below
are written for this file (generic coding-agent work in five languages, one or two per kind
of work, kinds spread evenly so no label sits last); none is taken from the evaluation sets.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from agentpprof.sources import classify
from agentpprof.sources.records import LlmCall, Prompt, Session, ToolCall
from agentpprof.tagging.catalog import PromptStyle, style_of
from agentpprof.tagging.tags import FragmentKind

# The kinds of work a tag may be (``--vocabulary kinds``). Every word is one token of the
# default model's vocabulary with a leading space, so the model's next-token distribution
# ranks all of them in one request.
# part of every cache key: a new prompt or vocabulary never reuses another's tags
PROMPT_VERSION = "calibrated-v11"

# "kinds" (default): the tag is the kind of work (WORK_KINDS) the model finds likeliest for
# the fragment, its next-token log-probabilities calibrated against a content-free input; one
# request per tag. "open": any 3-12 letter word generated under a grammar, with a second look
# at answers that only copy a noun from the fragment.
Vocabulary = Literal["kinds", "open"]

WORK_KINDS: tuple[str, ...] = (
    "testing",
    "debugging",
    "docs",
    "refactor",
    "git",
    "pipeline",
    "deploy",
    "research",
    "frontend",
    "performance",
    "security",
    "database",
    "config",
    "planning",
    "review",
    "build",
    "setup",
    "feature",
    "dependencies",
    "logging",
    "data",
    "editing",
    "reading",
    "summary",
)

# Other words the model may use for a kind of work. The probability it gives each of them
# (calibrated like the kind's own word) counts toward that kind: a small model's belief that a
# request is about documentation is spread over " docs", " documentation", " readme", …, and
# one word alone under-counts it (a verbalizer ensemble). The tag is still the kind's own
# word. Plain English synonyms, no word under two kinds; a synonym the model's tokenizer
# splits into several tokens is not used.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "testing": ("test", "tests", "regression", "coverage", "qa"),
    "debugging": ("troubleshooting", "fixing", "bug", "fix", "error"),
    "docs": ("documentation", "doc", "document", "readme"),
    "refactor": ("cleanup", "restructuring"),
    "git": ("commit", "branch", "repo"),
    "pipeline": ("ci", "workflow", "workflows"),
    "deploy": ("deployment", "release", "hosting"),
    "research": (
        "study",
        "learning",
        "researching",
        "exploration",
        "investigation",
        "question",
        "analysis",
    ),
    "frontend": ("ui", "ux", "styling", "layout"),
    "performance": ("profiling", "optimization", "speed"),
    "security": ("auth", "authentication", "vulnerability"),
    "database": ("sql", "schema", "migration"),
    "config": ("configuration", "settings", "setting"),
    "planning": (
        "plan",
        "strategy",
        "roadmap",
        "architecture",
        "scheduling",
        "backlog",
        "brainstorming",
        "spec",
    ),
    "review": ("reviewing", "reviews", "evaluation", "feedback", "audit"),
    "build": ("building", "compile", "compilation"),
    "setup": ("install", "installation", "init", "bootstrap"),
    "feature": ("features", "development", "implementation", "coding", "enhancement"),
    "dependencies": ("dependency", "package", "packages", "upgrade"),
    "logging": ("logs", "log", "monitoring"),
    "data": ("processing", "analytics", "preprocessing", "dataset"),
    "editing": ("edit", "edits", "patch", "patching", "modification"),
    "reading": ("read", "browsing", "inspection"),
    "summary": ("recap", "report", "progress"),
}

HEADERS = {"prompt": "Request", "session": "Session", "llm": "Agent step"}

DEMOS: tuple[tuple[str, str, str], ...] = (
    ("prompt", "Add unit tests for the date parser and run pytest", "testing"),
    ("llm", "Let me read the config loader first. | tools: reads config.py, reads Grep", "reading"),
    (
        "prompt",
        "The app crashes with TypeError when I click save. Traceback (most recent call "
        "last): File app.py, line 12",
        "debugging",
    ),
    (
        "prompt",
        "Ajoute une page de réglages avec un thème sombre et des boutons arrondis",
        "frontend",
    ),
    ("prompt", "Commit these changes and push the branch", "git"),
    ("prompt", "Update the README with install steps and a usage example", "docs"),
    ("prompt", "Let's brainstorm the architecture and write a plan with milestones", "planning"),
    (
        "llm",
        "I'll change the handler to validate the payload. | tools: edits handlers.py",
        "editing",
    ),
    (
        "prompt",
        "yes please | reply: Implemented the new settings dialog and wired it to the "
        "config file. Next I can add the import button.",
        "feature",
    ),
    (
        "prompt",
        "Die GitHub Actions Pipeline schlägt beim Lint-Schritt fehl, bitte reparieren",
        "pipeline",
    ),
    (
        "prompt",
        "Updating a record is very slow because it reloads all the data; make it faster",
        "performance",
    ),
    ("prompt", "Split utils.py into smaller modules and remove the duplicated helpers", "refactor"),
    ("llm", "tools: runs tests pytest", "testing"),
    (
        "prompt",
        "What is the difference between these two libraries? Which one should I use?",
        "research",
    ),
    ("prompt", "Deploy the new version to production on Vercel", "deploy"),
    (
        "prompt",
        "oui | reply: Parfait, on passe à l'étape suivante de l'atelier : les personas "
        "et les parcours utilisateur.",
        "planning",
    ),
    ("prompt", "It still doesn't work, nothing shows up on the page", "debugging"),
    ("prompt", "Add support for exporting the report to CSV", "feature"),
    ("llm", "tools: git add, git commit, git push", "git"),
    (
        "prompt",
        "Store the API key encrypted and check the upload handler for path traversal",
        "security",
    ),
    ("prompt", "Set the default port and log level in config.yaml", "config"),
    ("prompt", "Make sure the whole project compiles with no errors and no warnings", "build"),
    ("prompt", "Install the dependencies and create the virtual environment", "setup"),
    ("llm", "Done. The export works and the tests pass: added exporter.py and 5 tests.", "summary"),
    ("prompt", "请帮我修复启动时报错的问题", "debugging"),
    ("prompt", "Add an index on orders.user_id and a migration for the new column", "database"),
    ("prompt", "Review this diff and point out problems before I merge", "review"),
    ("prompt", "Add structured logging to the worker and write the logs to a file", "logging"),
    ("prompt", "Bump the library versions and fix the lockfile conflicts", "dependencies"),
    ("prompt", "I need fake demo data for the positions table that changes every minute", "data"),
    ("prompt", "Write the spec for this feature: user stories, requirements and tasks", "planning"),
    ("prompt", "Document the new flags in the user guide and the changelog", "docs"),
    ("llm", "tools: reads main.py, reads rg", "reading"),
    (
        "prompt",
        "Make the table on the dashboard show the price change and fit on small screens",
        "frontend",
    ),
    ("prompt", "Create a pull request for this work, then a new branch from main", "git"),
    (
        "prompt",
        "Write integration tests for the payment API and make sure they all pass",
        "testing",
    ),
    ("prompt", "How do I use this tool with my existing files? Explain step by step", "research"),
    ("llm", "tools: edits app.py", "editing"),
    (
        "prompt",
        "Error: Cannot read properties of undefined (reading 'map') at List.render",
        "debugging",
    ),
    ("prompt", "Add a CI matrix for Python 3.10 to 3.13 and fix the failing workflow", "pipeline"),
    ("prompt", "Clean up the code: remove unused imports and dead functions", "refactor"),
    ("prompt", "Publish the docs site to GitHub Pages and release version 2.0", "deploy"),
    (
        "prompt",
        "The package manager cannot resolve the versions of torch and its plugins",
        "dependencies",
    ),
    (
        "prompt",
        "2 | reply: Great choice — next we define the user journeys and the wireframes.",
        "planning",
    ),
    ("llm", "tools: runs cargo build", "build"),
    ("prompt", "Add an environment variable to switch the new engine on at start", "config"),
    ("prompt", "The container should not get more permissions than it needs", "security"),
    (
        "prompt",
        "continue | reply: Next I'll add the remaining generators for the other "
        "formats and wire them into the menu.",
        "feature",
    ),
    ("prompt", "What are the biggest weaknesses of this project?", "review"),
    ("prompt", "What command shows the logs of the running server?", "logging"),
    ("llm", "tools: plans TodoWrite", "planning"),
    ("prompt", "Parse the CSV export and aggregate the numbers per month", "data"),
    ("prompt", "Which database should I use for this app, Postgres or SQLite?", "database"),
    ("prompt", "Initialise the project structure: folders, readme stubs and the config", "setup"),
    (
        "llm",
        "Let me check why the server does not answer. | tools: fetches curl, runs ps",
        "debugging",
    ),
    ("prompt", "Mets à jour la documentation de l'API avec les nouveaux paramètres", "docs"),
    ("prompt", "Profile the startup and cut the memory use in half", "performance"),
    ("llm", "tools: fetches WebSearch, fetches WebFetch", "research"),
    ("session", "The CI badge is red | fix the workflow | push and check the run", "pipeline"),
    ("llm", "Voici la synthèse des idées validées et la suite de l'atelier.", "summary"),
    (
        "prompt",
        "yes to all | reply: Added the importer for the second format, with tests, and committed.",
        "feature",
    ),
    ("prompt", "Write a short guide that explains how to run the app and the tests", "docs"),
    (
        "prompt",
        "Can we add a dark mode toggle to the toolbar and keep the icons aligned?",
        "frontend",
    ),
    ("prompt", "ok | reply: The changelog and the notes are updated with today's changes.", "docs"),
    ("prompt", "The login test fails on CI but passes locally", "testing"),
    (
        "prompt",
        "c | reply: On continue l'atelier : définissons maintenant les écrans clés et "
        "les composants de l'interface.",
        "planning",
    ),
    ("prompt", "Implement the websocket client so the prices update in real time", "feature"),
    ("prompt", "Move the buttons into a new menu and add tooltips to every field", "frontend"),
    ("prompt", "Why do we need this call at all? Explain how the queue works", "research"),
    ("prompt", "1 | reply: I'll run the linters and the type checker now.", "testing"),
    ("prompt", "pixi install fails: failed to resolve the requirements", "dependencies"),
    ("prompt", "Turn off branch protection and make main the default branch", "git"),
    ("prompt", "The deploy on the server returns an HTTP error for the webhook URL", "debugging"),
    ("prompt", "Run the tests, the linter and the type check to make sure all is green", "testing"),
    ("prompt", "Можешь добавить страницу настроек в интерфейс?", "frontend"),
    ("prompt", "cargo build fails with a linker error in the release profile", "build"),
    ("prompt", "Fix the compiler warnings so the build is clean", "build"),
    ("prompt", "Erstelle einen sauberen Release-Build der Desktop-App", "build"),
    ("prompt", "The page takes 8 seconds to load, find the slow query", "performance"),
    ("prompt", "Rename the modules and move the helpers into a shared package", "refactor"),
    ("prompt", "Roll out the new image to the staging cluster and check it is healthy", "deploy"),
    ("prompt", "Only allow signed requests and rotate the leaked token", "security"),
    (
        "prompt",
        "Read the port and the API URL from environment variables instead of hardcoding them",
        "config",
    ),
    ("prompt", "Create the folders and the starter files for the new project", "setup"),
    ("prompt", "Write a SQL query that sums the sales per region", "database"),
    ("prompt", "Is this design sound? Check the code for problems and risks", "review"),
    ("prompt", "Save the console output to a log file that you can read", "logging"),
    ("prompt", "Import the JSON files and clean the records with missing prices", "data"),
    ("prompt", "Push to the remote repo and open a pull request", "git"),
    ("prompt", "The nightly workflow on GitHub Actions is red again", "pipeline"),
    ("prompt", "Look up how other projects solve this and summarise the options", "research"),
    (
        "prompt",
        "Upgrade React to the latest major version and fix the peer dependencies",
        "dependencies",
    ),
    ("prompt", "Füge eine neue Funktion für Benachrichtigungen per E-Mail hinzu", "feature"),
    ("prompt", "请把这个命令的性能优化一下，现在太慢了", "performance"),
    (
        "session",
        "Brainstorm the product brief | interview about the daily workflow | write the brief",
        "planning",
    ),
)


def _ordered(demos: tuple[tuple[str, str, str], ...]) -> list[tuple[str, str, str]]:
    """Kinds of work interleaved (a small model copies the labels it saw last), and the
    call-level demonstrations (reading, editing, summary: words a prompt is not given) last,
    so that the recency pull lands on words a prompt cannot take."""

    def round_robin(items: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        by: dict[str, list[tuple[str, str, str]]] = {}
        for d in items:
            by.setdefault(d[2], []).append(d)
        out: list[tuple[str, str, str]] = []
        while any(by.values()):
            for word in sorted(by):
                if by[word]:
                    out.append(by[word].pop(0))
        return out

    return round_robin([d for d in demos if d[0] != "llm"]) + round_robin(
        [d for d in demos if d[0] == "llm"]
    )


PREFIX = (
    "Each item of coding-agent work is labelled with one word for the kind of work: "
    + ", ".join(WORK_KINDS)
    + ".\n\n"
    + "".join(f"{HEADERS[kind]}: {text}\nWork: {word}\n\n" for kind, text, word in _ordered(DEMOS))
)

# Words that name what one LLM call does rather than what a person asked for: a prompt or a
# session is not tagged with them.
CALL_ONLY = frozenset({"reading", "editing", "summary"})


def vocabulary_for(kind: FragmentKind) -> tuple[str, ...]:
    return WORK_KINDS if kind == "llm" else tuple(w for w in WORK_KINDS if w not in CALL_ONLY)


# Content-free inputs: the model's answer to these is its prior for each word, which is
# subtracted from every answer (contextual calibration), so a word the model says for
# anything stops winning by default.
NULL_FRAGMENTS: tuple[str, ...] = ("N/A", "[empty]", "…")

MAX_FRAGMENT_CHARS = 480


def render(kind: FragmentKind, fragment: str) -> str:
    """The whole completion prompt for one fragment: the cached prefix, then the fragment."""
    return COMPLETION.render(kind, fragment)


@dataclass(frozen=True, slots=True)
class Template:
    """How a request is phrased for one model: a fixed head (the server keeps it in its KV
    cache), the fragment under its header, and a fixed tail after which the model's next token
    is the kind of work. ``lead`` is what comes before that word (a space in a plain document,
    nothing at the start of a chat answer)."""

    style: PromptStyle
    version: str
    head: str
    tail: str
    lead: str

    def render(self, kind: FragmentKind, fragment: str) -> str:
        return f"{self.head}{HEADERS.get(kind, 'Request')}: {fragment}{self.tail}"


COMPLETION = Template("completion", PROMPT_VERSION, PREFIX, "\nWork:", " ")

# --- the chat tagger (instruct models): the same kinds, demonstrations as chat turns --------

CHAT_VERSION = "chat-v1"

DEFINITIONS: dict[str, str] = {
    "testing": "writing, running or fixing tests",
    "debugging": "finding and fixing a bug, an error or a crash",
    "docs": "documentation, README, guides, comments, changelog",
    "refactor": "restructuring or cleaning up code without changing what it does",
    "git": "commits, branches, merges, pushes, pull requests, undoing changes",
    "pipeline": "CI workflows and automation (GitHub Actions …)",
    "deploy": "releasing, publishing or deploying",
    "research": "questions, explanations, investigating or comparing options",
    "frontend": "user interface, pages, layout, styling",
    "performance": "speed, memory, profiling, optimisation",
    "security": "authentication, secrets, permissions, vulnerabilities",
    "database": "schemas, queries, migrations",
    "config": "settings, configuration files, environment variables",
    "planning": "plans, specs, brainstorming, requirements, design decisions",
    "review": "reviewing or assessing code or work",
    "build": "compiling, build errors, packaging",
    "setup": "installing, initialising or scaffolding a project or tool",
    "feature": "adding or changing what the software does",
    "dependencies": "packages, versions, upgrades, lockfiles",
    "logging": "logs and monitoring",
    "data": "processing, converting or generating data",
    "editing": "(agent step) changing files",
    "reading": "(agent step) reading files or searching the code",
    "summary": "(agent step) reporting what was done",
}


# Six more demonstrations for the chat tagger only (the completion prefix of calibrated-v11 is
# unchanged): requests phrased as questions or suggestions that are planning, not research,
# and a question that asks for a feature. Written for this file; chosen on the dev split.
_CHAT_DEMOS: tuple[tuple[str, str, str], ...] = (
    (
        "prompt",
        "Suggest a few ideas for how the onboarding could work, we are still exploring",
        "planning",
    ),
    ("prompt", "Qu'en penses-tu ? Propose-moi d'autres pistes pour la suite du projet", "planning"),
    (
        "prompt",
        "Do we have enough information to start? What is still missing from the requirements?",
        "planning",
    ),
    (
        "prompt",
        "Was hältst du von diesem Ansatz? Lass uns die Optionen für die Architektur abwägen",
        "planning",
    ),
    ("prompt", "Does the exporter support custom headers? If not, it should: add them", "feature"),
    ("prompt", "这个功能应该怎么设计？先列出需求和步骤", "planning"),
)


def chat_messages(placeholder: str) -> list[dict[str, str]]:
    """The chat turns of the fixed head: instructions, then every demonstration as a user
    turn and the kind as the answer, then the fragment's turn (``placeholder``)."""
    kinds = "\n".join(f"- {w}: {DEFINITIONS[w]}" for w in WORK_KINDS)
    system = (
        "You label items of a coding agent's work: a user's request to the agent, a whole "
        "session, or one step of the agent. Answer with exactly one word from this list, the "
        "kind of work the item is about, in lowercase English whatever the item's language:\n"
        + kinds
        + "\nA short reply such as 'yes' or '1' is about the work that follows it."
    )
    out = [{"role": "system", "content": system}]
    for kind, text, word in _ordered(DEMOS + _CHAT_DEMOS):
        out.append({"role": "user", "content": f"{HEADERS[kind]}: {text}"})
        out.append({"role": "assistant", "content": word})
    out.append({"role": "user", "content": placeholder})
    return out


CHAT_PLACEHOLDER = "\u2063FRAGMENT\u2063"


def chat_template(formatted: str) -> Template:
    """The chat Template from the model's own formatting of ``chat_messages(PLACEHOLDER)``
    (llama-server's ``/apply-template``): everything before the placeholder is the head."""
    head, sep, tail = formatted.partition(CHAT_PLACEHOLDER)
    if not sep:
        raise ValueError("the chat template dropped the fragment")
    return Template("chat", CHAT_VERSION, head, tail, "")


_CHAT_NAME = re.compile(r"(instruct|chat|[-_.]it[-_.]|[-_.]it$)", re.IGNORECASE)


def style_for(model: str) -> PromptStyle:
    """How to phrase requests for a model (its file name or identity): a known model's style,
    else "chat" for a model whose name says it was tuned to follow instructions."""
    known = style_of(model)
    if known is not None:
        return known
    return "chat" if _CHAT_NAME.search(model.split(":", 1)[0]) else "completion"


def version_for(model: str) -> str:
    """The prompt version part of a cache key: a new prompt never reuses another's tags."""
    return CHAT_VERSION if style_for(model) == "chat" else PROMPT_VERSION


_TAG_RE = re.compile(r"<[^>]{1,80}>")
_URL_RE = re.compile(r"https?://([^/\s]+)\S*")
_WS_RE = re.compile(r"\s+")
_PATH_RE = re.compile(r"(?:[\w.~-]*/)+([\w.-]+)")
_FENCE_RE = re.compile(r"```[a-zA-Z]*\n?(.*?)(```|$)", re.DOTALL)
_MD_RE = re.compile(r"(\*\*|__|^#+ |\n#+ )")


def _fence(match: re.Match[str]) -> str:
    body = match.group(1).strip()
    # a short fenced block is usually the user's own words (templates wrap input in one)
    return f" {body} " if len(body) <= 160 else " [code] "


def clean_fragment(text: str, limit: int = MAX_FRAGMENT_CHARS) -> str:
    """Make a fragment short and plain: no markup, URLs as hosts, paths as file names."""
    text = _FENCE_RE.sub(_fence, text)
    text = _TAG_RE.sub(" ", text)
    text = _MD_RE.sub(" ", text)
    text = _URL_RE.sub(r"\1", text)
    text = _PATH_RE.sub(r"\1", text)
    text = _WS_RE.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text or "(empty)"


def _git_verb(command: str) -> str:
    m = re.search(r"\bgit\s+(?:-C\s+\S+\s+)?([a-z-]+)", command)
    return m.group(1) if m else ""


def activity(tools: Iterable[ToolCall]) -> str:
    """What the agent did, in a few plain words: counts by effect and the programs it ran."""
    effects: Counter[str] = Counter()
    programs: Counter[str] = Counter()
    git: Counter[str] = Counter()
    for t in tools:
        effects[t.effect] += 1
        if t.effect == "repo":
            verb = _git_verb(t.command)
            if verb:
                git[verb] += 1
        elif t.process_chain:
            prog = t.process_chain[-1]
            if prog not in {
                "bash",
                "sh",
                "zsh",
                "sed",
                "cat",
                "ls",
                "rg",
                "grep",
                "nl",
                "head",
                "tail",
                "find",
                "echo",
                "apply_patch",
                "powershell.exe",
            }:
                programs[prog] += 1
    parts = []
    if effects["write"]:
        parts.append(f"edited {effects['write']} files")
    if effects["read"]:
        parts.append(f"read {effects['read']} files")
    if effects["test"]:
        parts.append("ran tests")
    if git:
        parts.append("git " + " ".join(v for v, _ in git.most_common(3)))
    if effects["network"]:
        parts.append("searched the web")
    if effects["plan"]:
        parts.append("updated a plan")
    if effects["agent"]:
        parts.append("started sub-agents")
    if programs:
        parts.append("ran " + " ".join(p for p, _ in programs.most_common(3)))
    return ", ".join(parts)


def _tools_by_prompt(s: Session) -> dict[int | None, list[ToolCall]]:
    out: dict[int | None, list[ToolCall]] = {}
    for t in s.tool_calls:
        out.setdefault(t.prompt_index, []).append(t)
    return out


def _first_replies(s: Session) -> dict[int, str]:
    """Each prompt's first LLM call with visible text, in one pass over the calls."""
    out: dict[int, str] = {}
    for c in s.llm_calls:
        if c.prompt_index is not None and c.prompt_index not in out and c.text.strip():
            out[c.prompt_index] = c.text
    return out


SHORT_PROMPT = 40  # characters: below this a prompt says little by itself ("yes", "1", "ok")


def prompt_fragment(
    s: Session,
    p: Prompt,
    tools: list[ToolCall] | None = None,
    replies: dict[int, str] | None = None,
) -> str:
    """The prompt's own words. A prompt too short to say what it is about ("yes please",
    "1", "continue", "ok 開始") gets the start of the agent's reply to it, or, when the agent
    answered only with tools, what those tools did: the tag then follows the work done.
    (Measured on the dev split: the same context on longer prompts lowers the hit rate.)"""
    text = clean_fragment(p.text, 340)
    if len(p.text.strip()) >= SHORT_PROMPT:
        return text
    reply = (replies if replies is not None else _first_replies(s)).get(p.index, "")
    if reply:
        return clean_fragment(text + " | reply: " + clean_fragment(reply, 140))
    done = activity(
        tools if tools is not None else [t for t in s.tool_calls if t.prompt_index == p.index]
    )
    return clean_fragment(text + (" | then the agent: " + done if done else ""))


def session_fragment(s: Session) -> str:
    """The title and the longest prompts (the short ones are answers)."""
    texts = [p.text for p in s.prompts]
    longest = sorted(range(len(texts)), key=lambda i: -len(texts[i].strip()))[:3]
    parts = [s.title] if s.title else []
    parts += [clean_fragment(texts[i], 120) for i in sorted(longest)]
    return clean_fragment(" | ".join(x for x in parts if x) or "(empty)")


_EFFECT_WORDS = {
    "read": "reads",
    "write": "edits",
    "test": "runs tests",
    "repo": "git",
    "network": "fetches",
    "process": "runs",
    "plan": "plans",
    "agent": "delegates",
}


def describe_tool(hint: str) -> str:
    """``shell(bash -lc 'pytest -q')`` -> ``runs tests pytest``: what a tool call did, in the
    words of the classifier the system stacks use (effect, then the program or tool)."""
    name, _, rest = hint.partition("(")
    target = rest[:-1] if rest.endswith(")") else rest
    category = classify.tool_category(name)
    effect = classify.effect_for_tool(category, name, target)
    if category == "shell" and target:
        chain = [p for p in classify.process_chain(target) if p not in _SHELLS]
        what = chain[-1] if chain else name
        if effect == "repo" or (what == "git"):
            verb = _git_verb(target)
            return f"git {verb}".strip()
        if what == "apply_patch":
            effect = "write"
    else:
        what = name.split("__")[-1]
    if effect in {"read", "write"}:
        what = _file_of(target) or what
    return f"{_EFFECT_WORDS.get(effect, 'runs')} {what}"


_FILE_RE = re.compile(r"(?:File: |\s|^)([\w./~-]*\.[A-Za-z0-9]{1,6})\b")


def _file_of(target: str) -> str:
    """The first file name in a tool's target (``Update File: docs/a.md`` -> ``a.md``)."""
    m = _FILE_RE.search(target)
    return m.group(1).rstrip("/").rsplit("/", 1)[-1] if m else ""


_SHELLS = frozenset({"bash", "sh", "zsh", "powershell.exe", "pwsh", "cmd"})


def llm_fragment(c: LlmCall) -> str:
    hints = list(dict.fromkeys(c.tool_hints or c.tool_names))
    body = clean_fragment(c.text, 300) if c.text.strip() else ""
    if hints:
        done = list(dict.fromkeys(describe_tool(h) for h in hints))
        body = (body + " | tools: " + ", ".join(done[:4])).strip(" |")
    return clean_fragment(body) if body else "(no visible text)"


def fragments_of(s: Session, tag_llm_calls: bool) -> list[tuple[str, int, str, object]]:
    """(kind, line, fragment text, record) for a session, its prompts and its LLM calls."""
    by_prompt = _tools_by_prompt(s)
    replies = _first_replies(s)
    first = s.prompts[0].line if s.prompts else 1
    out: list[tuple[str, int, str, object]] = [("session", first, session_fragment(s), s)]
    for p in s.prompts:
        out.append(
            ("prompt", p.line, prompt_fragment(s, p, by_prompt.get(p.index, []), replies), p)
        )
    if tag_llm_calls:
        for c in s.llm_calls:
            out.append(("llm", c.line, llm_fragment(c), c))
    return out
