"""The tagging prompt, fragments and the calibrated choice, with a stub client (no server)."""

from __future__ import annotations

import asyncio
import itertools
import math

import pytest

from agentpprof.sources.records import Agent, LlmCall, Prompt, Session, Tokens, ToolCall, ToolFacts
from agentpprof.tagging.evalset import Label, load_labels, record_hash, split_sha256, wilson
from agentpprof.tagging.llama import parse_top_logprobs
from agentpprof.tagging.prompt import (
    CALL_ONLY,
    PREFIX,
    SYNONYMS,
    WORK_KINDS,
    _ordered,
    clean_fragment,
    describe_tool,
    fragments_of,
    llm_fragment,
    prompt_fragment,
    render,
    vocabulary_for,
)
from agentpprof.tagging.tag import (
    CALIBRATION,
    LlamaBackend,
    kind_logprobs,
    kind_scores,
    share_of,
    vote_tokens,
)
from tests.scripted import ScriptedClient


def StubClient(answer: dict[str, float], prior: dict[str, float]) -> ScriptedClient:
    """A tokenizer where research and review both start with " re"; every other kind of work
    is one token."""
    return ScriptedClient(
        answer, prior, split={" research": [" re", "search"], " review": [" re", "view"]}
    )


def test_choice_is_calibrated_against_the_content_free_prior() -> None:
    # "testing" is likeliest, but the model says it for anything: "debugging" gains the most
    answer = {" testing": -1.0, " debugging": -1.5, " docs": -4.0, "\n": -0.5}
    prior = {" testing": -1.0, " debugging": -6.0, " docs": -4.0, "\n": -0.5}
    backend = LlamaBackend(StubClient(answer, prior), "m", 1)
    assert asyncio.run(backend.choose("prompt", "the app crashes")) == "debugging"
    # without calibration the raw likeliest kind wins
    raw = LlamaBackend(StubClient(answer, prior), "m", 1, calibrate=False)
    assert asyncio.run(raw.choose("prompt", "the app crashes")) == "testing"
    assert 0 < CALIBRATION <= 1


def test_every_scored_request_starts_from_the_prefix_on_a_slot_of_its_own() -> None:
    client = StubClient({" docs": -1.0}, {" docs": -2.0})
    backend = LlamaBackend(client, "m", 2, slots=2, reproducible=True)

    async def many() -> list[str]:
        return list(await asyncio.gather(*(backend.choose("prompt", f"x{i}") for i in range(6))))

    assert asyncio.run(many()) == ["docs"] * 6
    # 3 calibration requests + 6 fragments, each preceded by a reset of its slot
    assert len(client.resets) == len(client.prompts) == 9
    assert set(client.reset_prefixes) == {PREFIX}
    assert set(client.resets) <= {0, 1}
    fast = StubClient({" docs": -1.0}, {" docs": -2.0})
    assert asyncio.run(LlamaBackend(fast, "m", 1).choose("prompt", "x")) == "docs"
    assert fast.resets == []  # the default sends no reset


def test_prompts_never_get_call_only_words() -> None:
    answer = {" reading": -0.1, " docs": -3.0}
    backend = LlamaBackend(StubClient(answer, {" reading": -5.0, " docs": -5.0}), "m", 1)
    assert asyncio.run(backend.choose("prompt", "look at the readme")) == "docs"
    assert asyncio.run(backend.choose("llm", "tools: reads README.md")) == "reading"
    assert set(vocabulary_for("prompt")) == set(WORK_KINDS) - CALL_ONLY


def test_no_kind_among_the_top_tokens_is_an_invalid_answer() -> None:
    backend = LlamaBackend(StubClient({"\n": -0.1}, {"\n": -0.1}), "m", 1)
    assert asyncio.run(backend.choose("prompt", "x")) == ""


def test_synonyms_vote_for_their_kind() -> None:
    # " documentation" and " readme" are the model's words for docs: together they outweigh
    # " testing", which alone is likelier than " docs"
    answer = {" testing": -1.2, " docs": -2.5, " documentation": -1.6, " readme": -2.0}
    prior = dict.fromkeys(answer, -3.0)
    backend = LlamaBackend(StubClient(answer, prior), "m", 1)
    assert asyncio.run(backend.choose("prompt", "write the install guide")) == "docs"
    alone = {" testing": -1.2, " docs": -2.5}
    assert asyncio.run(LlamaBackend(StubClient(alone, prior), "m", 1).choose("prompt", "x")) == (
        "testing"
    )


def test_a_choice_carries_its_confidence() -> None:
    answer = {" testing": -1.0, " docs": -1.0, " git": -3.0}
    backend = LlamaBackend(StubClient(answer, dict.fromkeys(answer, -2.0)), "m", 1)
    word, confidence = asyncio.run(backend.answer("x", None, closed=True))
    # two kinds equally likely and a third e^2 times less: the winner holds ~47 %
    assert word in ("testing", "docs")
    assert confidence == pytest.approx(1 / (2 + math.exp(-2)), abs=1e-4)
    assert share_of({"a": 0.0}, "a") == 1.0


def test_vote_tokens_and_kind_scores() -> None:
    groups = {" docs": ("docs",), " re": ("research", "review")}
    synonyms = {
        "docs": [[" readme"], [" docu", "mentation"]],  # a split synonym is not used
        "research": [[" study"], [" docs"]],  # a kind's own first token stays that kind's
        "review": [[" study"], [" audit"]],  # a word under two kinds counts for neither
    }
    votes = vote_tokens(groups, synonyms)
    assert votes == {
        " docs": ("docs",),
        " re": ("research", "review"),
        " readme": ("docs",),
        " audit": ("review",),
    }
    top = {" readme": -1.0, " re": -2.0, " audit": -2.0, "x": -0.1}
    scores = kind_scores(top, {" readme": -1.0}, votes, {"docs", "research", "review"}, 1.0)
    assert scores["docs"] == pytest.approx(0.0)
    assert scores["review"] > scores["research"] == pytest.approx(-2.0)
    assert kind_scores(top, {}, votes, {"research"}, 1.0) == {"research": -2.0}


def test_synonyms_are_words_of_one_kind_each() -> None:
    words = [w for ws in SYNONYMS.values() for w in ws]
    assert len(words) == len(set(words))
    assert set(SYNONYMS) == set(WORK_KINDS)
    assert not set(words) & set(WORK_KINDS)
    assert all(w.isascii() and w.islower() and w.isalpha() for w in words)


def test_kind_logprobs_floor() -> None:
    groups = {" a": ("alpha",), " b": ("beta",)}
    assert kind_logprobs({" a": -1.0, "x": -3.0}, groups) == {" a": -1.0}
    assert kind_logprobs({" a": -1.0, "x": -3.0}, groups, fill=True) == {" a": -1.0, " b": -3.0}
    assert kind_logprobs({"x": -1.0}, groups) == {}


def test_kinds_sharing_a_first_token_are_told_apart_by_the_next() -> None:
    class TwoStep(ScriptedClient):
        async def next_token_logprobs(
            self, prompt: str, n_probs: int, slot: int = -1
        ) -> dict[str, float]:
            if prompt.endswith("Work: re"):
                self.prompts.append(prompt)
                return {"search": -0.2, "view": -2.0}
            return await super().next_token_logprobs(prompt, n_probs, slot)

    answer = {" re": -0.5, " docs": -3.0}
    prior = {" re": -4.0, " docs": -4.0}
    client = TwoStep(
        answer, prior, split={" research": [" re", "search"], " review": [" re", "view"]}
    )
    backend = LlamaBackend(client, "m", 1)
    assert asyncio.run(backend.choose("prompt", "compare the libraries")) == "research"
    assert client.prompts[-1].endswith("Work: re")


def test_parse_top_logprobs_both_shapes() -> None:
    new = {
        "completion_probabilities": [
            {
                "token": "\n",
                "logprob": -1.0,
                "top_logprobs": [
                    {"id": 1, "token": " docs", "logprob": -0.5},
                    {"id": 2, "token": " git", "logprob": -2},
                ],
            }
        ]
    }
    assert parse_top_logprobs(new) == {" docs": -0.5, " git": -2.0}
    old = {
        "completion_probabilities": [
            {
                "content": "x",
                "probs": [{"tok_str": " docs", "prob": 0.5}, {"tok_str": " git", "prob": 0.0}],
            }
        ]
    }
    out = parse_top_logprobs(old)
    assert out[" docs"] == pytest.approx(-0.6931, abs=1e-3) and out[" git"] < -1e8


def test_prefix_is_fixed_and_interleaved() -> None:
    assert render("prompt", "a") == PREFIX + "Request: a\nWork:"
    assert render("llm", "b").endswith("Agent step: b\nWork:")
    from agentpprof.tagging.prompt import DEMOS

    order = _ordered(DEMOS)
    # the last demonstrations are call-level ones (a prompt cannot take their words)
    assert all(d[0] == "llm" for d in order[-3:])
    prompt_part = [d[2] for d in order if d[0] != "llm"]
    assert all(a != b for a, b in itertools.pairwise(prompt_part))


def _tool(effect: str, command: str, prompt_index: int = 0) -> ToolCall:
    facts = ToolFacts("shell", command, ["bash"], effect, [], [], [])
    call = ToolCall.of(facts, 0, 5, None, "Bash", prompt_index, "")
    call.status = "ok"
    return call


def test_prompt_fragment_uses_the_reply_then_the_tools() -> None:
    s = Session(agent=Agent.CODEX, file="f", session_id="s")
    s.prompts = [Prompt(0, 1, None, "oui"), Prompt(1, 9, None, "1")]
    s.llm_calls = [LlmCall(0, 2, None, "m", 0, Tokens(), text="On passe aux **personas**.")]
    s.tool_calls = [_tool("test", "pytest -q", 1)]
    assert prompt_fragment(s, s.prompts[0]) == "oui | reply: On passe aux personas ."
    assert prompt_fragment(s, s.prompts[1]) == "1 | then the agent: ran tests"
    kinds = [k for k, *_ in fragments_of(s, tag_llm_calls=True)]
    assert kinds == ["session", "prompt", "prompt", "llm"]


@pytest.mark.parametrize(
    ("hint", "words"),
    [
        ("shell(bash -lc 'PYTHONPATH=. pytest -q')", "runs tests pytest"),
        ("shell(bash -lc 'git add a.py && git commit -m x')", "git add"),
        ("shell(bash -lc 'apply_patch << PATCH *** Update File: docs/guide.md')", "edits guide.md"),
        ("Read(src/app/main.py)", "reads main.py"),
        ("TodoWrite", "plans TodoWrite"),
        ("exec_command(cargo build --release)", "runs cargo"),
    ],
)
def test_describe_tool(hint: str, words: str) -> None:
    assert describe_tool(hint) == words


def test_llm_fragment_describes_tools_without_paths() -> None:
    c = LlmCall(
        0,
        1,
        None,
        "m",
        0,
        Tokens(),
        text="",
        tool_hints=["Edit(/home/alice/repo/README.md)", "Bash(git push)"],
    )
    assert llm_fragment(c) == "tools: edits README.md, git push"


def test_clean_fragment_keeps_short_fenced_input() -> None:
    assert (
        clean_fragment("## User Input\n```text\nPhase 2\n```\nYou **MUST**")
        == "User Input Phase 2 You MUST"
    )
    assert "[code]" in clean_fragment("```\n" + "x = 1\n" * 80 + "```")


def test_eval_labels_ship_and_are_split_by_file() -> None:
    dev, test = load_labels("dev"), load_labels("test")
    assert len([x for x in dev + test if x.kind == "prompt"]) >= 300
    assert len([x for x in dev + test if x.kind == "llm"]) >= 300
    assert not {x.file for x in dev} & {x.file for x in test}
    # split by repository owner (the file name starts with ``owner__repo__``)
    assert not {x.file.split("__")[0] for x in dev} & {x.file.split("__")[0] for x in test}
    assert all(x.accept for x in dev + test)
    assert len(split_sha256("test")) == 64


def test_record_hash_and_wilson() -> None:
    p = Prompt(0, 1, None, "hello")
    assert record_hash("prompt", p) == "2cf24dba5fb0a30e"
    with pytest.raises(TypeError):
        record_hash("prompt", object())
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    assert wilson(0, 0) == (0.0, 0.0)
    _ = Label("f", "prompt", 1, "h", "en", frozenset({"docs"}), "dev")


def test_test_split_is_the_frozen_one() -> None:
    """The test split must stay byte-identical to the one frozen before tuning (re-frozen
    2026-12-04 when the split became one by repository owner, issue #21)."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md").read_text()
    assert split_sha256("test") in docs
    assert (
        split_sha256("test") == "7272303d751f25a6b79f6dc82399b0f3df26a56d538aacd094c808cc53067392"
    )
