"""A compact timeline of the retrieved articles: placed by publication date, coloured by outlet (inline SVG, no JS).

Outlets and dates read as everywhere else (`qa.text.display`: "CNBC", "Nov 30, 2023"). No two outlets on one
timeline share a colour: each keeps the colour of its rank in the corpus unless an outlet ranked higher on the same
timeline has it, then takes the first free one; the legend under the strip is the key."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from datetime import date

from qa.core.types import Passage
from qa.serve.ui.safe import text
from qa.text.display import outlet_display, short_date
from qa.text.outlets import mixed_script

# Okabe-Ito, Tableau and Tol hues: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#8C6D31",
    "#7F7F7F",
    "#882255",
    "#2CA02C",
)
_WIDTH, _PAD, _ROW = 420, 16, 20
_GOLDEN = 0.381966  # hue step (of a turn) between extra colours past the palette: successive hues stay far apart
UNKNOWN_OUTLET = "(unknown outlet)"


@dataclass(frozen=True)
class Point:
    """One article on the timeline; ``n`` is its citation number, or 0 when only retrieved."""

    day: date
    title: str
    outlet: str
    n: int


def outlet_colours(outlets: list[str]) -> dict[str, str]:
    """Each outlet's own colour, by its rank in the corpus (most articles first), keyed by the name shown."""
    colours: dict[str, str] = {}
    for name in outlets:
        colours.setdefault(outlet_display(name) or UNKNOWN_OUTLET, PALETTE[len(colours) % len(PALETTE)])
    return colours


def screen_colours(shown: list[str], preferred: dict[str, str]) -> dict[str, str]:
    """A distinct colour for each of the outlets ``shown`` together: its ``preferred`` one while free (outlets
    ranked higher in ``preferred`` first), else the first free palette colour, past the palette evenly spread hues."""
    rank = {name: i for i, name in enumerate(preferred)}
    colours: dict[str, str] = {}
    for name in sorted(dict.fromkeys(shown), key=lambda n: (rank.get(n, len(rank)), n)):
        taken = set(colours.values())
        free = [c for c in PALETTE if c not in taken]
        wanted = preferred.get(name, "")
        colours[name] = wanted if wanted and wanted not in taken else (free[0] if free else _extra(len(colours)))
    return colours


def _extra(i: int) -> str:
    """The ``i``-th colour past the palette: a hue of its own, dark enough for white numbers."""
    red, green, blue = colorsys.hls_to_rgb((i * _GOLDEN) % 1.0, 0.42, 0.65)
    return f"#{round(red * 255):02X}{round(green * 255):02X}{round(blue * 255):02X}"


def points(passages: list[Passage], cited: dict[str, int]) -> list[Point]:
    """One point per article that has a date; ``cited`` maps article id -> its first citation number."""
    seen: dict[str, Point] = {}
    for p in passages:
        day = _parse_day(p.published)
        if day is None or p.article_id in seen:
            continue
        outlet = outlet_display(p.source) or UNKNOWN_OUTLET
        seen[p.article_id] = Point(day, p.title, outlet, cited.get(p.article_id, 0))
    return sorted(seen.values(), key=lambda pt: (pt.day, pt.outlet))


def undated(passages: list[Passage]) -> int:
    """How many distinct articles among ``passages`` cannot be placed (no publication date)."""
    return len({p.article_id for p in passages if _parse_day(p.published) is None})


def render_timeline(pts: list[Point], colours: dict[str, str], missing: int = 0) -> str:
    """An SVG strip with a dot per article (cited ones numbered) and an outlet legend; '' when nothing is dated."""
    if not pts:
        return '<div class="qa-timeline qa-muted">No publication dates to place on a timeline.</div>'
    first, last = pts[0].day, pts[-1].day
    colours = screen_colours([pt.outlet for pt in pts], colours)
    span = max((last - first).days, 1)
    usable = _WIDTH - 2 * _PAD
    # Stack articles that fall on (nearly) the same spot instead of drawing them on top of each other.
    rows: dict[int, int] = {}
    dots = []
    for pt in pts:
        x = _PAD + (usable / 2 if first == last else usable * (pt.day - first).days / span)
        slot = round(x / 16)
        row = rows.get(slot, 0)
        rows[slot] = row + 1
        y = 16 + row * _ROW
        colour = colours[pt.outlet]
        tip = text(f"{pt.title} — {pt.outlet}, {short_date(pt.day.isoformat())}")
        label = (
            f'<text x="{x:.1f}" y="{y + 3.8:.1f}" text-anchor="middle" class="qa-tl-n">{pt.n}</text>' if pt.n else ""
        )
        radius = 8 if pt.n else 5.5
        stroke = ' stroke="#222" stroke-width="1"' if pt.n else ""
        dots.append(
            f'<g class="qa-tl-dot"><title>{tip}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"{stroke}/>{label}</g>'
        )
    height = 16 + max(rows.values()) * _ROW + 6
    axis_y = height - 14
    start, end = short_date(first.isoformat()), short_date(last.isoformat())
    axis = (
        f'<line x1="{_PAD}" y1="{axis_y}" x2="{_WIDTH - _PAD}" y2="{axis_y}" class="qa-tl-axis"/>'
        f'<text x="{_PAD}" y="{axis_y + 12}" class="qa-tl-date">{start}</text>'
        f'<text x="{_WIDTH - _PAD}" y="{axis_y + 12}" text-anchor="end" class="qa-tl-date">{end}</text>'
    )
    legend = "".join(
        f'<span class="qa-tl-key"><i style="background:{colours[name]}"></i>{text(name)}'
        + (" ⚠" if mixed_script(name) else "")
        + "</span>"
        for name in sorted(colours)
    )
    caption = f"{len(pts)} retrieved article{'s' if len(pts) != 1 else ''} by publication date"
    if missing:
        caption += f" ({missing} undated, not shown)"
    return (
        f'<figure class="qa-timeline"><figcaption>{text(caption)}</figcaption>'
        f'<svg viewBox="0 0 {_WIDTH} {height + 12}" width="100%" role="img" aria-label="{text(caption)}">'
        f'{axis}{"".join(dots)}</svg><div class="qa-tl-legend">{legend}</div></figure>'
    )


def _parse_day(published: str) -> date | None:
    try:
        return date.fromisoformat((published or "")[:10])
    except ValueError:
        return None
