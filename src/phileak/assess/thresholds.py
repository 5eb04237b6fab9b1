"""A rule's count threshold against what is known: met, not met, or unknown (then a question), per instance.

Most thresholds give one instance; `residents-of-each-state` gives one per US state (HIPAA and FTC media notice
is owed in each State where the threshold is met)."""

from __future__ import annotations

from dataclasses import dataclass

from phileak.assess.facts import Count, ExposureFacts, at_least, threshold_words
from phileak.assess.profile import OrgProfile
from phileak.assess.questions import Question
from phileak.assess.rules_model import Threshold


@dataclass(frozen=True)
class Verdict:
    met: bool | None
    reason: str
    jurisdiction: str | None = None  # the state an instance concerns
    question: Question | None = None


def evaluate(threshold: Threshold | None, facts: ExposureFacts, profile: OrgProfile) -> list[Verdict]:
    if threshold is None:
        return [Verdict(True, "")]
    people, note = affected_total(facts, profile)
    if threshold.measure == "individuals":
        return [_individuals(threshold, people, note)]
    if threshold.measure == "residents":
        assert threshold.jurisdiction is not None  # the schema requires it
        return [_residents(threshold, threshold.jurisdiction, people, profile)]
    states = [code for code in profile.jurisdictions if code.startswith("US-")]
    if not states:
        total = people.compare(threshold.op, threshold.value)
        if total is False:
            return [Verdict(False, f"{people.describe()} people in total: no State can have "
                                   f"{threshold_words(threshold.op, threshold.value)} residents affected")]  # fmt: skip
        return [Verdict(None, f"{threshold.text}: no US state is listed in the profile", question=_states_question())]
    return [_residents(threshold, state, people, profile) for state in states]


def affected_total(facts: ExposureFacts, profile: OrgProfile) -> tuple[Count, str]:
    """The people a total threshold (HHS, FTC: 500 individuals) is measured against, and a note when the plan
    raised it: the residents the plan counts per jurisdiction are all affected, so their sum is a floor on the
    total, however few the scan itself counted."""
    total = at_least(facts.people, sum(profile.residents.values()))
    if total == facts.people:
        return total, ""
    listed = ", ".join(f"{code} {count}" for code, count in profile.residents.items())
    return total, f" (residents in the plan: {listed}; the scan counted {facts.people.describe()})"


def _individuals(threshold: Threshold, people: Count, note: str = "") -> Verdict:
    met = people.compare(threshold.op, threshold.value)
    count = f"{people.describe()} individuals affected{note}"
    if met is None:
        question = Question(
            "affected-count", "How many individuals are affected in total (an exact count, from your records)?",
            f"{count}: cannot tell whether it is {threshold_words(threshold.op, threshold.value)}, which decides "
            "between notice duties.",
        )  # fmt: skip
        return Verdict(None, f"{count}: cannot tell whether this is {threshold.text}", question=question)
    return Verdict(met, f"{count}: {'meets' if met else 'does not meet'} the threshold ({threshold.text})")


def _residents(threshold: Threshold, code: str, people: Count, profile: OrgProfile) -> Verdict:
    words = threshold_words(threshold.op, threshold.value)
    if code in profile.residents:
        count = profile.residents[code]
        met = Count(exact=count).compare(threshold.op, threshold.value)
        verdict = "meets" if met else "does not meet"
        return Verdict(met, f"{count} residents of {code} affected: {verdict} the threshold ({threshold.text})", code)
    # Residents of one state are at most everyone affected: a total below an upper threshold settles it.
    total = people.compare(threshold.op, threshold.value)
    if threshold.op in (">", ">=") and total is False:
        return Verdict(False, f"{people.describe()} people affected in total, so not {words} residents of {code}",
                       code)  # fmt: skip
    if threshold.op in ("<", "<=") and total is True:
        return Verdict(True, f"{people.describe()} people affected in total, so {words} residents of {code}", code)
    question = Question(
        f"residents-{code}", f"How many of the affected individuals are residents of {code} "
        f"(residents = {{ \"{code}\" = N }} in the plan)?",
        f"{threshold.text} decides a duty; the plan does not give the number for {code}.",
    )  # fmt: skip
    return Verdict(None, f"residents of {code} not counted in the profile: cannot tell whether {threshold.text}",
                   code, question)  # fmt: skip


def _states_question() -> Question:
    return Question(
        "us-states", "In which US states do the affected people live, and how many in each (jurisdictions and "
        "residents in the plan)?",
        "Media notice thresholds count residents of each State.",
    )  # fmt: skip
