"""Draft requests in chat: "draft a success plan for <account>", "pitch our <service> to
<account>", "one-pager for the security jumpstart",
"review the MEDDICC on deal OPP-007".

A message is a draft request when it names a draft kind (success plan, pitch / 5W, one-pager,
MEDDICC + review / gaps) and either names what the kind needs (account, service,
opportunity) or asks for one ("draft", "write", "prepare", ...) without being a question
about the concept ("what is a success plan?" stays a knowledge question). The account comes
from the message (names, ids, typos), else the request's account or the previous turn; a
name that fits several accounts is settled by that context, or answered with the choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.drafts.models import Kind
from assistant.drafts.resolve import OPPORTUNITY_ID, find_service
from assistant.drafts.service import DraftRequest, DraftService
from assistant.engine.account_names import AccountName, NameMatch, NameResolver
from assistant.engine.types import Citation, ToolCall
from assistant.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from assistant.principal import Principal

_I = re.I
REVIEW = r"(?:review|gaps?|assess\w*|audit|check|grade)"


def _review_rule(frameworks: tuple[str, ...]) -> re.Pattern[str]:
    """A qualification review: the framework's name (the rules' and its aliases) or "deal
    qualification" with a review word, either order."""
    names = "|".join(re.escape(n) for n in sorted(set(frameworks), key=len, reverse=True))
    named = rf"\b(?:{names}|deal qualification)\b"
    return re.compile(rf"{named}.*\b(?:{REVIEW}|qualif\w*)\b|\b{REVIEW}\b.*{named}", _I)


KIND_RULES: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("meddicc_review", _review_rule(("MEDDICC",))),
    ("success_plan", re.compile(r"\bsuccess[- ]plans?\b", _I)),
    ("one_pager", re.compile(r"\bone[- ]?pagers?\b", _I)),
    ("pitch", re.compile(r"\bpitch(es|ing)?\b|\b5 ?w\b|\bfive[- ]w\b", _I)),
)  # fmt: skip
ASKS = re.compile(r"\b(draft|write|prepare|create|build|generate|make|produce|give me|put "
                  r"together|pitch|review|update|need|want)\b", _I)  # fmt: skip
CONCEPT = re.compile(r"^\s*(what|why|how|when|who|which|where|does|do|is|are|should|can)\b", _I)
# A question ("how do I tie an observability pitch to a business problem?") asks for a draft
# only with an explicit verb ("can you draft a pitch for <account>?").
# "what should we pitch to <account> next?" asks which service to sell (the account's action
# list), not for a pitch of a service it does not name
WHAT_TO_PITCH = re.compile(r"\bwhat\s+(?:\w+\s+){0,3}?pitch(?:es|ing)?\b", _I)
EXPLICIT = re.compile(r"\b(draft|write|prepare|create|build|generate|produce|give me|put "
                      r"together)\b", _I)  # fmt: skip


@dataclass
class DraftReply:
    answer: str
    draft: dict[str, Any] | None = None
    citations: list[Citation] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    declined: bool = False
    account_id: str | None = None


@dataclass(frozen=True)
class DraftPlan:
    """A recognised draft request: the parameters, or the question to ask back."""

    kind: Kind
    request: DraftRequest | None = None
    clarify: str | None = None


def detect_kind(message: str, frameworks: tuple[str, ...] = ()) -> Kind | None:
    """The draft kind a message names; `frameworks`: the rules' qualification framework
    names ("MEDDPICC review of OPP-102" on a knowledge base that uses MEDDPICC)."""
    if frameworks and _review_rule(frameworks).search(message):
        return "meddicc_review"
    return next((kind for kind, rule in KIND_RULES if rule.search(message)), None)


class DraftDesk:
    def __init__(self, service: DraftService) -> None:
        self.service = service

    def plan(
        self, message: str, principal: Principal, context_account: str | None = None
    ) -> DraftPlan | None:
        qualification = self.service.tools.context.rules.qualification
        kind = detect_kind(message, (qualification.name, *qualification.aliases))
        if kind is None:
            return None
        visible = self.service.accounts.accounts(principal.accounts)
        resolver = NameResolver([AccountName(a.id, a.name) for a in visible])
        match = resolver.resolve(message)
        rest = _without(message, match.mention)
        service = find_service(self.service.knowledge.services(principal), rest)
        opportunity = OPPORTUNITY_ID.search(message)
        if kind == "pitch" and service is None and WHAT_TO_PITCH.search(message):
            return None
        named = {
            "success_plan": match.status != "none",
            "pitch": match.status != "none" or service is not None,
            "one_pager": service is not None,
            "meddicc_review": opportunity is not None or match.status != "none",
        }[kind]
        if not named and not (ASKS.search(message) and not CONCEPT.match(message)):
            return None  # a question about the concept, for the knowledge base
        specific = match.status != "none" or opportunity is not None
        if CONCEPT.match(message) and not EXPLICIT.search(message) and not specific:
            return None  # a how/what question that mentions a draft kind and a service
        account, clarify = _account(match, context_account)
        needs_account = kind in ("success_plan", "pitch") or (
            kind == "meddicc_review" and opportunity is None
        )
        if clarify and (needs_account or match.status != "none"):
            return DraftPlan(kind, clarify=clarify)
        if needs_account and account is None:
            return DraftPlan(kind, clarify=f"Which account is the {_label(kind)} for? Name it "
                             "or give its id (for example ACC-001).")  # fmt: skip
        if kind in ("pitch", "one_pager") and service is None:
            names = "; ".join(s.title for s in self.service.knowledge.services(principal))
            return DraftPlan(kind, clarify=f"Which service is the {_label(kind)} for? "
                             f"Services: {names}.")  # fmt: skip
        if kind == "meddicc_review":
            opp_id = f"OPP-{opportunity.group(1)}" if opportunity else None
            if opp_id is None:
                opps = self.service.accounts.opportunities([str(account)])
                if len(opps) != 1:
                    listed = "; ".join(f"{o.id} {o.name}" for o in opps) or "none"
                    return DraftPlan(kind, clarify=f"Which opportunity should I review? Open "
                                     f"opportunities of {account}: {listed}.")  # fmt: skip
                opp_id = opps[0].id
            return DraftPlan(kind, DraftRequest(opportunity_id=opp_id))
        return DraftPlan(
            kind,
            DraftRequest(
                account_id=account if kind != "one_pager" or match.status == "found" else None,
                service=service.id if service else None,
            ),
        )

    def reply(
        self, message: str, principal: Principal, context_account: str | None = None
    ) -> DraftReply | None:
        plan = self.plan(message, principal, context_account)
        if plan is None:
            return None
        if plan.request is None:
            return DraftReply(str(plan.clarify), declined=True)
        try:
            result = self.service.create(plan.kind, plan.request, principal)
        except (NotFoundError, PermissionDeniedError, InvalidInputError) as error:
            return DraftReply(f"{error}.", declined=True)
        account_id = result.draft.get("account_id")
        return DraftReply(
            answer=result.markdown,
            draft={"draft_id": result.draft_id, **result.draft},
            citations=result.citations,
            tool_calls=result.tool_calls,
            account_id=str(account_id) if account_id else None,
        )


def _account(match: NameMatch, context: str | None) -> tuple[str | None, str | None]:
    """(account id, question to ask back) from the name match and the context account."""
    if match.status == "found" and match.account is not None:
        return match.account.id, None
    if match.status == "ambiguous":
        if context in {a.id for a in match.accounts}:
            return context, None
        names = "; ".join(f"{a.name} ({a.id})" for a in match.accounts)
        return None, f"\u201c{match.mention}\u201d matches more than one account: {names}. " \
                     "Which one do you mean?"  # fmt: skip
    if match.status == "unknown":
        near = "; ".join(f"{a.name} ({a.id})" for a in match.suggestions)
        hint = f" The closest: {near}." if near else ""
        return None, (
            f"I can't find the account {match.mention} among the accounts you can see.{hint}"
        )
    return context, None


def _label(kind: Kind) -> str:
    words = {"one_pager": "one-pager", "meddicc_review": "deal qualification review"}
    return words.get(kind, kind.replace("_", " "))


def _without(message: str, mention: str | None) -> str:
    if not mention:
        return message
    words = r"\W+".join(re.escape(word) for word in mention.split())
    return re.sub(rf"\b{words}(?:['’]s)?\b", " ", message, count=1, flags=re.I)
