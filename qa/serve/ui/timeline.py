"""A compact timeline of the retrieved articles: placed by publication date, coloured by outlet (inline SVG, no JS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qa.core.types import Passage
from qa.serve.ui.safe import text

# Okabe-Ito and Tableau hues: distinguishable with the common colour-vision deficiencies.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#8C6D31",
    "#7F7F7F",
    "#B07AA1",
    "#2CA02C",
)
_WIDTH, _PAD, _ROW = 420, 16, 20


@dataclass(frozen=True)
class Point:
    """One article on the timeline; ``n`` is its citation number, or 0 when only retrieved."""

    day: date
    title: str
    outlet: str
    n: int


def outlet_colours(outlets: list[str]) -> dict[str, str]:
    """A stable colour per outlet, in the order given (the corpus' outlets, most articles first)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(outlets)}


def colour_for(outlet: str, colours: dict[str, str]) -> str:
    if outlet in colours:
        return colours[outlet]
    return PALETTE[sum(map(ord, outlet)) % len(PALETTE)]


def points(passages: list[Passage], cited: dict[str, int]) -> list[Point]:
    """One point per article that has a date; ``cited`` maps article id -> its first citation number."""
    seen: dict[str, Point] = {}
    for p in passages:
        day = _parse_day(p.published)
        if day is None or p.article_id in seen:
            continue
        seen[p.article_id] = Point(day, p.title, p.source or "(unknown outlet)", cited.get(p.article_id, 0))
    return sorted(seen.values(), key=lambda pt: (pt.day, pt.outlet))


def undated(passages: list[Passage]) -> int:
    """How many distinct articles among ``passages`` cannot be placed (no publication date)."""
    return len({p.article_id for p in passages if _parse_day(p.published) is None})


def render_timeline(pts: list[Point], colours: dict[str, str], missing: int = 0) -> str:
    """An SVG strip with a dot per article (cited ones numbered) and an outlet legend; '' when nothing is dated."""
    if not pts:
        return '<div class="qa-timeline qa-muted">No publication dates to place on a timeline.</div>'
    first, last = pts[0].day, pts[-1].day
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
        colour = colour_for(pt.outlet, colours)
        tip = text(f"{pt.title} — {pt.outlet}, {pt.day.isoformat()}")
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
    axis = (
        f'<line x1="{_PAD}" y1="{axis_y}" x2="{_WIDTH - _PAD}" y2="{axis_y}" class="qa-tl-axis"/>'
        f'<text x="{_PAD}" y="{axis_y + 12}" class="qa-tl-date">{first.isoformat()}</text>'
        f'<text x="{_WIDTH - _PAD}" y="{axis_y + 12}" text-anchor="end" class="qa-tl-date">{last.isoformat()}</text>'
    )
    legend = "".join(
        f'<span class="qa-tl-key"><i style="background:{colour_for(name, colours)}"></i>{text(name)}</span>'
        for name in sorted({pt.outlet for pt in pts})
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
