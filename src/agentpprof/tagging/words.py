"""What a valid tag word is: 3-12 lowercase ASCII letters, not a generic or function word.

Used by the tagger (an invalid answer is asked again, then the run fails) and the cache (an
invalid cached word is not reused).
"""

from __future__ import annotations

import re

WORD_RE = re.compile(r"^[a-z]{3,12}$")

# generic and function words are not tags
STOPWORDS = frozenset(
    """
task tasks work working misc thing things stuff other others the and but why how what when where
who whom this that these those with for you your yours please thanks thank hello okay yes not
none null unknown user agent assistant model request requests activity topic word words label
tag tags answer output input text line lines item items here there then than from into onto
about just also some any all can could would should will shall must may might have has had
been being are was were its our out off let lets get got make made use used using via per
one two three very more most much many such same each every only own fragment session prompt
call calls response reply message messages continue done good great nice sure code coding
generic something anything everything nothing general
""".split()
)


def normalise(raw: str) -> str:
    return raw.strip().strip("\"'`*_.>:").strip().lower()


_LETTERS_RE = re.compile(r"[^a-z]+")


# kinds of work that are activities; a fragment that names one ("fix the failing *tests*") is
# well labelled by it. Subject-area words ("config", "logging") copied from the text are not.
ACTIVITIES = frozenset(
    {
        "testing",
        "debugging",
        "docs",
        "refactor",
        "git",
        "pipeline",
        "deploy",
        "research",
        "review",
        "planning",
        "release",
        "cleanup",
        "migration",
        "build",
        "setup",
        "design",
        "feature",
        "editing",
        "reading",
    }
)


def copies_fragment(word: str, fragment: str) -> bool:
    """The word is lifted from the fragment's own text and is not an activity."""
    if word in ACTIVITIES:
        return False
    letters = _LETTERS_RE.sub("", fragment.lower())
    stem = word[:-1] if word.endswith("s") and len(word) > 4 else word
    return stem in letters


def invalid_reason(word: str) -> str | None:
    if not word:
        return "empty answer"
    if not WORD_RE.match(word):
        return "not one word of 3-12 lowercase ASCII letters"
    if word in STOPWORDS:
        return "generic or function word"
    return None
