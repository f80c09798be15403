"""Drafts: customer success plans, 5W seller pitches, service one-pagers and MEDDICC reviews.

models.py        the four typed drafts; every value an `Evidenced[T]` (evidence.py)
evidence.py      Evidenced (value, citations, tools, needs_input, note) and the Ledger
knowledge.py     sections and cited guidance from the knowledge index
context.py       what builders work with (ledger, knowledge, accounts store, clock)
facts.py         the account data a plan rests on, read through the tools
lifecycle.py     the lifecycle stage rule
success_plan.py, plan_parts.py, plan_risks.py, pitch.py, one_pager.py, meddicc.py
                 the grounded builders, one per kind
layout.py, render.py, docx_render.py
                 drafts as blocks, rendered to Markdown and DOCX
resolve.py       account / service / opportunity lookup (404 with the closest matches)
store.py         drafts kept for download
service.py       DraftService: the one entry point (REST, CLI, chat, LLM kit)
chat.py          draft requests in chat (DraftDesk)
kit.py           the drafts' side of the LLM path (GroundedDraftKit)
cli.py           `assistant draft ...`
"""
