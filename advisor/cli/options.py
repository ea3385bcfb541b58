"""What the profile commands share: the profile options, the profile and policy they build, and the exit-code
exceptions (``BadInput`` exits 2, ``NoAnswer`` exits 1)."""

from __future__ import annotations

from pathlib import Path

import click

from advisor.errors import did_you_mean
from advisor.vocabulary import COMPUTES, DEPLOYS, FORMATS, TASKS  # noqa: F401  (FORMATS: for the commands)

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


class _Echoed(click.ClickException):
    """An error whose message may hold what the user gave (a file name, a value): shown through
    :func:`advisor.sanitize.clean`, so no control character or escape sequence reaches the terminal."""

    def format_message(self) -> str:
        from advisor.sanitize import clean

        return clean(self.message)


class BadInput(_Echoed):
    """Something wrong in what the user passed: exit 2, one line."""

    exit_code = 2


class NoAnswer(_Echoed):
    """The advisor cannot produce an answer: exit 1."""

    exit_code = 1


class Interrupted(click.ClickException):
    """Ctrl-C (``KeyboardInterrupt``), wherever it came from: exit 130, one line."""

    exit_code = 130


def _one_file(name: str, what: str, help: str):
    """``--NAME FILE``, given once at most (a second one would silently replace the first)."""

    def once(ctx, param, values):
        if len(values) > 1:
            raise click.BadParameter(f"given {len(values)} times: pass one {what} file")
        return values[0] if values else None

    return click.option(
        f"--{name}", type=click.Path(dir_okay=False, path_type=Path), multiple=True, callback=once, help=help
    )


def evidence_option(f):
    """``--evidence FILE``, given once at most."""
    return _one_file(
        "evidence",
        "evidence",
        "Plateau evidence from `advisor baseline plateau` (needs --data); accepted evidence lifts TEP101.",
    )(f)


def measurements_option(f):
    """``--measurements FILE``, given once at most: an ``advisor compare`` measurements.json (needs --data)."""
    return _one_file(
        "measurements",
        "measurements",
        "measurements.json from `advisor compare` on the same --data: measured size and latency can "
        "exclude, the measured dev scores can reorder (TEP204, TEP404).",
    )(f)


def check_attached(params: dict, evidence: Path | None = None, measurements: Path | None = None) -> None:
    """Evidence and measurements are matched to the data by fingerprint: each needs --data and must exist."""
    for option, path, what in (
        ("--evidence", evidence, "evidence"),
        ("--measurements", measurements, "measurements"),
    ):
        if path is None:
            continue
        if params.get("data_file") is None:
            raise BadInput(
                f"{option} needs --data: {what} is matched to the data by fingerprint, never by a count alone"
            )
        if not path.is_file():
            raise BadInput(f"{path}: {what} file not found")


# -- profile options -----------------------------------------------------------------------------
# The torch commands' CPU threads (advisor baseline train / plateau, advisor study).
threads_option = click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="CPU threads for torch (1 is fastest for these small models on a shared CPU).",
)


def profile_keys() -> tuple[str, ...]:
    """The profile's fields a user sets (flags, --profile keys): every field but ``data`` (filled by --data)."""
    from advisor.profile import ConstraintProfile

    return tuple(k for k in ConstraintProfile.model_fields if k != "data")


def profile_options(f=None, *, omit: tuple[str, ...] = ()):
    """The constraint-profile flags shared by recommend, prompt, check and ask (flags override --profile).

    ``omit`` names parameters a command defines itself: ``advisor baseline train`` takes the data as its
    argument and has its own --task, --embeddings and column options (``@profile_options(omit=...)``).
    """
    if f is None:
        return lambda g: profile_options(g, omit=omit)
    before = len(getattr(f, "__click_params__", ()))
    options = [
        click.option(
            "--profile",
            "profile_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Profile file, JSON or TOML (keys as the flags, with underscores). Flags override it.",
        ),
        click.option("--task", type=click.Choice(TASKS), help="Task.  [default: classification]"),
        click.option(
            "--examples",
            type=int,
            help="Labeled examples (tagging: sentences); required unless in --profile or --data.",
        ),
        click.option(
            "--classes", type=int, help="Number of classes (tagging: entity types).  [default: unset]"
        ),
        click.option("--tokens", type=int, help="Typical p95 text length in words.  [default: 32]"),
        click.option(
            "--latency-ms",
            type=float,
            help="p95 per-example inference budget, ms.  [default: unset = no budget]",
        ),
        click.option("--deploy", type=click.Choice(DEPLOYS), help="Deploy target.  [default: cpu-server]"),
        click.option("--compute", type=click.Choice(COMPUTES), help="Training compute.  [default: cpu]"),
        click.option(
            "--streaming/--no-streaming",
            default=None,
            help="Input arrives token by token.  [default: no-streaming]",
        ),
        click.option(
            "--max-model-mb", type=float, help="Model size budget, MB at fp32.  [default: unset = no budget]"
        ),
        click.option("--language", help="Language of the texts (BCP-47).  [default: en]"),
        click.option(
            "--description",
            help="Free-text description of the task (treated as data, never as instructions).  [default: unset]",
        ),
        click.option(
            "--policy",
            "policy_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Policy thresholds file (TOML/JSON). Default: [tool.advisor] of the nearest pyproject.toml.",
        ),
        click.option(
            "--data",
            "data_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Read examples, classes and lengths from this data file (CSV/TSV/JSONL/label-TAB-text/CoNLL).",
        ),
        click.option(
            "--embeddings",
            "embeddings_file",
            type=click.Path(path_type=Path),
            help="With --data: report the OOV rate against these vectors (a file, or a model2vec folder).",
        ),
        click.option(
            "--text-column", default="text", show_default=True, help="With --data (CSV/TSV): text column."
        ),
        click.option(
            "--label-column", default="label", show_default=True, help="With --data (CSV/TSV): label column."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    if omit:  # click keeps a decorated function's options in __click_params__: drop the omitted ones we added
        params = f.__click_params__
        f.__click_params__ = params[:before] + [p for p in params[before:] if p.name not in omit]
    return f


def read_profile_file(path: Path) -> dict:
    """A profile file as a dict, with one-line errors naming the file, line and what was expected."""
    from advisor.data.files import parse_json_or_toml, read_text_file

    text = read_text_file(path, "profile", BadInput)
    data = parse_json_or_toml(text, path, BadInput, default="json")
    if not isinstance(data, dict):
        raise BadInput(f"{path}: a profile must be a JSON object or TOML table, got {type(data).__name__}")
    valid = profile_keys()
    for key in data:
        if key not in valid:
            hint = did_you_mean(key, valid, otherwise=f" (valid keys: {', '.join(valid)})")
            raise BadInput(f"{path}: unknown profile key {key!r}{hint}")
    return data


def validation_message(exc, source: str) -> str:
    """A pydantic ValidationError as one line: ``source: field: message (got value)`` (advisor.errors.validation_line)."""
    from advisor.errors import validation_line

    return validation_line(exc, source, whole="profile")


def build_profile(params: dict):
    """(profile, policy) from the profile options, with the checks every profile command shares.

    Click has already typed the flags (``--latency-ms 5`` is ``5.0``); the profile file's values and the flags are
    then validated strictly by :class:`advisor.profile.ConstraintProfile` (one-line errors, exit 2).
    """
    from advisor.policy import PolicyError, find_project_policy, load_policy_file

    file_values: dict = {}
    source = "profile"
    if params.get("profile_file") is not None:
        file_values = read_profile_file(params["profile_file"])
        source = str(params["profile_file"])
    flags = {k: params[k] for k in profile_keys() if params.get(k) is not None}
    values: dict = {}
    data_file = params.get("data_file")
    if params.get("embeddings_file") is not None and data_file is None:
        raise BadInput("--embeddings needs --data (the OOV rate is measured on the data)")
    if data_file is not None:
        # Data first; --profile and flags override what the data shows, except the two facts evidence is bound to.
        from advisor.data.from_file import DataError, check_data_facts, profile_values_from_data

        try:
            values = profile_values_from_data(
                data_file,
                task=flags.get("task") or file_values.get("task"),
                text_column=params.get("text_column") or "text",
                label_column=params.get("label_column") or "label",
                embeddings=params.get("embeddings_file"),
            )
            check_data_facts(values, {**file_values, **flags}, data_file)
        except DataError as exc:
            raise BadInput(str(exc)) from None
        except ImportError as exc:  # a model2vec folder without the transformer extra
            raise NoAnswer(str(exc)) from None
    values.update(file_values)
    values.update(flags)
    if "examples" not in values:
        raise BadInput("missing --examples (or an 'examples' key in --profile, or --data FILE)")
    from pydantic import ValidationError

    from advisor.profile import ConstraintProfile

    try:
        profile = ConstraintProfile.model_validate(values)
    except ValidationError as exc:
        raise BadInput(validation_message(exc, source if not flags else "profile")) from None
    try:
        policy = (
            load_policy_file(params["policy_file"]) if params.get("policy_file") else find_project_policy()
        )
    except PolicyError as exc:
        raise BadInput(str(exc)) from None
    return profile, policy


def run_recommend(profile, policy, evidence=None, *, reproduce=False, measurements=None):
    """recommend() with the engine's errors mapped to exit codes (a measurements file for other data: 2)."""
    from advisor.api import recommend
    from advisor.errors import AdvisorError

    try:
        return recommend(
            profile, policy=policy, evidence=evidence, reproduce=reproduce, measurements=measurements
        )
    except AdvisorError as exc:
        raise (BadInput if exc.exit_code == 2 else NoAnswer)(str(exc)) from None


def _engine():
    from advisor.engine import default_engine
    from advisor.errors import AdvisorError

    try:
        return default_engine()
    except AdvisorError as exc:
        raise NoAnswer(str(exc)) from None


def _policy(policy_file):
    from advisor.policy import PolicyError, find_project_policy, load_policy_file

    try:
        return load_policy_file(policy_file) if policy_file else find_project_policy()
    except PolicyError as exc:
        raise BadInput(str(exc)) from None
