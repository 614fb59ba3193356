"""``morale classic ...``: command-line runs of the classic models.

Options left out keep the chosen variant's defaults. Bad options end the run with one line on stderr and
exit code 2, the convention for usage errors.
"""

import math
from pathlib import Path

import typer
from rich.table import Table

from morale.classic import civil_violence
from morale.cli_common import console, fail, guarded
from morale.results.run import check_output_folder

classic_app = typer.Typer(
    help="Canonical models reproduced exactly (Epstein 2002 civil violence).", no_args_is_help=True
)
_MAX_FRAMES = 300
_COLOURS = ["#ffffff", "#7fbf7f", "#d62728", "#404040", "#1f77b4"]
"""Empty, quiet, active, jailed, cop."""


def _plot(series, path, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4))
    for column, colour in zip(civil_violence.COLUMNS, ("#2ca02c", "#d62728", "#404040"), strict=True):
        ax.plot(series.index, series[column], label=column, color=colour, lw=1)
    ax.set(xlabel="step", ylabel="citizens", title=title)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _animate(lattice, out):
    """Write the lattice pictures as animation.gif (Pillow) or, without Pillow, animation.html."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import animation
    from matplotlib.colors import ListedColormap

    stride = math.ceil(len(lattice) / _MAX_FRAMES)
    frames = range(0, len(lattice), stride)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.set_axis_off()
    image = ax.imshow(lattice[0], cmap=ListedColormap(_COLOURS), vmin=0, vmax=4, interpolation="nearest")
    label = ax.set_title("step 0")

    def draw(step):
        image.set_data(lattice[step])
        label.set_text(f"step {step}")
        return image, label

    movie = animation.FuncAnimation(fig, draw, frames=frames, interval=80, blit=False)
    try:
        import PIL  # noqa: F401

        path = out / "animation.gif"
        movie.save(path, writer=animation.PillowWriter(fps=12))
    except ImportError:
        path = out / "animation.html"
        path.write_text(movie.to_jshtml())
    plt.close(fig)
    return path


@classic_app.command("civil-violence")
def civil_violence_command(
    variant: str = typer.Option("paper", help="Rules and defaults: paper, mesa or netlogo."),
    steps: int = typer.Option(500, help="Periods to simulate."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same run."),
    width: int | None = typer.Option(None, help="Lattice width."),
    height: int | None = typer.Option(None, help="Lattice height."),
    citizen_density: float | None = typer.Option(None, help="Share of cells holding a citizen."),
    cop_density: float | None = typer.Option(None, help="Share of cells holding a cop."),
    vision: float | None = typer.Option(None, help="Citizens' vision radius."),
    cop_vision: float | None = typer.Option(None, help="Cops' vision radius (default: vision)."),
    legitimacy: float | None = typer.Option(None, help="Regime legitimacy L in [0, 1]."),
    max_jail: float | None = typer.Option(None, help="Longest jail term J_max ('inf' for life)."),
    threshold: float | None = typer.Option(None, help="Activation threshold T."),
    k: float | None = typer.Option(None, help="Arrest-probability constant k."),
    out: Path | None = typer.Option(None, help="Directory for series, plot and animation."),
    parquet: bool = typer.Option(False, help="Write series.parquet instead of series.csv."),
    animate: bool = typer.Option(False, help="Also write an animation of the lattice (with --out)."),
    force: bool = typer.Option(False, help="Overwrite the files of a non-empty --out."),
):
    """Epstein's (2002) civil-violence Model I, or the Mesa or NetLogo port of it."""
    out_console = console()
    given = {
        "width": width,
        "height": height,
        "citizen_density": citizen_density,
        "cop_density": cop_density,
        "vision": vision,
        "cop_vision": cop_vision,
        "legitimacy": legitimacy,
        "max_jail": max_jail,
        "threshold": threshold,
        "k": k,
    }
    options = {name: value for name, value in given.items() if value is not None}
    if out is not None:  # before any work: an --out that cannot take the results fails now
        guarded(lambda: check_output_folder(out, force))
    try:
        result = civil_violence.run(steps, seed, variant, record_lattice=animate and out is not None, **options)
    except ValueError as error:
        fail(str(error))
    series, config = result.series, result.config
    table = Table(title=f"Civil violence, {variant} variant, {config.width}x{config.height}, seed {seed}")
    for column in ("", "quiescent", "active", "jailed"):
        table.add_column(column, justify="right")
    for name, row in (
        ("initial", series.iloc[0]),
        ("final", series.iloc[-1]),
        ("mean", series.mean()),
        ("peak", series.max()),
    ):
        table.add_row(name, *(f"{row[c]:.1f}" if name == "mean" else f"{row[c]:.0f}" for c in civil_violence.COLUMNS))
    out_console.print(table)
    out_console.print(f"outbursts (> 50 actives): {civil_violence.count_outbursts(series['active'])}")
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    written = [out / ("series.parquet" if parquet else "series.csv"), out / "plot.png"]
    if parquet:
        series.to_parquet(written[0])
    else:
        series.to_csv(written[0])
    _plot(series, written[1], f"Civil violence ({variant}), seed {seed}")
    if animate:
        written.append(_animate(result.lattice, out))
    out_console.print("wrote " + ", ".join(str(path) for path in written))
