"""Prompt and verify: ask an LLM for advice through the ``llm`` library, then check its answer.

>>> from advisor.agents.ask import ask
>>> result = ask({"examples": 300, "deploy": "phone"}, model="gpt-4o-mini")   # doctest: +SKIP
>>> result.check.ok, [v.rule for v in result.check.violations]                # doctest: +SKIP

The prompt is :func:`advisor.render.render_prompt` of the engine's recommendation, so the engine's
verdicts reach the model as hard constraints; the reply is parsed (:func:`advisor.answers.parse_answer`)
and checked (:func:`advisor.answers.check`). The model is whatever the user configured in ``llm``
(``llm models``, ``llm keys set ...``); ``llm`` is an optional extra and is imported only here, when
asked. ``advisor ask`` is the command-line face of :func:`ask` (see :mod:`advisor.cli.agent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.answers import CheckInputError, CheckResult, check, parse_answer
from advisor.policy import Policy
from advisor.profile import ConstraintProfile

LLM_MISSING = "advisor ask needs the llm library: pip install 'text-encoder-advisor[llm]'"


class AskError(Exception):
    """No checked answer could be produced (llm missing, unknown model, the model failed or gave no JSON).

    ``exit_code`` is what the CLI exits with: 2 for an unknown model name (the user's input), else 1.
    ``reply`` holds the model's reply when there was one.
    """

    def __init__(self, message: str, *, exit_code: int = 1, reply: str | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.reply = reply


@dataclass
class AskResult:
    model: str  # the llm model id that answered
    prompt: str  # the prompt sent
    reply: str  # the model's reply, verbatim
    check: CheckResult  # the verdict on the parsed answer, with the engine's recommendation

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "reply": self.reply, **self.check.model_dump(mode="json")}


def get_model(name: str | None = None):
    """The llm model ``name`` (an id or alias; ``None``: llm's default model)."""
    try:
        import llm
    except ImportError:
        raise AskError(LLM_MISSING) from None
    try:
        return llm.get_model(name)
    except llm.UnknownModelError as exc:
        raise AskError(
            f"unknown model {name or 'default'!r} ({exc.args[0]}); `llm models` lists the installed ones",
            exit_code=2,
        ) from None


def send(model, prompt_text: str) -> str:
    """Send ``prompt_text`` through llm and return the reply text; a model's failure is one-line AskError."""
    import llm

    try:
        return model.prompt(prompt_text).text()
    except llm.errors.NeedsKeyException as exc:
        raise AskError(f"model {model.model_id}: {exc}") from None
    except Exception as exc:  # a model plugin's own errors (network, quota, ...): one line, no traceback
        raise AskError(f"model {model.model_id} failed: {type(exc).__name__}: {exc}") from None


def ask(
    profile: ConstraintProfile | dict,
    *,
    model: str | None = None,
    policy: Policy | None = None,
    evidence: str | Path | None = None,
) -> AskResult:
    """Render the prompt for ``profile``, ask ``model`` through llm, parse and check its answer.

    :raises AskError: llm is not installed, the model is unknown or failed, or its reply holds no JSON object.
    :raises advisor.engine.AdvisorError: the engine cannot produce a recommendation for the profile.
    """
    from advisor.api import recommend
    from advisor.render import render_prompt

    if not isinstance(profile, ConstraintProfile):
        profile = ConstraintProfile.model_validate(profile)
    policy = policy or Policy()
    llm_model = get_model(model)
    rec = recommend(profile, policy=policy, evidence=evidence)
    prompt_text = render_prompt(rec)
    reply = send(llm_model, prompt_text)
    try:
        answer = parse_answer(reply)
    except CheckInputError as exc:
        raise AskError(f"model {llm_model.model_id} gave no usable answer: {exc}", reply=reply) from None
    result = check(answer, profile, policy=policy, evidence=evidence)
    return AskResult(model=llm_model.model_id, prompt=prompt_text, reply=reply, check=result)
