"""One entry point for every way a draft is asked for (REST, CLI, chat, the LLM path):
check the parameters, resolve the account / service / opportunity, build the draft with
the grounded composer, render it and keep it.

    kind            needs                       404 for unknown                403
    success_plan    account_id                  account                        account
    pitch           account_id, service         account, service               account
    one_pager       service (account_id)        service (account)              account
    meddicc_review  opportunity_id              opportunity                    -
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from assistant.drafts.context import Context
from assistant.drafts.evidence import Ledger
from assistant.drafts.knowledge import Knowledge
from assistant.drafts.layout import layout
from assistant.drafts.meddicc import build_meddicc_review
from assistant.drafts.models import KINDS, DraftBase, Kind
from assistant.drafts.one_pager import build_one_pager
from assistant.drafts.pitch import build_pitch
from assistant.drafts.render import to_markdown
from assistant.drafts.resolve import (
    resolve_account,
    resolve_opportunity,
    resolve_service,
)
from assistant.drafts.store import DraftStore
from assistant.drafts.success_plan import build_success_plan
from assistant.drafts.templates import Template, default_templates_dir, load_templates
from assistant.engine.types import Citation, ToolCall
from assistant.errors import InvalidInputError, NotFoundError
from assistant.principal import Principal
from assistant.prompts import Prompt, default_prompts_dir, load_prompts
from assistant.store.account_store import AccountStore
from assistant.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from assistant.drafts.docx_render import Properties

REQUIRED: dict[Kind, tuple[str, ...]] = {
    "success_plan": ("account_id",),
    "pitch": ("account_id", "service"),
    "one_pager": ("service",),
    "meddicc_review": ("opportunity_id",),
}


class DraftRequest(BaseModel):
    """The parameters of a draft; which ones a kind needs is in `REQUIRED`."""

    model_config = ConfigDict(extra="forbid")

    account_id: str | None = Field(
        default=None, max_length=200, description="account id or name, e.g. ACC-001"
    )
    service: str | None = Field(
        default=None,
        max_length=200,
        description="service id or name, e.g. observability-quick-start",
    )
    opportunity_id: str | None = Field(default=None, max_length=200, description="e.g. OPP-007")


class DraftResult(BaseModel):
    draft_id: str
    kind: Kind
    draft: dict[str, object]
    markdown: str
    citations: list[Citation]
    tool_calls: list[ToolCall]

    @classmethod
    def of(cls, draft_id: str, draft: DraftBase) -> DraftResult:
        """A kept draft as the API returns it: the fields, the Markdown, its evidence."""
        return cls(
            draft_id=draft_id,
            kind=draft.kind,
            draft=draft.model_dump(mode="json"),
            markdown=markdown(draft),
            citations=draft.citations,
            tool_calls=draft.tool_calls,
        )


def parse_kind(name: str) -> Kind:
    """A draft kind; "success-plan" is accepted for "success_plan" (404 lists the kinds)."""
    kind = name.strip().lower().replace("-", "_")
    for known_kind in KINDS:
        if kind == known_kind:
            return known_kind
    raise NotFoundError(f"unknown draft kind '{name}'; kinds: {', '.join(KINDS)}")


@dataclass
class DraftService:
    tools: ToolRegistry
    accounts: AccountStore
    knowledge: Knowledge
    store: DraftStore
    clock: Callable[[], dt.date]
    prompts: dict[str, Prompt]
    templates: dict[Kind, Template]

    @classmethod
    def build(
        cls,
        tools: ToolRegistry,
        accounts: AccountStore,
        knowledge: Knowledge,
        database: Engine,
        clock: Callable[[], dt.date],
        prompts_dir: Path | None = None,
        templates_dir: Path | None = None,
    ) -> DraftService:
        """Loads and validates the draft prompts and templates (ConfigurationError when one
        is bad)."""
        prompts = load_prompts(prompts_dir or default_prompts_dir())
        templates = load_templates(templates_dir or default_templates_dir())
        return cls(tools, accounts, knowledge, DraftStore(database), clock, prompts, templates)

    def build_draft(self, kind: Kind, request: DraftRequest, principal: Principal) -> DraftBase:
        missing = [name for name in REQUIRED[kind] if not getattr(request, name)]
        if missing:
            raise InvalidInputError(f"a {kind} draft needs {' and '.join(missing)}")
        ctx = Context(
            Ledger(self.tools, principal),
            self.knowledge,
            self.accounts,
            self.clock(),
            self.templates[kind],
        )
        account_id = (
            resolve_account(self.accounts, principal, request.account_id)
            if request.account_id
            else None
        )
        draft = self._build(ctx, kind, request, principal, account_id)
        draft.customer_facing = ctx.template.customer_facing
        draft.worksheet_titles = ctx.template.worksheet_titles
        return draft

    def _build(
        self,
        ctx: Context,
        kind: Kind,
        request: DraftRequest,
        principal: Principal,
        account_id: str | None,
    ) -> DraftBase:
        if kind == "success_plan":
            assert account_id is not None
            return build_success_plan(ctx, account_id)
        if kind == "meddicc_review":
            opportunity = resolve_opportunity(self.accounts, principal, str(request.opportunity_id))
            return build_meddicc_review(ctx, opportunity)
        service = resolve_service(self.knowledge.services(principal), str(request.service))
        if kind == "pitch":
            assert account_id is not None
            return build_pitch(ctx, account_id, service)
        return build_one_pager(ctx, service, account_id)

    def create(self, kind: Kind, request: DraftRequest, principal: Principal) -> DraftResult:
        """Build, render and keep a draft."""
        return self.save(self.build_draft(kind, request, principal), principal)

    def save(self, draft: DraftBase, principal: Principal) -> DraftResult:
        """Keep a draft (for the DOCX download) and render it."""
        account_id = getattr(draft, "account_id", None)
        return DraftResult.of(self.store.save(draft, account_id, principal.user), draft)

    def load(self, draft_id: str, principal: Principal) -> DraftBase:
        """A draft made earlier (404 unknown id; 403 when it is about an account the caller
        may not see)."""
        draft, account_id = self.store.load(draft_id)
        if account_id is not None:
            principal.require(account_id)
        return draft


def markdown(draft: DraftBase) -> str:
    return to_markdown(layout(draft))


SUBJECTS = {
    "success_plan": "Customer success plan",
    "pitch": "5W pitch",
    "one_pager": "Service one-pager",
    "meddicc_review": "MEDDICC review",
}


def properties(draft: DraftBase, author: str) -> Properties:
    """The DOCX properties of a draft: its title, a subject naming the kind and the records it
    is about, the caller as author, the draft's day as created, the sources for the footer."""
    about = [
        str(getattr(draft, name))
        for name in ("account_id", "service_id", "opportunity_id")
        if getattr(draft, name, None)
    ]
    from assistant.drafts.docx_render import Properties  # python-docx: only to render one

    subject = SUBJECTS[draft.kind] + (f" ({', '.join(about)})" if about else "")
    sources = [f"[{c.n}] {c.title} > {c.section}" if c.title else f"[{c.n}] {c.section}"
               for c in draft.citations]  # fmt: skip
    sources += [f"[T{n}] {c.name} as of {c.as_of}" for n, c in enumerate(draft.tool_calls, 1)]
    return Properties(
        title=draft.title,
        subject=subject,
        author=author,
        created=draft.generated_on,
        keywords=", ".join([draft.kind.replace("_", " "), *about]),
        sources=sources,
    )


def docx(draft: DraftBase, author: str = "success-assistant") -> bytes:
    from assistant.drafts.docx_render import to_docx

    return to_docx(layout(draft), properties(draft, author))
