"""The chat's stylesheet: source cards, highlights, abstentions, errors and the timeline (no external assets)."""

CSS = """
.qa-header { align-items: baseline; }
.qa-h1 { margin: 0; font-size: 1.5rem; }
.qa-corpus { text-align: right; color: var(--body-text-color-subdued); padding-top: .4rem; }
.qa-muted { color: var(--body-text-color-subdued); }
a.qa-cite { font-weight: 600; text-decoration: none; padding: 0 .1em; border-radius: 3px;
  background: var(--color-accent-soft); }
a.qa-cite:hover { text-decoration: underline; }
.qa-abstain { font-weight: 700; color: #9a3412; }
.qa-error { font-weight: 700; color: #b91c1c; }
.qa-notice { display: block; font-size: .85rem; color: #92400e; margin-bottom: .3rem; }
.qa-unsupported { color: #92400e; font-size: .9em; }
.qa-writing { color: var(--body-text-color-subdued); }
.qa-pending { color: var(--body-text-color-subdued); font-style: italic; }
.qa-sources { display: flex; flex-direction: column; gap: .6rem; }
.qa-for { margin: 0; color: var(--body-text-color-subdued); font-size: .9rem; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .8rem;
  background: var(--background-fill-secondary); scroll-margin-top: 1rem; }
.qa-card:target { outline: 2px solid var(--color-accent); }
.qa-card header { font-weight: 600; line-height: 1.3; }
.qa-badge { display: inline-block; min-width: 1.8em; text-align: center; font-size: .8rem; border-radius: 4px;
  padding: 0 .3em; background: var(--color-accent); color: white; }
.qa-card-nearest .qa-badge { background: #78716c; }
.qa-meta { font-size: .82rem; color: var(--body-text-color-subdued); margin: .2rem 0 .3rem; }
.qa-excerpt { margin: 0; padding: .3rem .6rem; border-left: 3px solid var(--border-color-primary);
  font-size: .88rem; white-space: pre-wrap; }
.qa-card-nearest .qa-excerpt { max-height: 10rem; overflow-y: auto; }
.qa-excerpt mark { background: #fde68a; color: #1f2937; padding: 0 .1em; }
.qa-notfound { border: 1px dashed #c2410c; background: #fff7ed; color: #7c2d12; border-radius: 8px;
  padding: .6rem .8rem; display: flex; flex-direction: column; }
.qa-nearest-label { margin: .2rem 0 0; font-size: .9rem; }
.qa-timeline { margin: .4rem 0 0; }
.qa-timeline figcaption { font-size: .82rem; color: var(--body-text-color-subdued); }
.qa-timeline svg { display: block; }
.qa-tl-axis { stroke: var(--border-color-primary); stroke-width: 1.5; }
.qa-tl-date { font-size: 11px; fill: var(--body-text-color-subdued); }
.qa-tl-n { font-size: 10.5px; font-weight: 700; fill: white; pointer-events: none; }
.qa-tl-legend { display: flex; flex-wrap: wrap; gap: .3rem .8rem; font-size: .8rem; }
.qa-tl-key i { display: inline-block; width: .7em; height: .7em; border-radius: 50%; margin-right: .3em; }
"""
