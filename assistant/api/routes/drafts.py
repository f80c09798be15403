"""Drafts: POST /api/drafts/{kind}, GET /api/drafts/{id}.docx | .md | (JSON).

`kind` is success_plan | pitch | one_pager | meddicc_review (404 listing them otherwise);
the body carries `account_id`, `service` and `opportunity_id` as the kind needs (422 saying
which one is missing); an unknown account, service or opportunity is a 404 naming the
closest matches, an account outside the caller's scope a 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response
from fastapi.concurrency import run_in_threadpool

from assistant.api.deps import PrincipalDep, ServicesDep
from assistant.api.errors import RESPONSES
from assistant.drafts.models import KINDS
from assistant.drafts.service import (
    DraftRequest,
    DraftResult,
    DraftService,
    docx,
    markdown,
    parse_kind,
)
from assistant.errors import ConfigurationError
from assistant.services import Services

router = APIRouter(tags=["drafts"], responses=RESPONSES)
DRAFT_ID = r"^[0-9a-f]{32}$"  # what DraftStore makes (uuid4 hex)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# the shapes of kinds and draft ids are documented so that a client (and the Allow header of
# a 405) can tell /api/drafts/{kind} from /api/drafts/{draft_id}; any other value is a 404
DraftId = Annotated[
    str,
    Path(description="the draft_id POST returned", json_schema_extra={"pattern": DRAFT_ID}),
]
KindPath = Annotated[
    str, Path(description="the kind of draft", json_schema_extra={"enum": list(KINDS)})
]


def _drafts(services: Services) -> DraftService:
    drafts = getattr(services, "drafts", None)
    if not isinstance(drafts, DraftService):
        raise ConfigurationError("drafting is not configured on this server")
    return drafts


@router.post("/drafts/{kind}", response_model=DraftResult)
async def create_draft(
    kind: KindPath,
    services: ServicesDep,
    principal: PrincipalDep,
    request: Annotated[DraftRequest | None, Body()] = None,
) -> DraftResult:
    """Draft a success plan, 5W pitch, service one-pager or MEDDICC review with the grounded
    composer: the typed draft, its Markdown, citations and tool calls, and the `draft_id` to
    download it as DOCX."""
    drafts = _drafts(services)
    parsed = parse_kind(kind)
    return await run_in_threadpool(drafts.create, parsed, request or DraftRequest(), principal)


@router.get("/drafts/{draft_id}.docx", response_class=Response)
async def draft_docx(draft_id: DraftId, services: ServicesDep, principal: PrincipalDep) -> Response:
    """The DOCX of a draft made earlier."""
    draft = await run_in_threadpool(_drafts(services).load, draft_id, principal)
    content = await run_in_threadpool(docx, draft, principal.name or principal.user)
    filename = f"{draft.kind.replace('_', '-')}-{draft_id[:8]}.docx"
    return Response(
        content,
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/drafts/{draft_id}.md", response_class=Response)
async def draft_markdown(
    draft_id: DraftId, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """The Markdown of a draft made earlier."""
    draft = await run_in_threadpool(_drafts(services).load, draft_id, principal)
    return Response(markdown(draft), media_type="text/markdown; charset=utf-8")


@router.get("/drafts/{draft_id}", response_model=DraftResult)
async def draft_json(
    draft_id: DraftId, services: ServicesDep, principal: PrincipalDep
) -> DraftResult:
    """A draft made earlier, as POST returned it."""
    draft = await run_in_threadpool(_drafts(services).load, draft_id, principal)
    return DraftResult.of(draft_id, draft)
