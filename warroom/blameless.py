"""Blameless check: find sentences that put an incident's cause on a person.

Seed 004: "The engineer deployed broken code" is blameful; "The deployment
pipeline did not catch the regression before production" is analytical. A
postmortem that names people as causes stops people reporting problems, so
warroom points such sentences out with an analytical rewording as a hint. It
warns and never refuses: a regex cannot judge intent, and authors decide.

The rules look for wording, not names alone: "Bob rolled back to v41" is a
fact of the timeline, "Bob forgot to run the migration" is a verdict. People
are capitalised names, @handles, person nouns, and the incident's participants
by the handles the timeline knows them by ("bob"), which no capital gives away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from pydantic import BaseModel

# Who a blameful sentence blames: a handle, a capitalised name, or a person noun.
_NAME = r"(?:@[\w.-]+|(?!(?:The|This|That|These|Our|It|There|A|An|No|We|Each|Every|When|After|Before)\b)[A-Z][a-z]+)"
_PERSON_NOUN = (
    r"(?:the |an |one |our )?(?:engineer|developer|dev|operator|on-?call(?: engineer)?|admin(?:istrator)?|intern|sre|dba|"
    r"team member|reviewer|author|someone|somebody|he|she|they)"
)
_PERSON = "<person>"  # where each rule names a person: `_compiled` puts in who counts as one
# Without a capitalised name, which after "caused by" is as often a system ("caused by Redis").
_SOMEONE = rf"(?:(?i:{_PERSON_NOUN})\b|@[\w.-]+|<participant>)"
_CHANGE = r"(?:deployed|pushed|merged|shipped|released|committed|ran|applied|changed|edited|deleted|dropped|configured|triggered|rolled out)"
_HARM = r"(?:broke|caused|took down|brought down|crashed|corrupted|deleted|knocked out)"

_PIPELINE = "The deployment pipeline did not catch the regression before production."


class Rule(BaseModel):
    pattern: str
    why: str
    hint: str


RULES = [
    Rule(
        pattern=rf"(?<![\w@]){_PERSON}\s+(?:deployed|pushed|merged|shipped|released|committed)\b[^.!?]*?\b(?:broken|bad|buggy|faulty|untested|wrong)\b",
        why="names a person as the source of a bad change",
        hint=f"Say what let the change through, e.g. \"{_PIPELINE}\"",
    ),
    Rule(
        pattern=rf"(?<![\w@]){_PERSON}\s+{_CHANGE}\b[^.!?]*?\b(?:that|which|and)\s+(?:then\s+)?{_HARM}\b",
        why="makes a person, through their change, the cause of the failure",
        hint=f"Say what let the change through and what it did, e.g. \"{_PIPELINE}\"",
    ),
    Rule(
        pattern=rf"(?i:\b(?:caused|triggered|introduced|started)\s+by|\bdue\s+to|\bbecause\s+of|\bthanks\s+to)\s+{_SOMEONE}",
        why="makes a person the cause of the failure",
        hint="Name the mechanism and the missing safeguard: \"caused by a config change that no check validated\".",
    ),
    Rule(
        pattern=rf"(?<![\w@]){_PERSON}\s+(?:forgot|neglected|ignored|overlooked|failed to|didn'?t bother|did not bother)\b",
        why="blames an omission on a person",
        hint="Describe the missing safeguard: \"No check enforced X before deploy\" or \"The runbook had no step for X\".",
    ),
    Rule(
        pattern=rf"(?<![\w@]){_PERSON}\s+(?:broke|messed up|screwed up|took down|brought down)\b",
        why="makes a person the cause of the failure",
        hint="Describe the mechanism: \"The change to X removed Y, and nothing in testing exercised Y\".",
    ),
    Rule(
        pattern=rf"(?<![\w@]){_SOMEONE}\s+(?:caused|was responsible for|is responsible for)\b",
        why="makes a person the cause of the failure",
        hint="Name the systemic factor: which monitoring, testing or process gap allowed this?",
    ),
    Rule(
        pattern=r"(?i)\bhuman error\b|\boperator error\b|\buser error\b",
        why="\"human error\" ends the analysis where it should begin",
        hint="Ask what made the error easy to make and hard to notice: tooling, defaults, information, time pressure.",
    ),
    Rule(
        pattern=r"(?i)\b(?:careless(?:ly|ness)?|sloppy|negligen(?:t|ce)|incompeten(?:t|ce)|lazy|reckless(?:ly)?|not paying attention)\b",
        why="judges a person instead of describing a condition",
        hint="Describe what the tools or process allowed, e.g. \"The console allowed a production delete without confirmation\".",
    ),
    Rule(
        pattern=r"(?i)\bshould have (?:known|caught|noticed|checked|tested|seen|realized|realised|been more careful)\b",
        why="hindsight: judges a decision by information that came later",
        hint="Describe what information was available at the time, and why the signal was not visible.",
    ),
    Rule(
        pattern=rf"(?i)\b(?:fault of|to blame|blame (?:on|lies)|(?:his|her|their) (?:mistake|fault|error))\b|\b{_NAME}'s (?:mistake|fault|error)\b",
        why="assigns fault",
        hint="Replace the verdict with the contributing factor it stands for.",
    ),
]


@lru_cache(maxsize=64)
def _compiled(names: tuple[str, ...]) -> list[tuple[re.Pattern[str], Rule]]:
    """The rules, with the incident's participants among the people they look for."""
    participant = "(?i:" + "|".join(re.escape(n) for n in names) + r")(?![\w-])" if names else r"(?!x)x"
    person = rf"(?:{_NAME}|(?i:{_PERSON_NOUN})|{participant})"
    return [
        (re.compile(rule.pattern.replace(_PERSON, person).replace("<participant>", participant)), rule) for rule in RULES
    ]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MARKUP = re.compile(r"^\s*(?:[-*+>]|\d+[.)]|#+|\|)\s*")


class Finding(BaseModel):
    line: int
    sentence: str
    phrase: str
    why: str
    hint: str

    def __str__(self) -> str:
        return f"line {self.line}: \"{self.phrase}\" {self.why}. {self.hint}"


def sentences(text: str) -> list[tuple[int, str]]:
    """(line number, sentence) pairs; markdown bullets and headings are stripped,
    YAML front matter and code blocks skipped (they hold data, not prose)."""
    found: list[tuple[int, str]] = []
    fenced = front = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if number == 1 and line == "---":
            front = True
            continue
        if front:
            front = line != "---"
            continue
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced or not line:
            continue
        prose = _MARKUP.sub("", line)
        found.extend((number, s) for s in _SENTENCE_END.split(prose) if s.strip())
    return found


def check(text: str, participants: Iterable[str] = ()) -> list[Finding]:
    """Every blameful sentence in `text`, at most one finding per sentence;
    `participants` are the incident's people, by the names the timeline uses."""
    rules = _compiled(tuple(sorted({p.lstrip("@") for p in participants if p.strip()})))
    findings = []
    for line, sentence in sentences(text):
        for regex, rule in rules:
            match = regex.search(sentence)
            if match:
                findings.append(Finding(line=line, sentence=sentence, phrase=match.group(0), why=rule.why, hint=rule.hint))
                break
    return findings
