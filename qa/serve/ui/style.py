"""The chat's stylesheet and its few lines of page script (theme toggle, scrolling to a new answer); no external
assets. Colours come from the theme's variables, so the dark theme needs only the few overrides under ``.dark``."""

CSS = """
.qa-header { align-items: center; flex-wrap: wrap; gap: .4rem 1rem; }
.qa-h1 { margin: 0; font-size: 1.5rem; }
.qa-corpus { color: var(--body-text-color-subdued); }
#qa-theme { flex: 0 0 auto; max-width: 9rem; }
.qa-date, .qa-meta time { white-space: nowrap; }
.qa-muted { color: var(--body-text-color-subdued); }
a.qa-cite { font-weight: 600; text-decoration: none; padding: 0 .1em; border-radius: 3px;
  background: var(--color-accent-soft); }
a.qa-cite:hover { text-decoration: underline; }
.qa-abstain { font-weight: 700; color: #9a3412; }
.dark .qa-abstain { color: #fdba74; }
.qa-error, .qa-field-error { font-weight: 600; color: #b91c1c; }
.dark .qa-error, .dark .qa-field-error { color: #fca5a5; }
.qa-field-error, .qa-field-hint { font-size: .9rem; margin: .2rem 0; }
.qa-field-hint { color: var(--body-text-color-subdued); font-style: italic; }
.qa-notice { display: block; font-size: .85rem; color: #92400e; margin-bottom: .3rem; }
.dark .qa-notice { color: #fcd34d; }
.qa-unsupported { color: #92400e; font-size: .9em; }
.qa-writing { color: var(--body-text-color-subdued); }
.qa-pending { color: var(--body-text-color-subdued); font-style: italic; }
.qa-topic { display: block; font-size: .85rem; color: var(--body-text-color-subdued); font-style: italic; }
.qa-sources { display: flex; flex-direction: column; gap: .6rem; }
.qa-msg-sources { display: flex; flex-direction: column; gap: .5rem; margin-top: .5rem; }
.qa-for { margin: 0; color: var(--body-text-color-subdued); font-size: .9rem; }
.qa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .7rem;
  background: var(--background-fill-secondary); scroll-margin-top: .5rem; overflow-wrap: anywhere; }
.qa-card:target { outline: 2px solid var(--color-accent); }
.qa-card header { font-weight: 600; line-height: 1.3; }
.qa-badge { display: inline-block; min-width: 1.8em; text-align: center; font-size: .8rem; border-radius: 4px;
  padding: 0 .3em; background: var(--color-accent); color: white; }
.qa-card-nearest .qa-badge { background: #78716c; }
.qa-meta { font-size: .82rem; color: var(--body-text-color-subdued); margin: .2rem 0 .3rem; }
.qa-excerpt { margin: 0 !important; padding: .3rem .6rem !important; border-left: 3px solid var(--border-color-primary);
  font-size: .88rem; font-style: normal; }
.qa-excerpt mark { background: #fde68a; color: #1f2937; padding: 0 .1em; }
.dark .qa-excerpt mark { background: #a16207; color: #fefce8; }
.qa-nearest-label { margin: .2rem 0 0 !important; font-size: .9rem; font-weight: 600; }
.qa-reason { display: inline; }
.qa-timeline { margin: .4rem 0 0; }
.qa-timeline figcaption { font-size: .82rem; color: var(--body-text-color-subdued); }
.qa-timeline svg { display: block; }
.qa-tl-axis { stroke: var(--border-color-primary); stroke-width: 1.5; }
.qa-tl-date { font-size: 11px; fill: var(--body-text-color-subdued); }
.qa-tl-n { font-size: 10.5px; font-weight: 700; fill: white; pointer-events: none; }
.qa-tl-legend { display: flex; flex-wrap: wrap; gap: .3rem .8rem; font-size: .8rem; }
.qa-tl-key i { display: inline-block; width: .7em; height: .7em; border-radius: 50%; margin-right: .3em; }
.qa-example { white-space: normal !important; text-align: left !important; justify-content: flex-start !important;
  height: auto !important; line-height: 1.3; }
.qa-upload-result ul { margin: .2rem 0 0 1.1rem; padding: 0; font-size: .85rem; }
.qa-upload-result p { margin: .2rem 0; }
.qa-upload-done { color: #166534; }
.dark .qa-upload-done { color: #86efac; }
#qa-hint, #qa-filter-note { min-height: 0 !important; padding: 0 !important; }
/* the conversation's own toolbar (a bin icon) floated over the top of scrolled messages, as its "Conversation"
   label did; Clear and Export sit under the question box instead */
#qa-chat .top-panel { display: none !important; }
#qa-upload-note { font-size: .85rem; color: var(--body-text-color-subdued); }
@media (max-width: 640px) {
  .qa-h1 { font-size: 1.2rem; }
  .qa-header > * { min-width: 0 !important; }
  .qa-header > #qa-corpus { flex: 1 1 100% !important; order: 3; }
  .qa-card { padding: .4rem .5rem; }
  .qa-pos { display: none; }
}
"""

# Page script (runs once): apply the theme saved by the toggle. Gradio itself follows the system setting.
THEME_ON_LOAD = """
() => {
  const saved = localStorage.getItem('qa-theme');
  if (saved === 'dark') document.body.classList.add('dark');
  if (saved === 'light') document.body.classList.remove('dark');
}
"""
TOGGLE_THEME = """
() => {
  const dark = document.body.classList.toggle('dark');
  localStorage.setItem('qa-theme', dark ? 'dark' : 'light');
}
"""
# After an answer: bring its question to the top of the conversation's scroll box, so the reader starts at the
# answer, not at the bottom of its last source card (Gradio scrolls to the bottom first; this runs just after).
SHOW_ANSWER = """
() => {
  setTimeout(() => {
    const wrap = document.querySelector('#qa-chat .bubble-wrap');
    const users = document.querySelectorAll('#qa-chat .message-row.user-row');
    const last = users[users.length - 1];
    if (!wrap || !last) return;
    wrap.scrollTop += last.getBoundingClientRect().top - wrap.getBoundingClientRect().top - 8;
  }, 250);
}
"""
