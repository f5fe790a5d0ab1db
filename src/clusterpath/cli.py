"""The command line: one Typer app, a thin front door to the pipelines.

Exit codes are part of the interface for unattended jobs: 0 done, 2 bad input,
3 model or tracking server unreachable, 1 anything else, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from clusterpath.data.errors import ContractError
from clusterpath.spark.session import SparkFailure, SparkMissing

EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3
EXIT_DRIFT = 4  # score --fail-on-drift: outputs written, the batch crossed a limit
EXIT_INTERRUPTED = 130
# A down tracking server must fail a batch job within about a minute, not after MLflow's
# default of seven retries with growing back-off; users may still override these.
TRACKING_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}

SparkMaster = Annotated[
    str, typer.Option(help="Spark master URL (with --engine spark), e.g. spark://host:7077.")
]
SparkConf = Annotated[
    list[str] | None,
    typer.Option(
        help="A Spark setting KEY=VALUE (repeatable), e.g. spark.driver.memory=8g; "
        "also read from CLUSTERPATH_SPARK_CONF."
    ),
]

app = typer.Typer(
    name="clusterpath",
    help="Recommend an innovation path for each strategic-emerging-industry cluster.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def run_guarded(job: Callable[[], None]) -> None:
    """Run a command body, turning known failures into one-line messages and exit codes."""
    try:
        job()
    except ContractError as err:
        console = _stderr()
        console.print(f"[red]bad input[/red]: {len(err.problems)} problem(s)")
        for line in err.lines():
            console.print(f"  {line}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        _stderr().print("interrupted; no partial outputs were left")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except typer.BadParameter as err:
        _stderr().print(f"[red]bad input[/red]: {escape(err.format_message())}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (typer.Exit, typer.Abort):
        raise
    except SparkMissing as err:
        _stderr().print(f"[red]spark unavailable[/red]: {escape(str(err))}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except SparkFailure as err:
        # the watchdog stays quiet once this line is out (see clusterpath.spark.session)
        _stderr().print(f"[red]spark failed[/red]: {escape(str(err))}")
        raise typer.Exit(1) from None
    except Exception as exc:
        if os.environ.get("CLUSTERPATH_DEBUG"):
            raise
        _stderr().print(f"[red]error[/red]: {type(exc).__name__}: {escape(str(exc))}")
        raise typer.Exit(1) from None


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder to write the extract to (replaced whole).")],
    clusters: Annotated[int, typer.Option(help="Number of clusters.")] = 600,
    years: Annotated[str, typer.Option(help="Observation years, FIRST-LAST.")] = "2019-2023",
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same extract.")
    ] = 0,
    target_firm_rows: Annotated[
        int | None, typer.Option(help="Grow the cluster count until about this many firm-rows.")
    ] = None,
    world: Annotated[
        str,
        typer.Option(
            help="A world of data/simulator/worlds.yaml for every cluster, or random (a "
            "world drawn per cluster)."
        ),
    ] = "random",
) -> None:
    """Write a simulated extract in the contract's form, with simulated labels."""

    def job() -> None:
        from clusterpath.data.simulator.worlds import check_world_name, load_worlds
        from clusterpath.pipelines.simulate import run_simulate

        try:
            check_world_name(world, load_worlds())
        except ValueError as err:
            raise typer.BadParameter(str(err)) from None
        run_simulate(out, clusters, years, seed, target_firm_rows, Console(), world)

    run_guarded(job)


@app.command()
def validate(
    data: Annotated[Path, typer.Argument(help="Extract folder (firms, links, clusters, labels).")],
) -> None:
    """Check an extract against the data contract; exit 2 listing every problem."""

    def job() -> None:
        from clusterpath.pipelines.validate import run_validate

        run_validate(data, Console())

    run_guarded(job)


@app.command()
def features(
    data: Annotated[
        str | None, typer.Argument(help="Extract folder (with Spark, also a Hadoop URI).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output file (.parquet, or .csv).")] = Path(
        "features.parquet"
    ),
    engine: Annotated[
        str, typer.Option(help="duckdb (embedded) or spark (needs the spark extra).")
    ] = "duckdb",
    spark_master: SparkMaster = "local[2]",
    spark_conf: SparkConf = None,
    list_: Annotated[bool, typer.Option("--list", help="Print the indicator catalogue.")] = False,
    show: Annotated[
        str | None, typer.Option("--show", help="Print one indicator of the catalogue whole.")
    ] = None,
    format_: Annotated[
        str, typer.Option("--format", help="Form of --list: table, json or markdown.")
    ] = "table",
    lang: Annotated[str, typer.Option(help="Language of --list: zh or en.")] = "zh",
) -> None:
    """Compute the indicator catalogue for every cluster-year of an extract."""

    def job() -> None:
        from clusterpath.pipelines.features import list_catalogue, run_features

        if format_ not in ("table", "json", "markdown"):
            raise typer.BadParameter(f"unknown format {format_!r}; use table, json or markdown")
        if list_ or show is not None:
            list_catalogue(Console(), lang, format_, show)
            return
        if data is None:
            raise typer.BadParameter("give an extract folder (or --list)")
        spark = _spark_options(engine, spark_master, spark_conf)
        run_features(data if spark else Path(data), out, engine, Console(), spark)

    run_guarded(job)


def _spark_options(engine: str, master: str, conf: list[str] | None):
    """The Spark settings of the command line, or None for the embedded engine."""
    from clusterpath.spark.session import SparkOptions

    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter(f"unknown engine {engine!r}; use duckdb or spark")
    if engine == "duckdb":
        return None
    try:
        return SparkOptions.from_command_line(master, conf or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--spark-conf") from None


def _tracking_unreachable(exc: BaseException) -> bool:
    """Is this a tracking server or model registry that could not be reached?"""
    import requests

    if isinstance(exc, requests.exceptions.ConnectionError):
        return True
    text = str(exc)
    return "API request to" in text and ("failed" in text or "exceeded" in text)


def _run_tracked(job: Callable[[], None]) -> None:
    """``run_guarded`` for commands that talk to MLflow: an unreachable server exits 3.

    OpenMP threads are told to sleep rather than spin while waiting (before LightGBM is
    imported): on a busy 2-core machine spinning threads made one small LightGBM fit with
    n_jobs=2 take 17-44 s instead of under 1 s.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for key, value in TRACKING_RETRIES.items():
        os.environ.setdefault(key, value)

    def guarded() -> None:
        from clusterpath.models.loading import ModelUnavailable
        from clusterpath.models.tracking import ProjectRunElsewhere

        try:
            job()
        except ModelUnavailable as err:
            _stderr().print(f"[red]model unavailable[/red]: {escape(str(err))}")
            raise typer.Exit(EXIT_UNREACHABLE) from None
        except ProjectRunElsewhere as err:
            _stderr().print(f"[red]bad input[/red]: {escape(str(err))}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except typer.BadParameter as err:
            _stderr().print(f"[red]bad input[/red]: {escape(err.format_message())}")
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except (typer.Exit, typer.Abort, ContractError, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _tracking_unreachable(exc) and not os.environ.get("CLUSTERPATH_DEBUG"):
                _stderr().print(f"[red]tracking server unreachable[/red]: {escape(str(exc))}")
                raise typer.Exit(EXIT_UNREACHABLE) from None
            raise

    run_guarded(guarded)


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="Extract folder (with a labels table).")],
    config: Annotated[
        Path | None,
        typer.Option(help="Training configuration (default models/lightgbm.yaml)."),
    ] = None,
    features: Annotated[
        Path | None,
        typer.Option(help="Indicator table from `clusterpath features` (else computed here)."),
    ] = None,
    register: Annotated[
        bool, typer.Option("--register", help="Register the model; champion only if better.")
    ] = False,
    model_name: Annotated[str, typer.Option(help="Registered model name.")] = "clusterpath",
    experiment: Annotated[str, typer.Option(help="MLflow experiment.")] = "clusterpath",
    tune: Annotated[
        int, typer.Option(help="Optuna trials before training (0: no tuning).", min=0)
    ] = 0,
    label_weights: Annotated[
        str | None,
        typer.Option(help="Sample weight per label source, e.g. expert=1,rules=0.3,simulated=1."),
    ] = None,
    gallery: Annotated[
        Path | None,
        typer.Option(
            help="Extract of real clusters with expert labels: trained on, and each cluster "
            "graded by a refit without it."
        ),
    ] = None,
    gallery_features: Annotated[
        Path | None,
        typer.Option(help="Indicator table of the --gallery extract (else computed here)."),
    ] = None,
) -> None:
    """Train the path classifier, grade it against baselines, and log it to MLflow."""

    def job() -> None:
        from clusterpath.models.config import parse_label_weights
        from clusterpath.pipelines.train import run_train

        try:
            weights = parse_label_weights(label_weights) if label_weights else None
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--label-weights") from None
        run_train(
            data,
            config_path=config,
            features_file=features,
            register=register,
            model_name=model_name,
            experiment=experiment,
            tune=tune,
            label_weights=weights,
            console=Console(),
            gallery=gallery,
            gallery_features=gallery_features,
        )

    _run_tracked(job)


@app.command()
def label(
    data: Annotated[Path, typer.Argument(help="Extract folder.")],
    rules: Annotated[
        bool, typer.Option("--rules", help="Write weak labels (source rules) from the rules.")
    ] = False,
    suggest: Annotated[
        int | None,
        typer.Option(
            help="List the N unlabelled cluster-years the model is least sure of.", min=1
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output file (.csv or .parquet); required with --rules.")
    ] = None,
    model: Annotated[
        str, typer.Option(help="Model URI for --suggest.")
    ] = "models:/clusterpath@champion",
    features: Annotated[
        Path | None, typer.Option(help="Indicator table (else computed from the extract).")
    ] = None,
) -> None:
    """Weak labels from the rule baseline, or cluster-years worth an expert's look."""

    def job() -> None:
        from clusterpath.pipelines.label import run_rule_labels, run_suggest

        if rules == (suggest is not None):
            raise typer.BadParameter("give exactly one of --rules or --suggest N")
        if rules:
            if out is None:
                raise typer.BadParameter("--rules needs --out FILE")
            run_rule_labels(data, out, features, Console())
        else:
            run_suggest(data, suggest, model, features, out, Console())

    _run_tracked(job)


@app.command()
def score(
    data: Annotated[
        str, typer.Argument(help="Extract folder to score (with Spark, also a Hadoop URI).")
    ],
    out: Annotated[Path, typer.Option(help="Output folder (replaced whole on success).")],
    model: Annotated[str, typer.Option(help="MLflow model URI.")] = "models:/clusterpath@champion",
    features: Annotated[
        Path | None,
        typer.Option(help="Indicator table from `clusterpath features` (else computed here)."),
    ] = None,
    what_if: Annotated[
        bool,
        typer.Option(
            "--what-if/--no-what-if", help="Search the change that would flip each path."
        ),
    ] = True,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb (embedded, one machine) or spark (read and score there; needs the "
            "spark extra)."
        ),
    ] = "duckdb",
    spark_master: SparkMaster = "local[2]",
    spark_conf: SparkConf = None,
    fail_on_drift: Annotated[
        bool,
        typer.Option(
            "--fail-on-drift",
            help=f"Exit {EXIT_DRIFT} after writing every output when the estimated accuracy "
            "or the drift crosses the limits of models/scoring.yaml (monitoring.json).",
        ),
    ] = False,
) -> None:
    """Recommend a path for every cluster-year, with SHAP drivers tied to the paper."""

    def job() -> None:
        from clusterpath.models.tracking import use_tracking_uri
        from clusterpath.pipelines.monitor import DriftAlarm
        from clusterpath.pipelines.score import run_score

        use_tracking_uri()
        spark = _spark_options(engine, spark_master, spark_conf)
        folder = data if spark else Path(data)
        try:
            run_score(
                folder,
                model,
                out,
                features,
                what_if=what_if,
                console=Console(),
                spark=spark,
                fail_on_drift=fail_on_drift,
            )
        except DriftAlarm as alarm:
            _stderr().print(f"[red]drift[/red]: {escape(str(alarm))} (outputs written)")
            raise typer.Exit(EXIT_DRIFT) from None

    _run_tracked(job)


@app.command()
def report(
    scores: Annotated[Path, typer.Argument(help="Folder written by `clusterpath score`.")],
    out: Annotated[Path, typer.Option(help="Site folder (replaced whole on success).")] = Path(
        "reports"
    ),
    lang: Annotated[str, typer.Option(help="Language of the site: zh or en.")] = "zh",
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print cluster pages to PDF (headless Chromium).")
    ] = False,
    cluster: Annotated[
        list[str] | None,
        typer.Option(help="With --pdf, print only this cluster (ID or ID:YEAR); repeatable."),
    ] = None,
    gallery: Annotated[
        Path | None,
        typer.Option(help="Gallery folder: show its documented readings beside the paths."),
    ] = None,
) -> None:
    """Write a static site explaining every scored cluster-year, for analysts."""

    def job() -> None:
        from clusterpath.pipelines.report import run_report
        from clusterpath.report.text import LANGUAGES

        if lang not in LANGUAGES:
            _stderr().print(f"[red]bad input[/red]: --lang {lang}: use {' or '.join(LANGUAGES)}")
            raise typer.Exit(EXIT_BAD_INPUT)
        run_report(scores, out, lang, pdf, cluster or (), Console(), gallery)

    run_guarded(job)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="clusterpath")
    sys.exit(0)
