"""Questions that name outlets (issue 20): does the answer lead with the first outlet named, and cite every
outlet named that has a gold article? Outlets are read from the question as question parsing reads them
(`qa.search.outlets.OutletMatcher`, one group per name: "FOX News" is every FOX News section)."""

from __future__ import annotations

from dataclasses import dataclass

from qa.search.outlets import OutletMatcher

OUTLET_RATES = ("named_first_leads", "named_all_cited")


@dataclass(frozen=True)
class OutletGold:
    """What the outlet metrics need of the index: the outlet names it can recognise, each article's outlet."""

    matcher: OutletMatcher
    outlet_of: dict[str, str]

    @classmethod
    def of(cls, searcher) -> OutletGold:
        """From the searcher's current corpus (`qa.search.searcher.Searcher`)."""
        corpus = searcher.corpus()
        return cls(OutletMatcher(searcher.outlets(corpus).names), corpus.outlet_of)


def outlet_row(question: str, gold_doc_ids: tuple[str, ...], answer, gold: OutletGold) -> dict:
    """``named_first_leads``: the first citation is from the first outlet named (abstaining counts as not);
    ``named_all_cited``: every named outlet with a gold article is cited (only when one has). Empty when the
    question names no outlet."""
    named = gold.matcher.mentions(question)
    if not named:
        return {}
    cited = [c.passage.source for c in answer.citations]
    row = {"named_first_leads": bool(cited) and cited[0] in named[0]}
    gold_outlets = {gold.outlet_of.get(d, "") for d in gold_doc_ids}
    with_gold = [group for group in named if gold_outlets & set(group)]
    if with_gold:
        row["named_all_cited"] = all(set(group) & set(cited) for group in with_gold)
    return row
