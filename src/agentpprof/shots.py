"""Demonstrations for the few-shot tagging prompt.

``BASE`` shots open every prompt (a shared prefix the server caches); ``POOL`` shots are picked
per fragment by word overlap and placed last, next to the fragment: a small base model copies
the nearest demonstration's *kind* of answer far more reliably than it follows instructions.
None of these sentences is in the labelled eval set (tests/data/tag-eval.jsonl).
"""

from __future__ import annotations

import math
import re
from collections import Counter

BASE: tuple[tuple[str, str], ...] = (
    ("Fix the failing unit tests in tests/test_parser.py", "testing"),
    ("The app crashes with TypeError: undefined is not a function when I click save",
     "debugging"),
    ("Update the README with installation steps and a usage example", "docs"),
    ("Rename the helper functions and split utils.py into smaller modules", "refactor"),
    ("Commit these changes and push the branch", "git"),
    ("The GitHub Actions workflow fails on the lint job, fix the CI config", "pipeline"),
    ("Deploy the service to production with the new Docker image", "deploy"),
    ("Research how other libraries implement rate limiting and summarise", "research"),
    ("Make the settings page responsive and fix the button colors", "frontend"),
    ("The report endpoint takes 9 seconds, profile it and make it faster", "performance"),
    ("Sanitize user input to prevent SQL injection", "security"),
    ("Add a migration for the orders table and an index on user_id", "database"),
    ("Let me look at the config loader. tools: Read(src/config) Grep(load_config)", "reading"),
    ("Plan the steps for the new export feature. tools: TodoWrite(export steps)", "planning"),
)

POOL: tuple[tuple[str, str], ...] = (
    ("Add regression tests for the invoice total and run pytest", "testing"),
    ("Write end-to-end tests for the signup flow", "testing"),
    ("Mock the HTTP client in the tests so they run offline", "testing"),
    ("Run the test suite to check the fix. tools: Bash(pytest -q)", "testing"),
    ("The flaky test in test_scheduler fails one run in ten", "testing"),
    ("Login returns 401 for valid users, find out why", "debugging"),
    ("The worker hangs forever after the queue is empty, investigate", "debugging"),
    ("Why is the total wrong when the discount is zero? fix it", "debugging"),
    ("Traceback: AttributeError 'NoneType' object has no attribute 'id' in views.py",
     "debugging"),
    ("The bug is an off-by-one in the loop; I'll fix it. tools: Edit(src/loop)", "debugging"),
    ("Explain the new environment variables in the user guide", "docs"),
    ("Write API reference docs for the client module", "docs"),
    ("Add comments and docstrings explaining the retry logic", "docs"),
    ("I'll add a section about the new flag to the README. tools: Edit(README.md)", "docs"),
    ("Write release notes in the changelog", "docs"),
    ("Remove the duplicated code in the two exporters and simplify the class", "refactor"),
    ("Move the parsing functions into their own module and rename them", "refactor"),
    ("Replace the nested if statements with early returns", "refactor"),
    ("Turn the promise chains into async functions", "refactor"),
    ("Rebase my feature branch on main and fix the conflicts", "git"),
    ("Revert the last commit and cherry-pick the fix onto release", "git"),
    ("Create a pull request with a summary of the changes", "git"),
    ("tools: Bash(git status) Bash(git commit -m fix)", "git"),
    ("Add a pipeline step that builds the wheel on every push", "pipeline"),
    ("The nightly build on GitHub Actions is red", "pipeline"),
    ("Run the linters in the workflow and cache the dependencies", "pipeline"),
    ("Ship version 2.0 to the cloud servers and check they are healthy", "deploy"),
    ("Write a Helm chart and roll it out to the cluster", "deploy"),
    ("Build the container image and push it for the staging environment", "deploy"),
    ("Publish the new package version and tag the release", "release"),
    ("Find out which tools exist for diffing PDFs and compare them", "research"),
    ("Compare three logging libraries and recommend one", "research"),
    ("Read the paper on learned indexes and summarise the key ideas", "research"),
    ("Search the web for how others solved this timeout. tools: WebSearch(httpx timeout)",
     "research"),
    ("Center the login form and use the brand font on the landing page", "frontend"),
    ("Make the chart widget look right on phones", "frontend"),
    ("Add a Vue component for the file upload dialog", "frontend"),
    ("Fix the CSS grid so the cards line up", "frontend"),
    ("Cut the memory use of the thumbnail worker in half", "performance"),
    ("Speed up the slow search query with an index and a cache", "performance"),
    ("Profile the startup time and remove the slow imports", "performance"),
    ("Let me time the hot loop. tools: Bash(python -m timeit -s parse)", "performance"),
    ("Store the tokens encrypted and rotate the leaked API key", "security"),
    ("Check the upload handler for path traversal", "security"),
    ("Add rate limiting and login lockout against brute force", "security"),
    ("Write a query that sums the sales per region from the orders table", "database"),
    ("Add a foreign key and backfill the column in Postgres", "database"),
    ("Parse the CSV export and aggregate the numbers per month", "data"),
    ("Set the default port and log level in config.yaml", "config"),
    ("Add the environment variables for the new service to the settings file", "config"),
    ("Install the dependencies and set up the virtual environment", "setup"),
    ("Bump the library versions and fix the lockfile", "dependencies"),
    ("Review this diff and point out problems", "review"),
    ("Plan how to split the work into steps. tools: TodoWrite(steps)", "planning"),
    ("Let me read the main module first. tools: Read(src/main.py)", "reading"),
    ("Now I'll edit the handler to validate the payload. tools: Edit(src/handlers)", "editing"),
    ("Add structured logging to the request handler", "logging"),
    ("tools: Bash(npm install) Bash(pip install -r requirements.txt)", "setup"),
    ("tools: Bash(ls src) Glob(**/*.py)", "reading"),
    ("tools: Write(src/api/routes.py)", "editing"),
    ("tools: Bash(npm run build)", "build"),
    ("tools: WebFetch(docs.python.org)", "research"),
    ("Done. The fix is committed and the tests pass.", "summary"),
)

_WORD_RE = re.compile(r"[a-z]{3,}")
_IGNORE = frozenset("the and for with this that from into then now let fix add make use run "
                    "new all are was not you your please can will its".split())


def _words(text: str) -> set[str]:
    out = set()
    for w in _WORD_RE.findall(text.lower()):
        if w in _IGNORE:
            continue
        out.add(w[:6])  # a crude stem: "tests"/"testing" -> "testin"/"tests"
    return out


_POOL_WORDS = [_words(t) for t, _ in POOL]
_DF = Counter(w for ws in _POOL_WORDS for w in ws)
_N = len(POOL)


def nearest(fragment: str, k: int = 4) -> list[tuple[str, str]]:
    """The k pool shots sharing the most (idf-weighted) words with the fragment, best last."""
    words = _words(fragment)
    scored = []
    for i, ws in enumerate(_POOL_WORDS):
        score = sum(math.log(1 + _N / _DF[w]) for w in words & ws)
        if score > 0:
            scored.append((score, -i))
    scored.sort(reverse=True)
    picked = [POOL[-neg] for _score, neg in scored[:k]]
    return picked[::-1]
