"""The factual-language prompt (clauses 4.2 and 6): recorded data must be factual, first-hand and
free of personal comments. The description of an incident is checked for phrasing that signals
opinion, hearsay, personal comment, insult or a diagnosis made by staff, so the recorder can
rephrase it before saving.

The word list lives here and only here (`PHRASES`). Words inside quotation marks are treated as
the customer's own words, quoted as evidence, and are not flagged: "he called her a 'stupid cow'"
is a factual record of what was said.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

OPINION = "opinion"
HEARSAY = "hearsay"
PERSONAL_COMMENT = "personal comment"
INSULT = "insult"
DIAGNOSIS = "diagnosis by staff"

# kind -> phrases (lower case; a phrase matches whole words only).
PHRASES: dict[str, tuple[str, ...]] = {
    HEARSAY: (
        "apparently",
        "allegedly",
        "supposedly",
        "reportedly",
        "i heard",
        "i've heard",
        "i have heard",
        "we heard",
        "we've heard",
        "i was told",
        "we were told",
        "i'm told",
        "rumour",
        "rumours",
        "rumoured",
        "rumor",
        "rumored",
        "people say",
        "people are saying",
        "everyone knows",
        "everybody knows",
        "word is",
        "word has it",
        "someone said",
        "somebody said",
        "the neighbours say",
        "neighbours say",
        "it is said",
        "it's said",
        "so i'm told",
    ),
    OPINION: (
        "i think",
        "i believe",
        "i feel",
        "i reckon",
        "i suspect",
        "i guess",
        "i assume",
        "in my opinion",
        "in my view",
        "my impression",
        "it seems",
        "seems to me",
        "seemed to me",
        "obviously",
        "no doubt",
        "must have been",
        "probably",
        "i bet",
        "clearly lying",
        "he is lying",
        "she is lying",
        "they are lying",
        "is a liar",
        "attention seeking",
        "attention-seeking",
    ),
    PERSONAL_COMMENT: (
        "nasty",
        "horrible",
        "vile",
        "disgusting",
        "pathetic",
        "lazy",
        "scrounger",
        "scroungers",
        "troublemaker",
        "trouble maker",
        "trouble-maker",
        "nightmare",
        "smelly",
        "filthy",
        "ugly",
        "always causing trouble",
        "difficult customer",
        "known for it",
        "nasty piece of work",
        "waste of space",
        "thinks he's",
        "thinks she's",
    ),
    INSULT: (
        "idiot",
        "idiots",
        "stupid",
        "moron",
        "imbecile",
        "nutter",
        "nutcase",
        "nut job",
        "thug",
        "lunatic",
        "scum",
        "scumbag",
        "yob",
        "chav",
        "cow",
        "loser",
        "retard",
        "retarded",
        "halfwit",
        "dimwit",
        "bully",
    ),
    DIAGNOSIS: (
        "psycho",
        "psychopath",
        "psychopathic",
        "psychotic",
        "sociopath",
        "schizo",
        "schizophrenic",
        "bipolar",
        "mentally ill",
        "mental case",
        "mentally unstable",
        "unhinged",
        "deranged",
        "crazy",
        "mad",
        "insane",
        "paranoid",
        "delusional",
        "personality disorder",
        "autistic",
        "adhd",
        "ocd",
        "on drugs",
        "alcoholic",
        "off his meds",
        "off her meds",
        "off their meds",
        "needs sectioning",
    ),
}

ADVICE: dict[str, str] = {
    HEARSAY: "Hearsay is not evidence: record only what you or a named trusted third party saw or heard.",
    OPINION: "Opinion is not evidence: describe what was said and done, not what you think.",
    PERSONAL_COMMENT: "Leave out personal comments: describe the behaviour, not the person.",
    INSULT: "Leave out insulting words (quote the customer's own words in quotation marks if needed).",
    DIAGNOSIS: "Do not diagnose: record only conditions the customer has told us about, as vulnerabilities.",
}

_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|‘[^’\n]*’|(?<!\w)\'[^\n]*?\'(?!\w)')


def _pattern(phrase: str) -> str:
    words = [re.escape(w) for w in phrase.split()]
    return r"(?<![\w'])" + r"\s+".join(words) + r"(?![\w'])"


_MATCHERS: list[tuple[str, str, re.Pattern[str]]] = [
    (kind, phrase, re.compile(_pattern(phrase), re.IGNORECASE))
    for kind, phrases in PHRASES.items()
    for phrase in phrases
]


@dataclass(frozen=True)
class LanguageFlag:
    """One phrase to rephrase: the words as typed, what kind of problem, and advice."""

    phrase: str
    kind: str
    advice: str
    start: int


def _mask_quotes(text: str) -> str:
    """Blank out quoted speech (keeping offsets) so the customer's own words are not flagged."""
    return _QUOTED.sub(lambda m: " " * len(m.group(0)), text)


def check_language(text: str) -> list[LanguageFlag]:
    """Every opinion, hearsay, personal-comment, insult or staff-diagnosis phrase in `text`,
    in the order they appear; overlapping matches keep the longest phrase."""
    raw = unicodedata.normalize("NFC", text or "")
    masked = _mask_quotes(raw)
    # After masking, curly apostrophes used inside words are read as straight ones.
    searchable = masked.replace("\u2019", "'")
    found: list[LanguageFlag] = []
    for kind, _phrase, matcher in _MATCHERS:
        for m in matcher.finditer(searchable):
            found.append(LanguageFlag(raw[m.start() : m.end()], kind, ADVICE[kind], m.start()))
    found.sort(key=lambda f: (f.start, -len(f.phrase)))
    kept: list[LanguageFlag] = []
    end = -1
    for flag in found:
        if flag.start >= end:
            kept.append(flag)
            end = flag.start + len(flag.phrase)
    return kept
